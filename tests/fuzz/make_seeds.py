#!/usr/bin/env python3
"""make_seeds.py - seed corpora for the fuzz targets, generated at test time.

    python3 make_seeds.py OUTDIR [--kiln KILN] [--node-cache DIR]

writes OUTDIR/onnx/ (fuzz_onnx) and OUTDIR/kg/ (fuzz_kg), plus
OUTDIR/onnx.dict and OUTDIR/kg.dict (libFuzzer dictionaries: op names,
keywords, dtype names).

ONNX seeds:
  * every ONNX backend node test model (tests/onnx/gen_node_tests.py; taken
    from --node-cache when it already holds them, as the `node` test leaves
    them in the build folder),
  * the error corpus (tests/errors/make_corpus.py): each file is a short way
    into one of the frontend's error paths,
  * the end-to-end models (tests/models/make_models.py) whose weights fit in
    1 MiB, with every initializer above 256 bytes moved to external data in
    "w.bin" (fuzz_onnx's folder holds a 1 MiB w.bin; the values do not
    matter for what the fuzzer explores, the structure does), so a whole
    network is a seed of a few kilobytes.
.kg seeds: tests/text/*.kg, tests/passes/*.kg, the corpus's .kg cases, and,
with --kiln, the dumps (`kiln compile --dump-kg`) of a sample of the node
test models whose constants are all inline.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
EXT_LIMIT = 1 << 20      # bytes of w.bin fuzz_onnx provides
EXT_MIN = 256            # initializers above this many bytes go external
MAX_SEED = 1 << 16       # larger seeds are left out (libFuzzer -max_len)

KG_WORDS = ["kg", "graph", "opset", "input", "const", "node", "output", "weights", "seeded", "blob",
            "uniform", "normal", "ints", "floats", "strings", "inf", "-inf", "nan", "->", "[]", "\"\""]
DTYPES = ["f32", "f64", "f16", "bf16", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool", "string"]


def save(outdir, data):
    """Content-addressed, so duplicates collapse."""
    if len(data) > MAX_SEED:
        return False
    with open(os.path.join(outdir, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)
    return True


def node_models(cache, tmp):
    """Paths of the node test models: in cache when it holds them, else generated into tmp."""
    sys.path.insert(0, os.path.join(TESTS, "onnx"))
    import gen_node_tests
    if not (cache and os.path.exists(os.path.join(cache, ".stamp"))):
        cache = os.path.join(tmp, "node")
        gen_node_tests.generate_into(cache)
    out = []
    for case in sorted(os.listdir(cache)):
        p = os.path.join(cache, case, "model.onnx")
        if os.path.exists(p):
            out.append(p)
    return out


def externalize(model):
    """Moves big initializers into w.bin (offsets only); None if over EXT_LIMIT."""
    from onnx import TensorProto, numpy_helper
    off = 0
    for t in model.graph.initializer:
        raw = numpy_helper.to_array(t).tobytes()
        if len(raw) <= EXT_MIN:
            continue
        if off + len(raw) > EXT_LIMIT:
            return None
        name, dtype, dims = t.name, t.data_type, list(t.dims)
        t.Clear()
        t.name, t.data_type = name, dtype
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "w.bin"), ("offset", str(off)), ("length", str(len(raw)))):
            e = t.external_data.add()
            e.key, e.value = k, v
        off = (off + len(raw) + 63) // 64 * 64
    return model


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("--kiln", help="kiln binary, for .kg dumps of node test models")
    p.add_argument("--node-cache", help="folder already holding the generated node tests")
    p.add_argument("--kg-dumps", type=int, default=150, help="how many node tests to dump as .kg")
    args = p.parse_args(argv)
    onnx_dir, kg_dir = os.path.join(args.outdir, "onnx"), os.path.join(args.outdir, "kg")
    for d in (onnx_dir, kg_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    tmp = tempfile.mkdtemp(prefix="kiln-seeds-")
    try:
        return write_seeds(args, onnx_dir, kg_dir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_seeds(args, onnx_dir, kg_dir, tmp):
    import onnx  # noqa: F401
    counts = {"node": 0, "corpus": 0, "models": 0, "kg": 0, "kg dumps": 0}
    nodes = node_models(args.node_cache, tmp)
    for path in nodes:
        counts["node"] += save(onnx_dir, open(path, "rb").read())

    sys.path.insert(0, os.path.join(TESTS, "errors"))
    import make_corpus
    corpus = os.path.join(tmp, "corpus")
    for name in make_corpus.write(corpus):
        f = make_corpus.model_file(corpus, name)
        if os.path.isfile(f):
            kind = "kg" if f.endswith(".kg") else "corpus"
            counts[kind] += save(kg_dir if kind == "kg" else onnx_dir, open(f, "rb").read())

    sys.path.insert(0, os.path.join(TESTS, "models"))
    import make_models
    for name, fn in make_models.MODELS.items():
        try:
            m = fn(32) if name == "resnet18" else fn()
        except Exception as e:  # noqa: BLE001 - a model the generator cannot build is no seed
            print("make_seeds: %s: %s" % (name, e))
            continue
        m = externalize(m)
        if m is not None:
            counts["models"] += save(onnx_dir, m.SerializeToString())

    for sub in ("text", "passes"):
        d = os.path.join(TESTS, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".kg"):
                counts["kg"] += save(kg_dir, open(os.path.join(d, f), "rb").read())

    if args.kiln and args.kg_dumps > 0:
        step = max(1, len(nodes) // args.kg_dumps)
        for i, path in enumerate(nodes[::step]):
            kg = os.path.join(tmp, "m%d.kg" % i)
            r = subprocess.run([args.kiln, "compile", path, "-o", os.path.join(tmp, "out"), "--dump-kg", kg],
                               capture_output=True, timeout=120)
            if r.returncode == 0 and os.path.exists(kg) and not os.path.exists(kg + ".bin"):
                counts["kg dumps"] += save(kg_dir, open(kg, "rb").read())

    # dictionaries: op names (as they appear in both formats), format keywords, dtypes
    ops = []
    if args.kiln:
        r = subprocess.run([args.kiln, "ops"], capture_output=True, text=True, timeout=60)
        ops = r.stdout.split()
    with open(os.path.join(args.outdir, "onnx.dict"), "w") as f:
        for w in ops + ["location", "offset", "length", "w.bin", "ai.onnx", "../w.bin"]:
            f.write('"%s"\n' % w)
    with open(os.path.join(args.outdir, "kg.dict"), "w") as f:
        for w in ops + KG_WORDS + DTYPES:
            f.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"'))
    print("seeds: " + ", ".join("%s %d" % kv for kv in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
