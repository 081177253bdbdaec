#!/usr/bin/env python3
"""denormals.py - what denormal inputs cost a convolution, with and without --ftz.

A benchmark, not a test: it prints numbers and passes or fails nothing.

One 3x3 Conv (64 -> 64 channels, 56x56, ReLU) is compiled twice, with and
without `kiln compile --ftz`, each with the default fast kernels and one
thread (--cpu and --threads can be changed with --kiln-args). Each program
is timed (`--repeat N`: min and median of N runs after a warm-up) on two
inputs of the same magnitude pattern:

  normal     uniform in +-[0.1, 1)
  denormal   the same values times 1e-39 (every element a float32 denormal;
             outputs are denormal too)

Rows alternate between the builds and the inputs, three rounds, and the
best min is kept (the machine may be shared). Without --ftz the denormal
input is computed exactly (IEEE), which on many x86 cores costs a
microcode assist per denormal operand or result; with --ftz NAME_run
sets MXCSR's FTZ and DAZ bits, denormals read and write as zero, and the
two inputs take the same time.

    python3 bench/denormals.py --kiln build/kiln [--repeat 20] [--rounds 3]
                               [--kiln-args "--threads=1"] [--work DIR]
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", required=True)
    p.add_argument("--repeat", type=int, default=20, help="timed runs per measurement (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best min is kept (default 3)")
    p.add_argument("--kiln-args", default="--threads=1", help="extra kiln compile arguments (default --threads=1)")
    p.add_argument("--work", help="keep the generated programs here (default: a temporary folder)")
    return p.parse_args(argv)


def make_model(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = np.zeros(64, np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "denorm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, 56, 56])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 56, 56])],
                          initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def time_run(exe, inp, outdir, repeat):
    p = subprocess.run([exe, inp, "-o", outdir, "--repeat", str(repeat)], capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s failed:\n%s" % (exe, p.stdout + p.stderr))
    m = re.search(r"min ([0-9.]+) ms, median ([0-9.]+) ms", p.stdout)
    if not m:
        sys.exit("no timing in the output of %s:\n%s" % (exe, p.stdout))
    return float(m.group(1)), float(m.group(2))


def main(argv):
    args = parse_args(argv)
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="kiln-denormals-")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "denorm.onnx")
    make_model(model)
    rng = np.random.default_rng(5)
    base = (rng.uniform(0.1, 1.0, (1, 64, 56, 56)) * rng.choice([-1, 1], (1, 64, 56, 56))).astype(np.float32)
    inputs = {"normal": base, "denormal": (base * np.float32(1e-39)).astype(np.float32)}
    assert (np.abs(inputs["denormal"]) < np.finfo(np.float32).tiny).all()
    files = {}
    for k, v in inputs.items():
        files[k] = os.path.join(work, k + ".npy")
        np.save(files[k], v)
    builds = {}
    for tag, extra in (("IEEE", []), ("--ftz", ["--ftz"])):
        out = os.path.join(work, "ftz" if extra else "ieee")
        shutil.rmtree(out, ignore_errors=True)
        cmd = [args.kiln, "compile", model, "-o", out, "--name", "denorm", "--exe"] + extra + shlex.split(args.kiln_args)
        subprocess.run(cmd, check=True)
        subprocess.run(["make", "-s", "-C", out], check=True, stdout=subprocess.DEVNULL)
        builds[tag] = os.path.join(out, "denorm")
    best = {}
    for _ in range(max(1, args.rounds)):
        for tag, exe in builds.items():
            for k, f in files.items():
                mn, med = time_run(exe, f, os.path.join(work, "out"), args.repeat)
                old = best.get((tag, k))
                best[(tag, k)] = (mn, med) if old is None or mn < old[0] else old
    print("3x3 Conv 64->64 at 56x56 + ReLU (kiln compile %s), ms per run, best of %d rounds of %d runs" % (
        args.kiln_args, args.rounds, args.repeat))
    print("%-8s %-9s %9s %9s" % ("build", "input", "min", "median"))
    for tag in builds:
        for k in files:
            mn, med = best[(tag, k)]
            print("%-8s %-9s %9.3f %9.3f" % (tag, k, mn, med))
    for tag in builds:
        print("%s: denormal / normal = %.2fx" % (tag, best[(tag, "denormal")][0] / best[(tag, "normal")][0]))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
