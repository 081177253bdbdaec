#!/usr/bin/env python3
"""run_models.py - end-to-end models through kiln, compared with onnxruntime.

Two sets of models:

  * the synthetic networks of make_models.py (LeNet-5 ... MobileNetV2,
    ConvNeXt ... U-Net, FCN-8s, DeepLabV3, YOLO / SSD heads, a diffusion
    block), written into WORK/models/ at test time; each is compiled with
    `kiln compile NAME.onnx -o WORK/NAME --name NAME --exe`, built, run on a
    seeded random input (standard normal, or make_models.FEEDS), and every
    output is compared with onnxruntime on the same input:
    |a - b| <= 1e-4 + 1e-4 * |b|. Integer outputs (NonMaxSuppression's
    selected indices, whose row count depends on the data and which kiln's
    program trims to the valid count) must match exactly, shape included.

  * the ONNX model-zoo "light" graphs shipped in the onnx wheel
    (onnx/backend/test/data/light/light_*.onnx). They hold the real
    architectures at 1x3x224x224 but no trained weights: every weight tensor
    is a ConstantOfShape(<shape initializer>) filled with 0.02 (biases and
    BatchNorm statistics are small real initializers), and IR version 3 lists
    all initializers as graph inputs too. Because all filters are equal the
    1000 class scores are equal and the shipped softmax output is uniform
    (0.001 everywhere), which would hide almost any error; so the model is
    compiled with two internal tensors added as extra graph outputs (the
    first Conv's output and the last Conv's input), compared with
    onnxruntime relative to each tensor's scale (atol 1e-4 * max|b|,
    rtol 1e-4). Inputs: arange(n)/n (the input ONNX's runner used to make
    light_*_output_0.pb, compared with that file at the zoo's rtol / atol)
    and a seeded uniform [0, 1) tensor (compared with onnxruntime).

A model kiln rejects with an "unsupported" diagnostic is reported as
UNSUPPORTED naming the op(s); that fails the run only for models listed in
REQUIRED (every model).
Ends with the line `model tests: P passed, F failed`; exit status 0 iff F == 0.
"""

import argparse
import concurrent.futures as cf
import json
import os
import re
import shlex
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "onnx"))
import kilntest  # noqa: E402
import make_models  # noqa: E402

PASS, FAIL, UNSUP = "pass", "fail", "unsupported"
ATOL, RTOL = 1e-4, 1e-4
SEED = 1234
LIGHT = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
         "shufflenet", "squeezenet", "vgg19", "zfnet512"]
