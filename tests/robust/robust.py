#!/usr/bin/env python3
"""robust.py - the model-level half of run_robust.sh.

    python3 robust.py --kiln KILN [--asan-kiln KILN2] --work DIR [-j 2] [MODEL...]

For every end-to-end model of tests/models/make_models.py (ResNet-18 at
--resnet18-size, 64 by default, to keep CI short):

  determinism   `kiln compile --exe` twice (the second time from another
                folder, through a relative path) gives byte-identical files
                (the ASan+UBSan and valgrind runs of kiln on every model are
                kiln_models.py's);
  strict-gcc,   NAME.c + tests/robust/harness.c built with gcc / clang at
  strict-clang  -std=c11 -Wall -Wextra -Wconversion -Wshadow -Werror plus
                -fsanitize=address,undefined -fno-sanitize-recover=all; the
                harness passes (API argument checks, poisoned-arena and
                reentrancy runs, inputs untouched, exact-size buffers) and
                its outputs match the normal build's (gcc -O2, the generated
                Makefile's flags): |a - b| <= 1e-5 + 1e-5 |b|; bit-identical
                outputs are reported as such;
  main-strict   main.c and the runtime (krt_*.c) the --exe output carries
                compile with the same strict flags;
  run-twice     two runs of the normal build give bit-identical outputs.

With --asan-kiln, also a sample of the ONNX node test models (every Nth,
--node-sample) must compile with the ASan kiln to the same bytes as with
the normal kiln (or fail with the same first diagnostic line).

Numerics (needs onnxruntime): small models fed NaN, +-Inf and huge values
compared with onnxruntime (NaN matches NaN, inf matches inf of the same
sign); MaxPool and GlobalMaxPool, on which onnxruntime's NaN handling is
inconsistent, against ONNX's reference implementation (onnx.reference), with
the fast and the reference kernels; Softmax / LogSoftmax on logits of +-1e4
must stay finite. Denormals: a model compiled with --ftz and fed denormal
inputs gives exact zeros (fast kernels on 2 threads, reference kernels),
without --ftz the IEEE results; NAME_run restores the caller's MXCSR; a
caller that sets FTZ|DAZ itself gets zeros from every worker thread
(tests/robust/ftz_driver.c).

Prints `ok`/`FAIL` per check and ends with `robust tests: P passed, F failed`.
"""

import argparse
import concurrent.futures as cf
import filecmp
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "onnx"))
sys.path.insert(0, os.path.join(TESTS, "models"))
import kilntest  # noqa: E402

STRICT = ["-std=c11", "-Wall", "-Wextra", "-Wconversion", "-Wshadow", "-Werror"]
SAN = ["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
# Debug info of the sanitized builds: full -g doubles their compile time (the
# fast kernels' unrolled tiles; 23 models x 2 compilers were most of this
# test's time), so gcc gets line tables only (-g1, free) and clang none
# (its line tables cost a quarter more); a build whose harness fails is
# rebuilt with -g and run again, so the report carries file and line.
SAN_DEBUG = {"gcc": ["-g1"], "clang": []}
NORMAL = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror"]   # templates/Makefile.in's CFLAGS
# Ops whose NaN handling onnxruntime does not define consistently (its MaxPool
# result depends on where the NaN sits in the window, its GlobalMaxPool skips
# NaN): these are compared with ONNX's own reference implementation
# (onnx.reference.ReferenceEvaluator) instead. MaxPool drops NaN from the
# window (a NaN never wins against a number), GlobalMaxPool propagates it.
# Each runs with the fast kernels (--cpu=native) and the reference kernels
# (--cpu=generic).
REFERENCE_OPS = ("MaxPool", "GlobalMaxPool")
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="*", help="only these models (default: all)")
    p.add_argument("--kiln", required=True)
    p.add_argument("--asan-kiln", help="an ASan/UBSan build of kiln")
    p.add_argument("--work", required=True)
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--resnet18-size", type=int, default=64)
    p.add_argument("--node-cache", help="folder holding the generated ONNX node tests")
    p.add_argument("--node-sample", type=int, default=10, help="every Nth node test for the ASan kiln (0: none)")
    p.add_argument("--no-numerics", action="store_true")
    p.add_argument("--timeout", type=int, default=300)
    return p.parse_args(argv)


