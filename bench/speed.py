#!/usr/bin/env python3
"""speed.py - kiln against onnxruntime, latency of whole models on the CPU.

    python3 bench/speed.py --kiln build/kiln [--threads 1,2] [--runs 20] [MODEL...]

For each model and thread count T: `kiln compile --threads T --exe` (default
--cpu=native, pass others with --kiln-args), built by the generated Makefile
(its default flags), run as `./NAME input.npy --repeat RUNS` (one warm-up,
then RUNS timed runs; min and median); onnxruntime with every graph
optimization (ORT_ENABLE_ALL), intra_op_num_threads T, sequential execution,
WARMUP untimed then RUNS timed InferenceSession.run calls on the same input.
The two alternate for --rounds rounds (default 2) so a busy machine slows
both alike, each round after a 0.3 s pause (onnxruntime's idle pool threads
spin for a while after a run and would take a core from kiln's next round); the table shows the best min and the median of the per-round
medians. kiln's output is checked against onnxruntime's (max |a-b| relative
to the output's scale).

GFLOP/s: the FLOPs `kiln inspect` counts (2 per multiply-add of Conv, Gemm,
MatMul; 1 per output element elsewhere) over kiln's median time; "% peak":
that over the machine's FMA peak at T threads, measured by bench/fma_peak.c
(taken as at least T times the 1-thread peak: other work on a shared
machine only ever lowers the multi-thread measurement).

Models: LeNet-5, ResNet-18 (224), MobileNetV2, EfficientNet-B0 style and
ConvNeXt-T style (tests/models/make_models.py's networks, run at 224x224),
U-Net (make_models, 256x256), and the onnx wheel's light ResNet-50,
Inception v1 and SqueezeNet (real architectures, ConstantOfShape weights).
Writes bench/speed.md (--out).
"""

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
sys.path.insert(0, os.path.join(ROOT, "tests", "onnx"))


def light_dir():
    import onnx
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def synthetic(fn_name, size=None, arg=None):
    """make_models.FN() with its image input resized to size x size (the
    builder tracks shapes, so every layer follows)."""
    def build():
        import make_models
        orig = make_models.Net.input

        def patched(self, name, shape, dtype=None):
            if size and len(shape) == 4:
                shape = (shape[0], shape[1], size, size)
            return orig(self, name, shape, dtype)
        make_models.Net.input = patched
        try:
            fn = getattr(make_models, fn_name)
            return fn(arg) if arg is not None else fn()
        finally:
            make_models.Net.input = orig
    return build


def light(short):
    def build():
        import onnx
        return onnx.load(os.path.join(light_dir(), "light_%s.onnx" % short))
    return build