# rtol, atol ONNX's runner uses against light_*_output_0.pb (onnx/backend/test/case/model)
LIGHT_TOL = {"densenet121": (2e-3, 1e-7)}
# Every model must compile: an "unsupported" diagnostic fails the run for all
# of these (every op they use is in kiln's table, so one would be a regression).
REQUIRED = {"lenet5", "alexnet", "vgg", "inception", "resnet18", "resnet50_stage", "xception",
            "se_block", "mobilenetv2", "dw_multiplier", "fashion_cnn", "convnext", "efficientnet", "densenet",
            "resnext", "unet", "fcn8s", "deeplabv3", "yolo_head", "ssd_head", "diffusion_block", "local_functions",
            "light_bvlc_alexnet", "light_densenet121", "light_inception_v1", "light_inception_v2",
            "light_resnet50", "light_shufflenet", "light_squeezenet", "light_vgg19", "light_zfnet512"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("filters", nargs="*", help="run models whose name contains one of these")
    p.add_argument("--kiln", required=True, help="the kiln binary")
    p.add_argument("--work", default="model-tests", help="work directory (default ./model-tests)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="models in parallel (default 2)")
    p.add_argument("--cc", help="C compiler (default $CC or cc)")
    p.add_argument("--opt", default="-O2", help="optimization flag for generated code (default -O2)")
    p.add_argument("--cflags", help="compile flags instead of the generated Makefile's")
    p.add_argument("--no-light", action="store_true", help="skip the onnx wheel's light models")
    p.add_argument("--plain-light", action="store_true",
                   help="compile the light models unchanged (no extra internal outputs)")
    p.add_argument("--resnet18-size", type=int, default=224, help="ResNet-18 input size (default 224)")
    p.add_argument("--timeout", type=int, default=900, help="seconds per compile / build / run step")
    p.add_argument("--keep", action="store_true", help="keep the output of passing models")
    p.add_argument("--kiln-args", default="",
                   help="extra `kiln compile` arguments, e.g. '--cpu=avx2 --threads=2'")
    return p.parse_args(argv)


def ort_run(path_or_bytes, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    s = ort.InferenceSession(path_or_bytes, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, feeds)))


def light_dir():
    import onnx
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def augment_light(src, dst):
    """Copy of src with the first Conv's output and the last Conv's input as
    extra graph outputs. Returns their names."""
    import onnx
    from onnx import TensorProto, helper
    m = onnx.load(src)
    convs = [n for n in m.graph.node if n.op_type == "Conv"]
    have = {o.name for o in m.graph.output}
    extra = []
    for name in (convs[0].output[0], convs[-1].input[0]):
        if name not in have and name not in extra:
            extra.append(name)
            m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    onnx.save(m, dst)
    return extra


def model_inputs(path):
    """[(name, shape)] of the real graph inputs (initializers excluded)."""
    import onnx
    m = onnx.load(path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    res = []
    for v in m.graph.input:
        if v.name in inits:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in v.type.tensor_type.shape.dim]
        res.append((v.name, dims))
    return res, [o.name for o in m.graph.output]


def unsupported_ops(err):
    ops = sorted(set(re.findall(r"\(([A-Za-z0-9_]+)\):[^\n]*unsupported", err)))
    return ops


class Runner:
    def __init__(self, args):
        self.args = args
        self.kiln = os.path.abspath(args.kiln)
        self.work = os.path.abspath(args.work)
        self.builder = kilntest.Builder(os.path.join(self.work, "obj"), cc=args.cc, opt=args.opt,
                                        cflags=args.cflags, timeout=args.timeout)

    def run_exe(self, outdir, name, feeds, tag, r):
        """Write feeds as .npy, run ./name; returns {output name: array} or None."""
        ins = []
        for k, (iname, arr) in enumerate(feeds.items()):
            p = os.path.join(outdir, "%s_input_%d.npy" % (tag, k))
            np.save(p, arr)
            ins.append(p)
        res = os.path.join(outdir, "res_" + tag)
        shutil.rmtree(res, ignore_errors=True)
        os.makedirs(res)
        t = time.time()
        rc, out, err = kilntest.run([os.path.join(outdir, name)] + ins + ["-o", res], cwd=outdir,
                                    timeout=self.args.timeout)
        r["t_run"] = r.get("t_run", 0.0) + time.time() - t
        if rc != 0:
            r["message"] = "%s input: ./%s %s\n%s" % (tag, name, kilntest.describe_exit(rc),
                                                       "\n".join((out + err).strip().splitlines()[-12:]))
            return None
        got = {}
        for oname in r["outputs"]:
            p = os.path.join(res, kilntest.sanitize(oname) + ".npy")
            if not os.path.exists(p):
                r["message"] = "%s input: output '%s' not written (%s)" % (tag, oname, p)
                return None
            got[oname] = kilntest.load_tensor(p)
        return got

    def check(self, got, want, tag, r, scaled=(), rtol=RTOL, atol=ATOL, what="onnxruntime"):
        """Compare outputs; records max abs error per output; False on mismatch."""
        ok_all = True
        for oname, w in want.items():
            a = atol * max(1.0, float(np.abs(w[np.isfinite(w)]).max(initial=0.0))) if oname in scaled else atol
            ok, msg, err = kilntest.compare(got[oname], w, rtol=rtol, atol=a)
            key = "%s/%s vs %s" % (tag, oname, what)
            r["errors"][key] = err
            if not ok and ok_all:
                r["message"] = "%s input, output '%s' vs %s: %s" % (tag, oname, what, msg)
                ok_all = False
        return ok_all

    def run_model(self, entry):
        name, path, kind = entry["name"], entry["path"], entry["kind"]
        r = {"name": name, "kind": kind, "status": FAIL, "message": "", "errors": {}}
        outdir = os.path.join(self.work, name)
        shutil.rmtree(outdir, ignore_errors=True)
        t = time.time()
        rc, out, err = kilntest.run([self.kiln, "compile", path, "-o", outdir, "--name", name, "--exe"] +
                                    shlex.split(self.args.kiln_args),
                                    timeout=self.args.timeout)
        r["t_compile"] = time.time() - t
        if rc != 0:
            text = "\n".join((out + err).strip().splitlines()[:12])
            if rc == 1 and "unsupported" in err.lower():
                r["status"] = UNSUP
                r["ops"] = unsupported_ops(err)
                lines = [l for l in err.splitlines() if "unsupported" in l.lower()]
                r["message"] = "unsupported op(s) %s: %s" % (", ".join(r["ops"]) or "?", lines[0] if lines else "")
            else:
                r["message"] = "kiln compile: %s\n%s" % (kilntest.describe_exit(rc), text)
            return r
        t = time.time()
        ok, msg = self.builder.build(outdir, name)
        r["t_build"] = time.time() - t
        if not ok:
            r["message"] = "build failed: " + "\n".join(msg.strip().splitlines()[:20])
            return r

        inputs, r["outputs"] = model_inputs(path)
        rng = np.random.default_rng(SEED)
        ok = True
        if kind == "light":
            short = name[len("light_"):]
            shapes = dict(inputs)
            # 1) arange(n)/n: the input behind the shipped light_*_output_0.pb
            feeds = {}
            for iname, shp in inputs:
                n = int(np.prod(shp))
                feeds[iname] = (np.arange(n).reshape(shp) / n).astype(np.float32)
            got = self.run_exe(outdir, name, feeds, "arange", r)
            if got is None:
                return r
            ref = ort_run(path, feeds)
            ok = self.check(got, ref, "arange", r, scaled=entry["extra"])
            shipped = os.path.join(light_dir(), "%s_output_0.pb" % name)
            rt, at = LIGHT_TOL.get(short, (1e-3, 1e-7))
            ok = self.check({"output_0": got[r["outputs"][0]]}, {"output_0": kilntest.load_tensor(shipped)}, "arange", r,
                            rtol=rt, atol=at, what="shipped output_0.pb") and ok
            # 2) seeded uniform [0, 1), as the runner's random=True mode
            feeds = {iname: rng.random(shapes[iname], np.float32) for iname, _ in inputs}
        else:
            special = make_models.FEEDS.get(name, {})
            feeds = {iname: special[iname](rng, shp) if iname in special
                     else rng.standard_normal(shp).astype(np.float32) for iname, shp in inputs}
        got = self.run_exe(outdir, name, feeds, "seeded", r)
        if got is None:
            return r
        ref = ort_run(path, feeds)
        ok = self.check(got, ref, "seeded", r, scaled=entry.get("extra", ())) and ok
        if ok:
            r["status"] = PASS
            if not self.args.keep:
                shutil.rmtree(outdir, ignore_errors=True)
        return r


def entries(args, work):
    """The models to run: [{name, path, kind, extra}]."""
    mdir = os.path.join(work, "models")
    os.makedirs(mdir, exist_ok=True)
    todo = []

    def wanted(n):
        return not args.filters or any(f in n for f in args.filters)
    import onnx
    for name, fn in make_models.MODELS.items():
        if not wanted(name):
            continue
        path = os.path.join(mdir, name + ".onnx")
        m = fn(args.resnet18_size) if name == "resnet18" else fn()
        onnx.save(m, path)
        todo.append({"name": name, "path": path, "kind": "synthetic", "extra": []})
    if not args.no_light:
        for short in LIGHT:
            name = "light_" + short
            if not wanted(name):
                continue
            src = os.path.join(light_dir(), name + ".onnx")
            if not os.path.exists(src):
                print("warning: %s is not in this onnx wheel" % src)
                continue
            if args.plain_light:
                todo.append({"name": name, "path": src, "kind": "light", "extra": []})
            else:
                dst = os.path.join(mdir, name + ".onnx")
                extra = augment_light(src, dst)
                todo.append({"name": name, "path": dst, "kind": "light", "extra": extra})
    return todo


def main(argv):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print("model tests: cannot import %s; pip install onnx onnxruntime numpy" % e.name)
        return 77
    if not os.access(args.kiln, os.X_OK):
        print("model tests: kiln binary %s not found" % args.kiln)
        return 1
    t0 = time.time()
    runner = Runner(args)
    os.makedirs(runner.work, exist_ok=True)
    todo = entries(args, runner.work)
    print("running %d models with %s (-j%d, %s)" % (len(todo), runner.kiln, args.jobs, args.opt))
    sys.stdout.flush()
    results = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(runner.run_model, e): e for e in todo}
        for fut in cf.as_completed(futs):
            e = futs[fut]
            try:
                r = fut.result()
            except Exception as ex_:  # noqa: BLE001 - keep going with the other models
                r = {"name": e["name"], "kind": e["kind"], "status": FAIL, "errors": {},
                     "message": "runner error: %r" % ex_}
            results.append(r)
            errs = [v for v in r["errors"].values() if v is not None]
            print("%-6s %-22s max abs err %-10s compile %5.1fs build %5.1fs run %6.2fs%s" % (
                {"pass": "ok", "fail": "FAIL", "unsupported": "UNSUP"}[r["status"]], r["name"],
                "%.3g" % max(errs) if errs else "-", r.get("t_compile", 0), r.get("t_build", 0),
                r.get("t_run", 0), "\n    " + r["message"].replace("\n", "\n    ") if r["message"] else ""))
            sys.stdout.flush()
    order = [e["name"] for e in todo]
    results.sort(key=lambda r: order.index(r["name"]))
    npass = sum(r["status"] == PASS for r in results)
    nfail = sum(r["status"] == FAIL or (r["status"] == UNSUP and r["name"] in REQUIRED) for r in results)
    unsup = [r for r in results if r["status"] == UNSUP]
    with open(os.path.join(runner.work, "report.json"), "w") as f:
        json.dump({"elapsed_s": round(time.time() - t0, 1), "results": results}, f, indent=1)
    print("\n%-22s %-11s %s" % ("model", "status", "max abs error per output"))
    for r in results:
        print("%-22s %-11s %s" % (r["name"], r["status"], ", ".join(
            "%s=%s" % (k, "%.3g" % v if v is not None else "-") for k, v in r["errors"].items())))
    for r in unsup:
        print("unsupported%s: %s: %s" % (" (required: counted as failed)" if r["name"] in REQUIRED else "",
                                         r["name"], r["message"].splitlines()[0]))
    print("%d models in %.0f s; %d unsupported" % (len(results), time.time() - t0, len(unsup)))
    print("model tests: %d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