def run(cmd, cwd=None, timeout=300, env=None):
    """(returncode, stdout, stderr); env entries are added to the environment; a timeout is -9."""
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout, env=e)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -9, "", "(timed out after %ss)" % timeout


def tail(text, n=25):
    return "\n".join(text.strip().splitlines()[-n:])


def same_tree(a, b):
    """None if folders a and b hold the same files with the same bytes, else a description."""
    fa, fb = sorted(os.listdir(a)), sorted(os.listdir(b))
    if fa != fb:
        return "file lists differ: %s vs %s" % (fa, fb)
    _, mismatch, errors = filecmp.cmpfiles(a, b, fa, shallow=False)
    if mismatch or errors:
        return "files differ: %s" % ", ".join(mismatch + errors)
    return None


class Results:
    def __init__(self):
        self.items = []

    def add(self, name, problem):
        self.items.append((name, problem))
        print("%s %s%s" % ("ok  " if not problem else "FAIL", name,
                           "" if not problem else "\n    " + str(problem).replace("\n", "\n    ")))
        sys.stdout.flush()


# ------------------------------------------------------------------ models

def model_checks(args, name, path, res, have_clang):
    """All checks of one model; returns a list of (check, problem-or-None)."""
    out = []
    work = os.path.join(args.work, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    a, b = (os.path.join(work, x) for x in ("a", "b"))
    rc, so, se = run([args.kiln, "compile", path, "-o", a, "--name", name, "--exe"], timeout=args.timeout)
    if rc != 0:
        return [("compile %s" % name, "kiln compile: %s\n%s" % (kilntest.describe_exit(rc), tail(se)))]
    # determinism: again, from another folder through a relative path
    rel = os.path.relpath(path, work)
    rc, so, se = run([args.kiln, "compile", rel, "-o", "b", "--name", name, "--exe"], cwd=work, timeout=args.timeout)
    out.append(("determinism %s: compile twice" % name,
                "second compile: %s" % tail(se) if rc else same_tree(a, b)))

    # the runtime and main.c of the --exe output, at the strict flags
    srcs = sorted(f for f in os.listdir(a) if f == "main.c" or (f.startswith("krt") and f.endswith(".c")))
    probs = []
    for cc in (["gcc"] + (["clang"] if have_clang else [])):
        rc, so, se = run([cc] + STRICT + ["-fsyntax-only", "-I."] + srcs, cwd=a)
        if rc:
            probs.append("%s: %s" % (cc, tail(se, 12)))
    out.append(("main-strict %s: main.c + runtime at %s" % (name, " ".join(STRICT[1:])), "\n".join(probs) or None))

    # the harness: normal build, then sanitized strict builds
    defs = ["-DKILN_MODEL=%s" % name, "-DKILN_MODEL_H=\"%s.h\"" % name, "-I."]
    srcs = [os.path.join(HERE, "harness.c"), name + ".c", name + "_weights.S", "-lm"]
    builds = [("normal", "gcc", NORMAL)]
    builds.append(("strict-gcc", "gcc", STRICT + SAN))
    if have_clang:
        builds.append(("strict-clang", "clang", STRICT + SAN))
    outputs = {}
    for tag, cc, flags in builds:
        exe = os.path.join(a, "harness_" + tag)
        dbg = SAN_DEBUG[cc] if tag != "normal" else []
        rc, so, se = run([cc] + flags + dbg + defs + ["-o", exe] + srcs, cwd=a, timeout=args.timeout)
        if rc:
            out.append(("%s %s: build" % (tag, name), "%s %s\n%s" % (cc, kilntest.describe_exit(rc), tail(se, 30))))
            continue
        ofile = os.path.join(a, "out_%s.bin" % tag)
        rc, so, se = run([exe, ofile], cwd=a, timeout=args.timeout, env=SAN_ENV)
        if rc and tag != "normal":
            # again with full debug info, for a report with file and line
            rc2, so2, se2 = run([cc] + flags + ["-g"] + defs + ["-o", exe + "_g"] + srcs, cwd=a, timeout=args.timeout)
            if rc2 == 0:
                rc3, so3, se3 = run([exe + "_g", ofile + ".g"], cwd=a, timeout=args.timeout, env=SAN_ENV)
                se = ("(the -g rebuild: %s)\n%s" % (kilntest.describe_exit(rc3), se3) if rc3
                      else "(the -g rebuild passed; the first run's report:)\n" + se)
        if rc:
            out.append(("%s %s: harness" % (tag, name), "%s\n%s" % (kilntest.describe_exit(rc), tail(se, 30))))
            continue
        outputs[tag] = ofile
        if tag == "normal":
            ofile2 = os.path.join(a, "out_normal2.bin")
            rc, so, se = run([exe, ofile2], cwd=a, timeout=args.timeout)
            prob = kilntest.describe_exit(rc) if rc else (None if filecmp.cmp(ofile, ofile2, shallow=False)
                                                           else "the two runs' outputs differ")
            out.append(("run-twice %s: bit-identical outputs" % name, prob))
            out.append(("harness %s: API checks, poisoned arena, reentrancy" % name, None))
        else:
            out.append(("%s %s: builds, harness passes, outputs match" % (tag, name), compare_outputs(
                a, name, outputs.get("normal"), ofile)))
    return out


def output_layout(outdir, name):
    """[(dtype, count)] of the outputs (count slots included), from NAME.h."""
    macros = {}
    for line in open(os.path.join(outdir, name + ".h")):
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "#define":
            macros[parts[1]] = parts[2]
    nout = int(macros["%s_NUM_OUTPUTS" % name])
    ncount = int(macros.get("%s_NUM_COUNTS" % name, "0"))
    np_types = {1: np.float32, 11: np.float64, 7: np.int64, 6: np.int32, 9: np.uint8, 2: np.uint8, 3: np.int8}
    lay = []
    for k in range(nout):
        dt = int(macros["%s_OUTPUT_%d_DTYPE" % (name, k)])
        lay.append((np_types.get(dt, np.uint8), int(macros["%s_OUTPUT_%d_SIZE" % (name, k)])))
    lay += [(np.int64, 1)] * ncount
    return lay


def compare_outputs(outdir, name, ref_file, got_file):
    if ref_file is None:
        return "no normal build to compare with"
    ref, got = open(ref_file, "rb").read(), open(got_file, "rb").read()
    if ref == got:
        return None
    if len(ref) != len(got):
        return "output sizes differ: %d vs %d bytes" % (len(got), len(ref))
    off = 0
    for k, (dt, n) in enumerate(output_layout(outdir, name)):
        nb = np.dtype(dt).itemsize * n
        r = np.frombuffer(ref[off:off + nb], dt)
        g = np.frombuffer(got[off:off + nb], dt)
        off += nb
        ok, msg, _ = kilntest.compare(g, r, rtol=1e-5, atol=1e-5)
        if not ok:
            return "output %d vs the normal build: %s" % (k, msg)
    return None


def node_sample(args, res):
    """The ASan kiln on a sample of node test models: same bytes or the same first error line."""
    import gen_node_tests
    cache = args.node_cache
    if not (cache and os.path.exists(os.path.join(cache, ".stamp"))):
        cache = os.path.join(args.work, "node-cases")
        gen_node_tests.generate(cache, log=lambda *a: None)
    cases = sorted(c for c in os.listdir(cache) if os.path.exists(os.path.join(cache, c, "model.onnx")))
    cases = cases[::args.node_sample]
    work = os.path.join(args.work, "node-sample")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    def one(case):
        path = os.path.join(cache, case, "model.onnx")
        a, c = os.path.join(work, case + ".a"), os.path.join(work, case + ".c")
        r1 = run([args.kiln, "compile", path, "-o", a, "--name", "m"], timeout=args.timeout)
        r2 = run([args.asan_kiln, "compile", path, "-o", c, "--name", "m"], timeout=args.timeout, env=SAN_ENV)
        if "Sanitizer" in r2[2] or "runtime error" in r2[2] or r2[0] not in (0, 1, 2):
            return "%s: ASan kiln %s\n%s" % (case, kilntest.describe_exit(r2[0]), tail(r2[2], 30))
        if r1[0] != r2[0]:
            return "%s: exit %d with the normal kiln, %d with the ASan kiln" % (case, r1[0], r2[0])
        if r1[0] != 0:
            l1, l2 = (r1[2].splitlines() or [""])[0], (r2[2].splitlines() or [""])[0]
            return None if l1 == l2 else "%s: first lines differ:\n%s\n%s" % (case, l1, l2)
        prob = same_tree(a, c)
        shutil.rmtree(a, ignore_errors=True)
        shutil.rmtree(c, ignore_errors=True)
        return prob and "%s: %s" % (case, prob)

    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        probs = [p for p in ex.map(one, cases) if p]
    res.add("asan-kiln node tests: %d models (every %dth) compile cleanly to the same bytes" % (
        len(cases), args.node_sample), "\n".join(probs[:10]) or None)


# ---------------------------------------------------------------- numerics

def numerics(args, res, builder):
    """NaN / Inf / huge inputs through small models, against onnxruntime."""
    try:
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as e:
        res.add("numerics", "skipped: cannot import %s" % e.name)
        return
    f32 = np.float32
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3e38, -3e38, 1e-45, 88.0, -88.0, 1e4,
                        -1e4, 0.5, -0.5], f32)

    def vi(n, shape):
        return helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)

    def unary(op, **attrs):
        return [helper.make_node(op, ["x"], ["y"], name=op.lower(), **attrs)], [], {"x": special.reshape(1, 16)}

    cases = {}
    for op in ("Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg", "Floor", "Ceil", "Erf", "Softplus",
               "Elu", "Selu", "HardSigmoid", "Sign", "Reciprocal", "Softsign"):
        cases[op] = unary(op)
    cases["LeakyRelu"] = unary("LeakyRelu", alpha=0.1)
    cases["Clip"] = ([helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip")],
                     [numpy_helper.from_array(np.array(-1, f32), "lo"), numpy_helper.from_array(np.array(1, f32), "hi")],
                     {"x": special.reshape(1, 16)})
    pair = np.stack([special, special[::-1]]).astype(f32)
    for op in ("Add", "Sub", "Mul", "Div"):
        cases[op] = ([helper.make_node(op, ["x", "z"], ["y"], name=op.lower())], [],
                     {"x": pair[:1], "z": pair[1:]})
    img = special.reshape(1, 1, 4, 4)
    cases["MaxPool"] = ([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2])], [], {"x": img})
    # NaN in most windows, some with several, a 3x3 padded window (the padding
    # never wins), 16 channels of 9x9 (the vector kernels' full blocks and tails)
    nanimg = np.resize(special, (1, 16, 9, 9)).copy()
    nanimg[0, :, ::3, 1::2] = np.nan
    cases["MaxPool (3x3 pad 1)"] = ([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3],
                                                      pads=[1, 1, 1, 1])], [], {"x": nanimg})
    cases["GlobalMaxPool (NaN inside)"] = ([helper.make_node("GlobalMaxPool", ["x"], ["y"], name="gmp")], [],
                                           {"x": np.roll(nanimg, 5)})
    cases["AveragePool"] = ([helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[2, 2])], [],
                            {"x": img})
    cases["GlobalAveragePool"] = ([helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")], [], {"x": img})
    w = numpy_helper.from_array(np.array([0.5, -1.0, 2.0, 0.0], f32).reshape(1, 1, 2, 2), "w")
    cases["Conv"] = ([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [w], {"x": img})
    gw = numpy_helper.from_array(np.eye(16, dtype=f32)[:, :4], "w")
    cases["Gemm"] = ([helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm")], [gw], {"x": special.reshape(1, 16)})
    for op in ("Max", "Min"):
        cases[op] = ([helper.make_node(op, ["x", "z"], ["y"], name=op.lower())], [], {"x": pair[:1], "z": pair[1:]})
    cases["GlobalMaxPool"] = ([helper.make_node("GlobalMaxPool", ["x"], ["y"], name="gmp")], [], {"x": img})
    for op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"):
        cases[op] = ([helper.make_node(op, ["x"], ["y"], name=op.lower(), keepdims=1)], [], {"x": pair})
    rows = np.array([[1e4, -1e4, 0, 1], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, -1e4], [1e4, 9999, -3e4, 5]], f32)
    for op in ("Softmax", "LogSoftmax"):
        cases[op + " (logits 1e4)"] = ([helper.make_node(op, ["x"], ["y"], name=op.lower(), axis=-1)], [], {"x": rows})
        cases[op + " (special)"] = ([helper.make_node(op, ["x"], ["y"], name=op.lower(), axis=-1)], [],
                                    {"x": special.reshape(4, 4)})
    bn = [numpy_helper.from_array(np.array([v], f32), n) for n, v in
          (("s", 1.0), ("b", 0.0), ("m", 0.0), ("v", 1.0))]
    cases["BatchNormalization"] = ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                                     name="bn")], bn, {"x": img})

    work = os.path.join(args.work, "numerics")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    from onnx.reference import ReferenceEvaluator
    todo = []
    for label, case in sorted(cases.items()):
        if label.split(" ")[0] in REFERENCE_OPS:
            todo += [(label + " [native]", case, ["--cpu=native"]), (label + " [generic]", case, ["--cpu=generic"])]
        else:
            todo.append((label, case, []))

    def one(item):
        label, (nodes, inits, feeds), kargs = item
        name = "n_" + "".join(ch if ch.isalnum() else "_" for ch in label.lower()).strip("_")
        sess_inputs = [vi(k, list(v.shape)) for k, v in feeds.items()]
        g = helper.make_graph(nodes, name, sess_inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        path = os.path.join(work, name + ".onnx")
        onnx.save(m, path)
        with np.errstate(all="ignore"):
            if label.split(" ")[0] in REFERENCE_OPS:
                want = ReferenceEvaluator(m).run(None, feeds)[0]
            else:
                want = ort.InferenceSession(m.SerializeToString(),
                                            providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        outdir = os.path.join(work, name)
        rc, so, se = run([args.kiln, "compile", path, "-o", outdir, "--name", name, "--exe"] + kargs)
        if rc:
            return label, "kiln compile: %s" % tail(se, 5)
        ok, msg = builder.build(outdir, name)
        if not ok:
            return label, msg
        ins = []
        for k, (iname, arr) in enumerate(feeds.items()):
            p = os.path.join(outdir, "in%d.npy" % k)
            np.save(p, arr)
            ins.append(p)
        rc, so, se = run([os.path.join(outdir, name)] + ins + ["-o", outdir], cwd=outdir)
        if rc:
            return label, "run: %s\n%s" % (kilntest.describe_exit(rc), tail(se, 10))
        got = kilntest.load_tensor(os.path.join(outdir, "y.npy"))
        ok, msg, _ = kilntest.compare(got, want, rtol=1e-5, atol=1e-6)
        if ok and "1e4" in label and not np.isfinite(got).all():
            ok, msg = False, "non-finite output on finite logits: %s" % got
        return label, None if ok else msg + "\n    input %s\n    got      %s\n    expected %s" % (
            np.array2string(next(iter(feeds.values())).ravel(), precision=3, max_line_width=200),
            np.array2string(got.ravel(), precision=4, max_line_width=200),
            np.array2string(want.ravel(), precision=4, max_line_width=200))

    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for label, prob in ex.map(one, todo):
            what = "ONNX's reference implementation" if label.split(" ")[0] in REFERENCE_OPS else "onnxruntime"
            res.add("numerics %s: matches %s on NaN/Inf/huge inputs" % (label, what), prob)


# ------------------------------------------------------------------- --ftz

def ftz_checks(args, res):
    """--ftz: a model fed denormal inputs gives exact zeros with it and IEEE
    results without it, on the fast kernels with a pool of 2 threads and on
    the reference kernels; NAME_run leaves the caller's MXCSR control bits
    as they were; a caller that sets FTZ|DAZ itself gets flushed results on
    every worker thread of a model compiled without --ftz."""
    import platform
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    if platform.machine().lower() not in ("x86_64", "amd64", "i686", "i386"):
        res.add("ftz: not an x86 machine, --ftz is a documented no-op here (not checked)", None)
        return
    work = os.path.join(args.work, "ftz")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(7)
    f32 = np.float32
    # a 1x1 Conv on the packed-GEMM kernels (split into several tasks) and an
    # elementwise Mul on the reference kernels; x is all denormal
    w = (rng.standard_normal((64, 32, 1, 1)) * 0.5).astype(f32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv"),
             helper.make_node("Mul", ["x", "half"], ["z"], name="mul")]
    g = helper.make_graph(nodes, "ftz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 56, 56])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64, 56, 56]),
                           helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 32, 56, 56])],
                          initializer=[numpy_helper.from_array(w, "w"),
                                       numpy_helper.from_array(np.array(0.5, f32), "half")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path = os.path.join(work, "ftz.onnx")
    onnx.save(m, path)
    x = (rng.uniform(0.05, 1.0, (1, 32, 56, 56)) * rng.choice([-1, 1], (1, 32, 56, 56)) * 1e-38).astype(f32)
    assert (np.abs(x) < np.finfo(f32).tiny).all() and (x != 0).all()
    with np.errstate(all="ignore"):
        want_y = np.einsum("oc,nchw->nohw", w[:, :, 0, 0].astype(np.float64), x.astype(np.float64))
        want_z = (x.astype(np.float64) * 0.5)
    inbin = os.path.join(work, "x.bin")
    x.tofile(inbin)
    driver = os.path.join(HERE, "ftz_driver.c")

    def one(tag, kargs, caller_ftz, expect_zero):
        outdir = os.path.join(work, tag)
        rc, so, se = run([args.kiln, "compile", path, "-o", outdir, "--name", "ftz"] + kargs, timeout=args.timeout)
        if rc:
            return "kiln compile: %s\n%s" % (kilntest.describe_exit(rc), tail(se))
        threads = "--threads=1" not in kargs
        exe = os.path.join(outdir, "driver")
        cmd = ["gcc"] + STRICT + ["-O2", "-DKILN_MODEL=ftz", "-DKILN_MODEL_H=\"ftz.h\"",
                                  "-DKILN_THREADS=%d" % threads, "-I.", "-o", exe, driver, "ftz.c", "ftz_weights.S",
                                  "-lm"] + (["-pthread"] if threads else [])
        rc, so, se = run(cmd, cwd=outdir, timeout=args.timeout)
        if rc:
            return "build: %s\n%s" % (kilntest.describe_exit(rc), tail(se, 20))
        obin = os.path.join(outdir, "out.bin")
        rc, so, se = run([exe, inbin, obin] + (["caller-ftz"] if caller_ftz else []), cwd=outdir,
                         timeout=args.timeout)
        if rc:
            return "driver: %s\n%s" % (kilntest.describe_exit(rc), tail(so + se, 10))
        got = np.fromfile(obin, f32)
        gy, gz = got[:want_y.size], got[want_y.size:]
        if expect_zero:
            nz = int(np.count_nonzero(got))
            return None if nz == 0 else "%d of %d outputs are not zero (e.g. %r)" % (nz, got.size, got[got != 0][:4])
        # IEEE: denormal arithmetic, close to the float64 result (denormal precision is absolute)
        for name, gv, wv in (("conv", gy, want_y.ravel()), ("mul", gz, want_z.ravel())):
            err = np.abs(gv.astype(np.float64) - wv)
            if not (err <= 1e-44 + 1e-5 * np.abs(wv)).all():
                return "%s: not the IEEE result, max error %.3g (e.g. got %r, expected %r)" % (
                    name, err.max(), gv[:3], wv[:3])
            if np.count_nonzero(gv) < 0.9 * gv.size:
                return "%s: only %d of %d outputs are non-zero" % (name, np.count_nonzero(gv), gv.size)
        return None

    todo = [
        ("ftz fast threads=2", ["--ftz", "--cpu=native", "--threads=2"], False, True,
         "--ftz, fast kernels, 2 threads: denormal inputs give zeros, caller's MXCSR restored"),
        ("ftz generic", ["--ftz", "--cpu=generic", "--threads=1"], False, True,
         "--ftz, reference kernels: denormal inputs give zeros, caller's MXCSR restored"),
        ("ieee fast threads=2", ["--cpu=native", "--threads=2"], False, False,
         "without --ftz, fast kernels, 2 threads: IEEE denormal results, MXCSR untouched"),
        ("ieee generic", ["--cpu=generic", "--threads=1"], False, False,
         "without --ftz, reference kernels: IEEE denormal results, MXCSR untouched"),
        ("caller ftz threads=2", ["--cpu=native", "--threads=2"], True, True,
         "without --ftz, caller sets FTZ|DAZ: zeros on every worker thread too"),
    ]
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(one, "_".join(t.split()).replace("=", ""), k, c, z) for t, k, c, z, _ in todo]
        for (t, k, c, z, label), fut in zip(todo, futs):
            try:
                prob = fut.result()
            except Exception as e:  # noqa: BLE001
                prob = "runner error: %r" % e
            res.add("ftz %s" % label, prob)


def main(argv):
    args = parse_args(argv)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    try:
        import onnx
        import make_models
    except ImportError as e:
        print("robust tests: cannot import %s; skipped" % e.name)
        return 77
    t0 = time.time()
    res = Results()
    have_clang = shutil.which("clang") is not None
    if not have_clang:
        res.add("clang available for strict-clang builds", "clang not found")
    mdir = os.path.join(args.work, "models")
    os.makedirs(mdir, exist_ok=True)
    todo = []
    for name, fn in make_models.MODELS.items():
        if args.models and name not in args.models:
            continue
        path = os.path.join(mdir, name + ".onnx")
        onnx.save(fn(args.resnet18_size) if name == "resnet18" else fn(), path)
        todo.append((name, path))
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(model_checks, args, n, p, res, have_clang) for n, p in todo]
        for (n, p), fut in zip(todo, futs):
            try:
                checks = fut.result()
            except Exception as e:  # noqa: BLE001 - a runner bug fails that model only
                checks = [("model %s" % n, "runner error: %r" % e)]
            for check, prob in checks:
                res.add(check, prob)
            if not any(prob for _, prob in checks):
                shutil.rmtree(os.path.join(args.work, n), ignore_errors=True)
    if args.asan_kiln and args.node_sample > 0 and not args.models:
        node_sample(args, res)
    if not args.no_numerics:
        builder = kilntest.Builder(os.path.join(args.work, "obj"), opt="-O1")
        numerics(args, res, builder)
        ftz_checks(args, res)
    npass = sum(1 for _, p in res.items if not p)
    nfail = len(res.items) - npass
    print("robust (models, determinism, harness, numerics): %.0f s" % (time.time() - t0))
    print("robust tests: %d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
