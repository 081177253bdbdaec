#!/usr/bin/env python3
"""memory.py - kiln's memory plan against the bounds and against onnxruntime.

For each model (ResNet-50 and Inception v1 from the onnx wheel's "light"
backend-test models, a full MobileNetV2 and a U-Net from bench/models.py,
and every model tests/models/make_models.py builds) it runs
`kiln inspect --json` and prints one row of a markdown table: node counts
before and after optimization, the arena against its lower bound (most bytes
live at one step) and against the sum of all intermediates, the weights, and
onnxruntime's peak memory for the same model, measured in the same run.

onnxruntime's figure is the growth of peak RSS (VmHWM) of a fresh process
from just after `import onnxruntime, numpy` to just after one inference
(session creation included), CPU provider, one thread. It counts
weights (ORT's own copy, plus any prepacked forms), the activation arena,
and ORT's per-session bookkeeping; compare it with kiln's arena + weights.

    python3 bench/memory.py --kiln build/kiln          prints the table and
                                                       writes bench/memory.md
    options: --out FILE (markdown to FILE; '-' for none), --work DIR (keep
    the generated models there), --no-ort (skip onnxruntime), --only NAME...
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))

# Peak RSS from /proc/self/status VmHWM (the high-water mark of this process
# image, reset by exec); getrusage's ru_maxrss would not do: Linux carries it
# over fork and exec, so a child starts at its parent's peak.
ORT_PROBE = r"""
import sys
import numpy as np
import onnxruntime as ort
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
path = sys.argv[1]
base = hwm()
so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
types = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
         "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}
rng = np.random.default_rng(0)
feeds = {}
for i in sess.get_inputs():
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
    feeds[i.name] = rng.standard_normal(shape).astype(types[i.type])