# name, description, builder, input kind
MODELS = [
    ("lenet5", "LeNet-5 1x1x32x32", synthetic("lenet5"), "normal"),
    ("resnet18", "ResNet-18 1x3x224x224", synthetic("resnet18", arg=224), "normal"),
    ("resnet50", "ResNet-50 (onnx light) 1x3x224x224", light("resnet50"), "uniform"),
    ("mobilenetv2", "MobileNetV2 1x3x224x224", synthetic("mobilenetv2", size=224), "normal"),
    ("efficientnet_b0", "EfficientNet-B0 style 1x3x224x224", synthetic("efficientnet", size=224), "normal"),
    ("convnext_t", "ConvNeXt-T style (2 stages) 1x3x224x224", synthetic("convnext", size=224), "normal"),
    ("unet", "U-Net (4 levels) 1x3x256x256", synthetic("unet", size=256), "normal"),
    ("inception_v1", "Inception v1 (onnx light) 1x3x224x224", light("inception_v1"), "uniform"),
    ("squeezenet", "SqueezeNet 1.0 (onnx light) 1x3x224x224", light("squeezenet"), "uniform"),
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="*", help="only these models (names from the list above)")
    p.add_argument("--kiln", required=True, help="the kiln binary")
    p.add_argument("--work", default="/tmp/kiln-speed", help="work directory (default /tmp/kiln-speed)")
    p.add_argument("--threads", default="1,2", help="thread counts, comma separated (default 1,2)")
    p.add_argument("--runs", type=int, default=20, help="timed runs per round (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="onnxruntime warm-up runs (default 3)")
    p.add_argument("--rounds", type=int, default=2, help="alternating kiln/ORT rounds (default 2)")
    p.add_argument("--kiln-args", default="", help="extra `kiln compile` arguments, e.g. --cpu=avx2")
    p.add_argument("--out", default=os.path.join(HERE, "speed.md"), help="report file (default bench/speed.md)")
    return p.parse_args(argv)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def fma_peak(work, threads):
    exe = os.path.join(work, "fma_peak")
    run(["cc", "-O2", "-std=c11", "-pthread", os.path.join(HERE, "fma_peak.c"), "-o", exe])
    out = run([exe] + [str(t) for t in threads])
    peaks, isa = {}, "?"
    for line in out.splitlines():
        m = re.match(r"threads (\d+) isa (\S+) gflops ([\d.]+)", line)
        if m:
            peaks[int(m.group(1))] = float(m.group(3))
            isa = m.group(2)
    return peaks, isa


def model_inputs(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    res = []
    for v in m.graph.input:
        if v.name in inits:
            continue
        res.append((v.name, [d.dim_value if d.HasField("dim_value") else 1 for d in v.type.tensor_type.shape.dim]))
    return res, [o.name for o in m.graph.output]


SETTLE = 0.3  # seconds of pause before each timed round


def ort_session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_time(sess, feeds, warmup, runs):
    for _ in range(warmup):
        sess.run(None, feeds)
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        t.append((time.perf_counter() - t0) * 1e3)
    return min(t), statistics.median(t)


def kiln_time(exe, ins, outdir, runs):
    out = run([exe] + ins + ["--repeat", str(runs), "-o", outdir])
    m = re.search(r"min ([\d.]+) ms, median ([\d.]+) ms", out)
    if not m:
        raise RuntimeError("no timing line in:\n" + out)
    return float(m.group(1)), float(m.group(2))


def flops_of(kiln, path):
    import json
    out = run([kiln, "inspect", path, "--json"])
    return json.loads(out)["flops"]


def bench_model(args, name, desc, build, kind, threads, peaks):
    import kilntest
    import onnx
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, name + ".onnx")
    onnx.save(build(), path)
    flops = flops_of(args.kiln, path)
    inputs, outputs = model_inputs(path)
    rng = np.random.default_rng(7)
    feeds, ins = {}, []
    for k, (iname, shp) in enumerate(inputs):
        a = (rng.random(shp) if kind == "uniform" else rng.standard_normal(shp)).astype(np.float32)
        feeds[iname] = a
        p = os.path.join(work, "input_%d.npy" % k)
        np.save(p, a)
        ins.append(p)
    rows = []
    for t in threads:
        out = os.path.join(work, "t%d" % t)
        run([args.kiln, "compile", path, "-o", out, "--name", name, "--exe", "--threads=%d" % t] +
            shlex.split(args.kiln_args))
        run(["make", "-s", "-C", out])
        exe = os.path.join(out, name)
        sess = ort_session(path, t)
        # correctness against onnxruntime on this input
        res = os.path.join(out, "res")
        run([exe] + ins + ["-o", res])
        ref = sess.run(None, feeds)
        err = 0.0
        for oname, want in zip(outputs, ref):
            got = kilntest.load_tensor(os.path.join(res, kilntest.sanitize(oname) + ".npy"))
            scale = max(1.0, float(np.abs(want).max(initial=0.0)))
            err = max(err, float(np.abs(got.astype(np.float64) - want).max(initial=0.0)) / scale)
        kmins, kmeds, omins, omeds = [], [], [], []
        for _ in range(args.rounds):
            time.sleep(SETTLE)
            a, b = kiln_time(exe, ins, res, args.runs)
            kmins.append(a)
            kmeds.append(b)
            time.sleep(SETTLE)
            a, b = ort_time(sess, feeds, args.warmup, args.runs)
            omins.append(a)
            omeds.append(b)
        row = {"model": name, "desc": desc, "threads": t, "gflop": flops / 1e9, "kmin": min(kmins),
               "kmed": statistics.median(kmeds), "omin": min(omins), "omed": statistics.median(omeds), "err": err}
        row["ratio"] = row["kmed"] / row["omed"]
        row["gflops"] = flops / (row["kmed"] * 1e-3) / 1e9
        row["peak"] = 100.0 * row["gflops"] / peaks[t] if t in peaks else float("nan")
        rows.append(row)
        print("%-16s T=%d  kiln %8.3f / %8.3f ms   ORT %8.3f / %8.3f ms   kiln/ORT %5.2f   %6.1f GFLOP/s %5.1f%% peak"
              "   err %.1e" % (name, t, row["kmin"], row["kmed"], row["omin"], row["omed"], row["ratio"],
                               row["gflops"], row["peak"], err), flush=True)
    return rows


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def write_report(args, rows, peaks, isa, failures, argv, load):
    import onnxruntime
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    with open(args.out, "w") as f:
        f.write("# kiln vs onnxruntime: CPU latency\n\n")
        f.write("Generated by `python3 bench/speed.py %s`; do not edit by hand.\n\n" % " ".join(argv))
        f.write("- machine: %s, %d logical CPUs; 1-minute load average %.2f before, %.2f after the runs "
                "(other work shares the machine: when a second CPU is busy the T=2 rows "
                "show it as a kiln/ORT ratio that moves between runs)\n" % (
                    cpu_name(), os.cpu_count(), load[0], load[1]))
        f.write("- FMA peak (bench/fma_peak.c, %s; at T threads at least T times the 1-thread one): %s\n" % (
            isa, ", ".join("%.0f GFLOP/s at %d thread%s" % (v, k, "s" if k > 1 else "") for k, v in sorted(peaks.items()))))
        f.write("- kiln: `kiln compile --exe --threads=T %s`, built by the generated Makefile (%s, -O2)\n" % (
            args.kiln_args or "(default --cpu=native)", cc))
        f.write("- onnxruntime %s: ORT_ENABLE_ALL, intra_op_num_threads=T, sequential; timed around "
                "InferenceSession.run from Python\n" % onnxruntime.__version__)
        f.write("- %d timed runs per round, %d rounds alternating kiln and onnxruntime; min = best run, "
                "median = median of the rounds' medians (ms)\n" % (args.runs, args.rounds))
        f.write("- GFLOP/s from kiln's median; % peak = that / the FMA peak at T threads; "
                "err = max |kiln - ORT| / max(1, max |ORT|)\n\n")
        f.write("| model | T | GFLOP | kiln min | kiln median | ORT min | ORT median | kiln/ORT | kiln GFLOP/s | % peak | err |\n")
        f.write("|---|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f | %.1f | %.1e |\n" % (
                r["desc"], r["threads"], r["gflop"], r["kmin"], r["kmed"], r["omin"], r["omed"], r["ratio"],
                r["gflops"], r["peak"], r["err"]))
        for name, msg in failures:
            f.write("\n- %s: not measured: %s\n" % (name, msg.strip().splitlines()[-1] if msg.strip() else "?"))


def main(argv):
    args = parse_args(argv)
    args.kiln = os.path.abspath(args.kiln)
    os.makedirs(args.work, exist_ok=True)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    load0 = os.getloadavg()[0]
    peaks, isa = fma_peak(args.work, sorted(set(threads) | {1}))
    # a second CPU busy with other work depresses the measured multi-thread
    # peak: T threads' peak is at least T times one thread's
    for t in list(peaks):
        peaks[t] = max(peaks[t], t * peaks.get(1, 0.0))
    print("FMA peak (%s): %s" % (isa, ", ".join("%d thread(s) %.1f GFLOP/s" % (k, v) for k, v in sorted(peaks.items()))))
    rows, failures = [], []
    for name, desc, build, kind in MODELS:
        if args.models and name not in args.models:
            continue
        try:
            rows += bench_model(args, name, desc, build, kind, threads, peaks)
        except Exception as e:  # noqa: BLE001 - report and go on with the other models
            print("%s: FAILED: %s" % (name, e), flush=True)
            failures.append((name, str(e)))
    write_report(args, rows, peaks, isa, failures, argv, (load0, os.getloadavg()[0]))
    print("wrote", args.out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
