#!/usr/bin/env python3
"""mutate.py - model-level mutation fuzzing: valid ONNX node test models with
one attribute, dimension, dtype or constant changed to an extreme value,
compiled by kiln (best an ASan/UBSan build).

    python3 mutate.py KILN [--seconds 60] [--seed 1] [--node-cache DIR] [--out DIR]

libFuzzer (fuzz_onnx) mutates bytes, so most of its inputs die in the
protobuf decoder or the loader; this one keeps the model well formed and
aims at what comes after: attribute parsing, shape inference, constant
folding (the host runs the kernels) and emission. Mutations: an int
attribute set to 0, -1, a large or a huge value; an ints attribute emptied,
lengthened, zeroed, negated or made huge; a float attribute set to NaN, Inf,
0 or 1e30; a string attribute emptied or made unknown; a graph input's
dimension set to 0, 1 or 2^20; an input's dtype changed; an initializer's
values replaced by extremes.

Every run must end with status 0 or 1 within the timeout, with no sanitizer
report (KNOWN lists findings already reported, which are printed only). Status 2 (an internal error) is a compiler bug too and is counted
as a finding. Findings are saved as OUT/finding-N.onnx with the message.
Prints `mutate: R runs, F findings`; exit 0 iff F == 0.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)

INTS = [0, -1, 1, 2, 3, 1000, 1 << 31, -(1 << 31), (1 << 62), -(1 << 62), (1 << 63) - 1]
FLOATS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1e30, -1e30, 1e-45]
# Findings already reported to the owners of the code (source location ->
# what): printed, not counted, so a new finding is what fails the run.
KNOWN = {
}
SAN = {"ASAN_OPTIONS": "detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=2048",
       "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def mutate(model, rng):
    """Applies one random mutation in place; returns its description or None."""
    from onnx import TensorProto, numpy_helper
    import numpy as np
    g = model.graph
    choices = []
    for n in g.node:
        for a in n.attribute:
            choices.append(("attr", n, a))
    for v in g.input:
        if v.type.HasField("tensor_type") and not any(i.name == v.name for i in g.initializer):
            choices.append(("dims", v, None))
            choices.append(("dtype", v, None))
    for t in g.initializer:
        choices.append(("init", t, None))
    if not choices:
        return None
    kind, obj, a = rng.choice(choices)
    if kind == "attr":
        if a.type == a.INT:
            a.i = rng.choice(INTS)
            return "%s.%s = %d" % (obj.op_type, a.name, a.i)
        if a.type == a.INTS:
            old = list(a.ints)
            how = rng.choice(["empty", "longer", "zero", "negate", "huge", "one"])
            new = {"empty": [], "longer": old + old + [1], "zero": [0] * len(old),
                   "negate": [-x for x in old], "huge": [1 << 40] * max(1, len(old)),
                   "one": [rng.choice(INTS)] + old[1:]}[how]
            del a.ints[:]
            a.ints.extend(new)
            return "%s.%s = %s" % (obj.op_type, a.name, new)
        if a.type == a.FLOAT:
            a.f = rng.choice(FLOATS)
            return "%s.%s = %r" % (obj.op_type, a.name, a.f)
        if a.type == a.FLOATS:
            new = [rng.choice(FLOATS) for _ in range(max(1, len(a.floats)))]
            del a.floats[:]
            a.floats.extend(new)
            return "%s.%s = %s" % (obj.op_type, a.name, new)
        if a.type == a.STRING:
            a.s = rng.choice([b"", b"BOGUS", b"NOTSET", b"SAME_UPPER", b"VALID", b"nearest", b"wrap"])
            return "%s.%s = %r" % (obj.op_type, a.name, a.s)
        return None
    if kind == "dims":
        dims = obj.type.tensor_type.shape.dim
        if not len(dims):
            return None
        k = rng.randrange(len(dims))
        dims[k].dim_value = rng.choice([0, 1, 2, 7, 1 << 20])
        return "input %s dim %d = %d" % (obj.name, k, dims[k].dim_value)
    if kind == "dtype":
        obj.type.tensor_type.elem_type = rng.choice([TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32,
                                                     TensorProto.BOOL, TensorProto.UINT8, TensorProto.DOUBLE,
                                                     TensorProto.INT8])
        return "input %s dtype = %d" % (obj.name, obj.type.tensor_type.elem_type)
    arr = numpy_helper.to_array(obj)
    if arr.size == 0 or arr.dtype.kind not in "iuf":
        return None
    flat = arr.ravel().copy()
    k = rng.randrange(flat.size)
    if arr.dtype.kind == "f":
        flat[k] = rng.choice(FLOATS)
    else:
        info = np.iinfo(arr.dtype)
        flat[k] = rng.choice([0, -1, 1, info.max, info.min, 1000]) if info.min < 0 else rng.choice([0, info.max])
    obj.CopyFrom(numpy_helper.from_array(flat.reshape(arr.shape), obj.name))
    return "initializer %s[%d] = %s" % (obj.name, k, flat[k])


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kiln")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--node-cache")
    p.add_argument("--out", default="mutate-findings")
    p.add_argument("--timeout", type=int, default=20)
    args = p.parse_args(argv)
    try:
        import onnx
    except ImportError:
        print("mutate: cannot import onnx; skipped")
        return 77
    sys.path.insert(0, os.path.join(TESTS, "onnx"))
    import gen_node_tests
    tmp = tempfile.mkdtemp(prefix="kiln-mutate-")
    cache = args.node_cache
    if not (cache and os.path.exists(os.path.join(cache, ".stamp"))):
        cache = os.path.join(tmp, "node")
        gen_node_tests.generate_into(cache)
    models = sorted(os.path.join(cache, c, "model.onnx") for c in os.listdir(cache)
                    if os.path.exists(os.path.join(cache, c, "model.onnx")))
    rng = random.Random(args.seed)
    env = dict(os.environ)
    env.update(SAN)
    os.makedirs(args.out, exist_ok=True)
    runs = findings = 0
    seen = set()
    t_end = time.time() + args.seconds
    while time.time() < t_end:
        src = rng.choice(models)
        m = onnx.load(src)
        what = [mutate(m, rng) for _ in range(rng.choice([1, 1, 2]))]
        what = [w for w in what if w]
        if not what:
            continue
        path = os.path.join(tmp, "m.onnx")
        onnx.save(m, path)
        out = os.path.join(tmp, "out")
        try:
            r = subprocess.run([args.kiln, "compile", path, "-o", out], capture_output=True, text=True,
                               errors="replace", timeout=args.timeout, env=env)
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, "timed out after %d s" % args.timeout
        shutil.rmtree(out, ignore_errors=True)
        runs += 1
        bad = rc not in (0, 1) or "Sanitizer" in err or "runtime error:" in err
        if not bad:
            continue
        first = next((l for l in err.splitlines() if "ERROR" in l or "runtime error" in l or "internal" in l),
                     (err.splitlines() or ["?"])[0])
        key = (rc, first.split("==")[-1][:120].replace(path, "M"))
        if key in seen:
            continue
        seen.add(key)
        known = [k for k in KNOWN if k in err]
        if known:
            print("known finding (reported): %s: %s" % (known[0], KNOWN[known[0]]))
            continue
        findings += 1
        dst = os.path.join(args.out, "finding-%d.onnx" % findings)
        shutil.copy(path, dst)
        with open(dst + ".txt", "w") as f:
            f.write("%s\nmutation: %s\nexit: %s\n%s" % (os.path.basename(os.path.dirname(src)), "; ".join(what), rc, err))
        print("finding %d: %s (%s), exit %s\n    %s" % (findings, os.path.basename(os.path.dirname(src)),
                                                      "; ".join(what), rc, first[:300]))
        sys.stdout.flush()
    shutil.rmtree(tmp, ignore_errors=True)
    print("mutate: %d runs, %d findings" % (runs, findings))
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