sess.run(None, feeds)
print(hwm() - base)
"""


def human(n):
    """Bytes as KiB below 1 MiB, else MiB; '-' for None."""
    if n is None:
        return "-"
    if n < 1024:
        return "%d B" % n
    if n < 1024 * 1024:
        return "%.1f KiB" % (n / 1024)
    return "%.2f MiB" % (n / (1024 * 1024))


def ratio(a, b):
    return "%.3f" % (a / b) if b else "-"


def model_list(work, only):
    """(label, path) for every benchmark model, writing the built ones into work."""
    import onnx
    import models as bench_models
    import make_models
    light = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
    out = [
        ("ResNet-50 (light)", os.path.join(light, "light_resnet50.onnx")),
        ("MobileNetV2 224", "mobilenetv2_224"),
        ("U-Net 256", "unet"),
        ("Inception v1 (light)", os.path.join(light, "light_inception_v1.onnx")),
    ]
    out += [("%s (tests)" % name, "tests:" + name) for name in make_models.MODELS]
    result = []
    for label, src in out:
        if only and not any(o.lower() in label.lower() for o in only):
            continue
        if src.startswith("tests:"):
            name = src[6:]
            path = os.path.join(work, name + ".onnx")
            onnx.save(make_models.MODELS[name](), path)
        elif not src.endswith(".onnx"):
            path = os.path.join(work, src + ".onnx")
            onnx.save(bench_models.MODELS[src](), path)
        else:
            path = src
        result.append((label, path))
    return result


def kiln_report(kiln, path):
    p = subprocess.run([kiln, "inspect", path, "--json"], capture_output=True, text=True)
    if p.returncode:
        sys.stderr.write(p.stderr)
        return None
    return json.loads(p.stdout)


def ort_peak(path):
    p = subprocess.run([sys.executable, "-c", ORT_PROBE, path], capture_output=True, text=True)
    if p.returncode:
        sys.stderr.write("onnxruntime failed on %s:\n%s" % (path, p.stderr[-2000:]))
        return None
    return int(p.stdout.strip().splitlines()[-1])


def ort_fixed_cost(work):
    """ORT's growth for a one-Relu model on one float: its cost per session
    whatever the model."""
    import onnx
    from onnx import TensorProto, helper
    path = os.path.join(work, "one_relu.onnx")
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "one_relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return ort_peak(path)


def onnx_nodes(path):
    import onnx
    return len(onnx.load(path, load_external_data=False).graph.node)


HEADER = ("| model | ONNX nodes | kiln nodes before → after | arena | lower bound | arena / lower bound "
          "| sum of intermediates | arena / sum | weights | kiln arena + weights | ORT peak RSS growth¹ |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def row(label, path, rep, ort):
    if rep is None:
        return "| %s | %d | kiln failed (see stderr) | | | | | | | | %s |" % (label, onnx_nodes(path), human(ort))
    a, lb, s, w = rep["arena_bytes"], rep["lower_bound_bytes"], rep["sum_intermediates_bytes"], rep["weights_bytes"]
    return "| %s | %d | %d → %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        label, onnx_nodes(path), rep["nodes_before"], rep["nodes_after"], human(a), human(lb), ratio(a, lb),
        human(s), ratio(a, s), human(w), human(a + w), human(ort))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True, help="path to the kiln binary")
    ap.add_argument("--out", default=os.path.join(HERE, "memory.md"), help="markdown file to write ('-': none)")
    ap.add_argument("--work", help="folder for the generated models (default: a temporary one)")
    ap.add_argument("--no-ort", action="store_true", help="skip the onnxruntime measurement")
    ap.add_argument("--only", nargs="*", help="models whose label contains one of these words")
    args = ap.parse_args()
    kiln = os.path.abspath(args.kiln)
    work = args.work or tempfile.mkdtemp(prefix="kiln-bench-")
    os.makedirs(work, exist_ok=True)
    ort_version = "-"
    if not args.no_ort:
        import onnxruntime
        ort_version = onnxruntime.__version__
    lines = [HEADER]
    print(HEADER, flush=True)
    fixed = None
    try:
        if not args.no_ort:
            fixed = ort_fixed_cost(work)
        for label, path in model_list(work, args.only):
            rep = kiln_report(kiln, path)
            ort = None if args.no_ort else ort_peak(path)
            lines.append(row(label, path, rep, ort))
            print(lines[-1], flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    notes = [
        "",
        "Bytes: KiB = 1024 B, MiB = 1024 KiB. *arena*: kiln's planned intermediate buffer (graph inputs and "
        "outputs live in the caller's buffers); *lower bound*: the most bytes live at any one step of kiln's "
        "schedule, which no placement of that schedule can beat; *sum of intermediates*: every intermediate "
        "tensor's bytes, i.e. the memory of a plan without reuse; *weights*: kiln's read-only weights blob "
        "(64-byte aligned). Node counts: the ONNX file's nodes, kiln's graph after loading (Constant nodes and "
        "constant subgraphs folded), and after optimization (BatchNorm folded, epilogues fused, identities "
        "removed).",
        "",
        "¹ onnxruntime %s, CPUExecutionProvider, one thread, default session options: growth of the peak "
        "resident set size (VmHWM in `/proc/self/status`) of a fresh Python process from just "
        "after `import onnxruntime, numpy` to just after one inference, session creation included. It holds "
        "ORT's copy of the weights (and any prepacked forms of them), its activation arena and its "
        "per-session state, so the comparable kiln figure is *kiln arena + weights*. Not ORT's internal "
        "arena statistics, which its Python API does not expose, nor `getrusage`'s ru_maxrss, which Linux "
        "carries over fork and exec (a child would start at this script's own peak). For scale: a model of "
        "one Relu on one float measures %s, ORT's cost per session whatever the model." % (ort_version, human(fixed)),
        "",
        "Generated by `python3 bench/memory.py --kiln build/kiln` on %s (%s, Python %s)." % (
            platform.machine(), platform.system(), platform.python_version()),
    ]
    md = "# Memory: kiln's plan against its bounds and onnxruntime\n\n" + "\n".join(lines + notes) + "\n"
    print("\n".join(notes))
    if args.out != "-":
        with open(args.out, "w") as f:
            f.write(md)
        print("wrote %s" % args.out)


if __name__ == "__main__":
    main()
