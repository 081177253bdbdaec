#!/usr/bin/env python3
"""run_real.py - real pretrained models through kiln, compared with onnxruntime.

The models are the three PaddleOCR networks that the rapidocr_onnxruntime
wheel ships (rapidocr_onnxruntime/models/):

  det  ch_PP-OCRv4_det_infer.onnx          DBNet text detector (PP-LCNetV3 +
       LKPAN: Conv, HardSigmoid, ConvTranspose, nearest Resize), one
       probability map per pixel
  cls  ch_ppocr_mobile_v2.0_cls_infer.onnx  text-direction classifier (0 / 180)
  rec  ch_PP-OCRv4_rec_infer.onnx          SVTR-LCNet recognizer (convs, then
       a transformer mixer: LayerNorm spelled out, MatMul attention) with a
       softmax over 6625 characters at each of 40 time steps

Nothing is committed or installed: the wheel is fetched once with
`python -m pip download --no-deps rapidocr_onnxruntime==1.4.4 -d CACHE`
(checked against its sha256), the three .onnx files are read out of it with
zipfile into CACHE/models-1.4.4/, and a later run reuses both. If pip cannot
fetch the wheel (offline) the test exits 77 and ctest reports it skipped.

Their inputs have symbolic dimensions; each is bound with --shape to the size
the package feeds it (rapidocr_onnxruntime/config.yaml and ch_ppocr_*):

  det  1x3x736x960  limit_type "min", limit_side_len 736: the short side of a
                    page is scaled to 736, both sides rounded to a multiple of
                    32 (a 3:4 page gives 736x960 or, upright, 960x736)
  cls  6x3x48x192   cls_image_shape [3, 48, 192], cls_batch_num 6
  rec  6x3x48x320   rec_img_shape [3, 48, 320], rec_batch_num 6

For each model the script runs `kiln inspect` (must succeed and list no
unsupported op), `kiln compile --exe`, builds the program like
tests/models/run_models.py does, and runs it on two inputs:

  noise  seeded uniform [-1, 1), the range of the package's normalization
  text   a synthetic document made with numpy (paper with noise, lines of
         stroke glyphs in dark ink; for cls / rec single text lines, half of
         the cls crops upside down), normalized as the package does:
         (pixel / 255 - 0.5) / 0.5, HWC -> CHW, cls / rec crops zero-padded
         on the right to the model width

Every output is compared with onnxruntime (CPU, one thread) on the same input
at the tolerance of the model tests, |a - b| <= 1e-4 + 1e-4 * |b| (the worst
element used about a quarter of it when this test was written). A model kiln
rejects with an "unsupported" diagnostic is reported as UNSUPPORTED naming the
op, not failed. The final line is `real models: P passed, F failed`; exit
status 0 iff F == 0.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "models"))
sys.path.insert(0, os.path.join(TESTS, "onnx"))
import kilntest  # noqa: E402
import run_models  # noqa: E402

PACKAGE, VERSION = "rapidocr_onnxruntime", "1.4.4"
WHEEL = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
WHEEL_SHA256 = "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
SEED = 2024

# name, file inside the wheel, input shape (input 'x' of every model)
MODELS = [
    ("det", "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx", (1, 3, 736, 960)),
    ("cls", "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", (6, 3, 48, 192)),
    ("rec", "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx", (6, 3, 48, 320)),
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("filters", nargs="*", help="run models whose name contains one of these")
    p.add_argument("--kiln", required=True, help="the kiln binary")
    p.add_argument("--work", default="real-tests", help="work directory (default ./real-tests)")
    p.add_argument("--cache", default=os.environ.get("KILN_REAL_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "kiln", "real"),
        help="where the wheel and the extracted models are kept ($KILN_REAL_CACHE, "
             "default ~/.cache/kiln/real)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="models in parallel (default 2)")
    p.add_argument("--cc", help="C compiler (default $CC or cc)")
    p.add_argument("--opt", default="-O2", help="optimization flag for generated code (default -O2)")
    p.add_argument("--cflags", help="compile flags instead of the generated Makefile's")
    p.add_argument("--timeout", type=int, default=900, help="seconds per compile / build / run step")
    p.add_argument("--keep", action="store_true", help="keep the output of passing models")
    return p.parse_args(argv)


# ------------------------------------------------------------------ the models

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_wheel(cache):
    """Path of the verified wheel in cache, downloading it if needed; or
    (None, why) when pip cannot get it."""
    path = os.path.join(cache, WHEEL)
    if os.path.exists(path) and sha256(path) == WHEEL_SHA256:
        return path, ""
    if os.path.exists(path):
        os.remove(path)                     # truncated or foreign: fetch again
    os.makedirs(cache, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "%s==%s" % (PACKAGE, VERSION), "-d", cache]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        rc, text = p.returncode, (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        rc, text = -1, str(e)
    if rc != 0 or not os.path.exists(path):
        last = text.splitlines()[-1] if text else "no output"
        return None, "`%s` failed (exit %d): %s" % (" ".join(cmd[2:]), rc, last)
    got = sha256(path)
    if got != WHEEL_SHA256:
        return None, "downloaded %s has sha256 %s, expected %s" % (WHEEL, got, WHEEL_SHA256)
    return path, ""


def extract_models(wheel, cache):
    """The three .onnx files read out of the wheel into cache/models-VERSION/."""
    out = os.path.join(cache, "models-" + VERSION)
    os.makedirs(out, exist_ok=True)
    paths = {}
    with zipfile.ZipFile(wheel) as z:
        for name, member, _ in MODELS:
            dst = os.path.join(out, os.path.basename(member))
            info = z.getinfo(member)
            if not (os.path.exists(dst) and os.path.getsize(dst) == info.file_size):
                tmp = dst + ".part"
                with z.open(member) as src, open(tmp, "wb") as f:
                    shutil.copyfileobj(src, f)
                os.replace(tmp, dst)
            paths[name] = dst
    return paths


# ------------------------------------------------------------------ inputs

def _box_blur(img, r):
    """Mean over a (2r+1)^2 window (edges clamped), on the first two axes."""
    for axis in (0, 1):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(img, pad, mode="edge"), axis=axis, dtype=np.float64)
        n = img.shape[axis]
        img = (np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
               - np.take(c, np.arange(0, n), axis=axis)) / (2 * r + 1)
    return img


def _glyph(rng, gh, gw):
    """A character-like mask: 2-4 thick strokes between nodes of a 3 x 5 grid."""
    m = np.zeros((gh, gw), bool)
    th = max(1, gh // 9)
    nodes = [(y, x) for y in np.linspace(th, gh - 1 - th, 5) for x in np.linspace(th, gw - 1 - th, 3)]
    for _ in range(rng.integers(2, 5)):
        (y0, x0), (y1, x1) = (nodes[i] for i in rng.choice(len(nodes), 2, replace=False))
        for t in np.linspace(0.0, 1.0, 4 * max(gh, gw)):
            y, x = int(round(y0 + t * (y1 - y0))), int(round(x0 + t * (x1 - x0)))
            m[max(0, y - th // 2):y + th - th // 2, max(0, x - th // 2):x + th - th // 2] = True
    return m


def text_line(rng, gh, width):
    """Ink coverage (0..1) of one line of glyphs of height gh, [gh, width]."""
    line = np.zeros((gh, width), np.float32)
    x = int(rng.integers(0, gh // 2 + 1))
    while True:
        gw = int(gh * rng.uniform(0.5, 0.9))
        if x + gw > width:
            break
        line[:, x:x + gw] = np.maximum(line[:, x:x + gw], _glyph(rng, gh, gw))
        x += gw + int(gh * rng.uniform(0.08, 0.2))
        if rng.random() < 0.12:
            x += gh // 2                    # a word gap
    return line


def render(rng, ink, paper=232.0):
    """BGR uint8-valued image from ink coverage [H, W]: paper with a tint and
    noise, dark ink, slightly blurred like a scan."""
    h, w = ink.shape
    ink = _box_blur(ink[:, :, None], 1)
    tint = rng.uniform(-8, 8, 3)
    bg = paper + tint + _box_blur(rng.normal(0, 6, (h, w, 1)), 2)
    fg = rng.uniform(15, 50) + tint * 0.5
    img = bg * (1 - ink) + fg * ink + rng.normal(0, 2, (h, w, 3))
    return np.clip(np.round(img), 0, 255)


def normalize(img):
    """The package's (pixel / 255 - 0.5) / 0.5 and HWC -> CHW, float32."""
    img = (img.astype(np.float32) / 255.0 - 0.5) / 0.5
    return img.transpose(2, 0, 1).astype(np.float32)


def page(rng, h, w):
    """A document page with text lines of a few sizes and margins."""
    ink = np.zeros((h, w), np.float32)
    y = int(rng.integers(24, 48))
    while True:
        gh = int(rng.choice([14, 18, 24, 32]))
        if y + gh > h - 24:
            break
        x0 = int(rng.integers(24, 64))
        x1 = int(rng.integers(w // 2, w - 24))
        ink[y:y + gh, x0:x1] = text_line(rng, gh, x1 - x0)
        y += int(gh * rng.uniform(1.5, 2.6))
    return normalize(render(rng, ink))


def crops(rng, n, h, w, flip_half):
    """n text-line crops as the package feeds cls / rec: the line scaled to
    height h, width ceil(h * aspect) capped at w, zero (gray) on the right."""
    out = np.zeros((n, 3, h, w), np.float32)
    for i in range(n):
        used = int(rng.integers(h, w + 1))
        gh = int(h * rng.uniform(0.55, 0.75))
        ink = np.zeros((h, used), np.float32)
        top = (h - gh) // 2 + int(rng.integers(-3, 4))
        ink[top:top + gh] = text_line(rng, gh, used)
        img = normalize(render(rng, ink))
        if flip_half and i % 2:
            img = img[:, ::-1, ::-1]        # rotated by 180 degrees: cls's other class
        out[i, :, :, :used] = img
    return out


def make_inputs(name, shape):
    """{tag: array} for one model: seeded noise and the synthetic text."""
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    feeds = {"noise": rng.uniform(-1.0, 1.0, shape).astype(np.float32)}
    n, _, h, w = shape
    if name == "det":
        feeds["text"] = np.stack([page(rng, h, w) for _ in range(n)])
    else:
        feeds["text"] = crops(rng, n, h, w, flip_half=(name == "cls"))
    return feeds


# ------------------------------------------------------------------ running

def inspect(kiln, path, shape_arg, r, timeout):
    """`kiln inspect --json`: must succeed and report no unsupported op."""
    rc, out, err = kilntest.run([kiln, "inspect", path, "--shape", shape_arg, "--json"], timeout=timeout)
    if rc != 0:
        ops = run_models.unsupported_ops(err)
        if rc == 1 and "unsupported" in err.lower():
            r["status"] = run_models.UNSUP
            r["ops"] = ops
            r["message"] = "kiln inspect: unsupported op(s) %s: %s" % (
                ", ".join(ops) or "?", err.strip().splitlines()[0])
        else:
            r["message"] = "kiln inspect: %s\n%s" % (kilntest.describe_exit(rc),
                                                     "\n".join(err.strip().splitlines()[:12]))
        return False
    try:
        rep = json.loads(out)
    except ValueError as e:
        r["message"] = "kiln inspect --json: not JSON (%s)" % e
        return False
    if rep.get("unsupported_ops"):
        r["status"] = run_models.UNSUP
        r["ops"] = sorted(rep["unsupported_ops"])
        r["message"] = "kiln inspect lists unsupported op(s): %s" % ", ".join(r["ops"])
        return False
    r["inspect"] = {k: rep.get(k) for k in ("nodes_before", "nodes_after", "parameters", "flops",
                                            "weights_bytes", "arena_bytes")}
    return True


def run_one(runner, name, path, shape):
    r = {"name": name, "kind": "real", "status": run_models.FAIL, "message": "", "errors": {},
         "shape": "x".join(map(str, shape))}
    shape_arg = "x=" + r["shape"]
    if not inspect(runner.kiln, path, shape_arg, r, runner.args.timeout):
        return r
    outdir = os.path.join(runner.work, name)
    shutil.rmtree(outdir, ignore_errors=True)
    t = time.time()
    rc, out, err = kilntest.run([runner.kiln, "compile", path, "-o", outdir, "--name", name, "--exe",
                                 "--shape", shape_arg], timeout=runner.args.timeout)
    r["t_compile"] = time.time() - t
    if rc != 0:
        if rc == 1 and "unsupported" in err.lower():
            r["status"] = run_models.UNSUP
            r["ops"] = run_models.unsupported_ops(err)
            r["message"] = "unsupported op(s) %s" % ", ".join(r["ops"] or ["?"])
        else:
            r["message"] = "kiln compile: %s\n%s" % (kilntest.describe_exit(rc),
                                                     "\n".join((out + err).strip().splitlines()[:12]))
        return r
    t = time.time()
    ok, msg = runner.builder.build(outdir, name)
    r["t_build"] = time.time() - t
    if not ok:
        r["message"] = "build failed: " + "\n".join(msg.strip().splitlines()[:20])
        return r
    _, r["outputs"] = run_models.model_inputs(path)
    ok = True
    for tag, x in make_inputs(name, shape).items():
        feeds = {"x": x}
        got = runner.run_exe(outdir, name, feeds, tag, r)
        if got is None:
            return r
        t = time.time()
        ref = run_models.ort_run(path, feeds)
        r["t_ort"] = r.get("t_ort", 0.0) + time.time() - t
        ok = runner.check(got, ref, tag, r) and ok
        r.setdefault("summary", {})[tag] = describe_output(name, ref[r["outputs"][0]])
    if ok:
        r["status"] = run_models.PASS
        if not runner.args.keep:
            shutil.rmtree(outdir, ignore_errors=True)
    return r


def describe_output(name, y):
    """One line on what the reference output says (so a reader can tell the
    text input exercised the model)."""
    if name == "det":
        return "text-probability > 0.3 on %.1f%% of pixels, max %.3f" % (100.0 * float((y > 0.3).mean()),
                                                                          float(y.max()))
    if name == "cls":
        return "P(180 deg) per crop: %s" % " ".join("%.2f" % p for p in y[:, 1])
    steps = (y.argmax(-1) != 0).sum(-1)     # index 0 is CTC's blank
    return "non-blank CTC steps per line: %s" % " ".join(str(int(s)) for s in steps)


def main(argv):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print("real models: cannot import %s; pip install onnx onnxruntime numpy" % e.name)
        return 77
    if not os.access(args.kiln, os.X_OK):
        print("real models: kiln binary %s not found" % args.kiln)
        return 1
    t0 = time.time()
    try:
        wheel, why = fetch_wheel(os.path.abspath(args.cache))
    except OSError as e:                    # e.g. a cache folder that cannot be created
        wheel, why = None, "cache %s: %s" % (args.cache, e)
    if wheel is None:
        print("real models: skipped: cannot fetch %s==%s: %s" % (PACKAGE, VERSION, why))
        return 77
    paths = extract_models(wheel, os.path.abspath(args.cache))
    t_fetch = time.time() - t0

    runner = run_models.Runner(args)
    os.makedirs(runner.work, exist_ok=True)
    todo = [(n, paths[n], s) for n, _, s in MODELS
            if not args.filters or any(f in n for f in args.filters)]
    print("running %d real models from %s (%.1f s to fetch / extract) with %s (-j%d, %s)" % (
        len(todo), wheel, t_fetch, runner.kiln, args.jobs, args.opt))
    sys.stdout.flush()
    import concurrent.futures as cf
    results = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(run_one, runner, *e): e for e in todo}
        for fut in cf.as_completed(futs):
            name = futs[fut][0]
            try:
                r = fut.result()
            except Exception as ex_:  # noqa: BLE001 - keep going with the other models
                r = {"name": name, "kind": "real", "status": run_models.FAIL, "errors": {},
                     "message": "runner error: %r" % ex_}
            results.append(r)
            errs = [v for v in r["errors"].values() if v is not None]
            print("%-6s %-4s %-12s max abs err %-10s compile %5.1fs build %5.1fs run %6.2fs ort %5.2fs%s" % (
                {"pass": "ok", "fail": "FAIL", "unsupported": "UNSUP"}[r["status"]], r["name"],
                r.get("shape", ""), "%.3g" % max(errs) if errs else "-", r.get("t_compile", 0),
                r.get("t_build", 0), r.get("t_run", 0), r.get("t_ort", 0),
                "\n    " + r["message"].replace("\n", "\n    ") if r["message"] else ""))
            sys.stdout.flush()
    order = [e[0] for e in todo]
    results.sort(key=lambda r: order.index(r["name"]))
    with open(os.path.join(runner.work, "report.json"), "w") as f:
        json.dump({"elapsed_s": round(time.time() - t0, 1), "results": results}, f, indent=1)
    print()
    for r in results:
        print("%-4s %-11s %s" % (r["name"], r["status"], ", ".join(
            "%s=%s" % (k, "%.3g" % v if v is not None else "-") for k, v in r["errors"].items())))
        if "inspect" in r:
            i = r["inspect"]
            print("     inspect: %s nodes -> %s after optimization, %s parameters, %.3g GFLOP, "
                  "no unsupported op" % (i["nodes_before"], i["nodes_after"], i["parameters"],
                                         (i["flops"] or 0) / 1e9))
        for tag, line in r.get("summary", {}).items():
            print("     %s input: %s" % (tag, line))
    # as in the model tests, a model kiln rejects for an op it lacks is
    # reported (naming the op), not failed: it passes once the op lands
    unsup = [r for r in results if r["status"] == run_models.UNSUP]
    for r in unsup:
        print("unsupported: %s: %s" % (r["name"], r["message"].splitlines()[0]))
    npass = sum(r["status"] == run_models.PASS for r in results)
    nfail = sum(r["status"] == run_models.FAIL for r in results)
    print("%d real models in %.0f s; %d unsupported" % (len(results), time.time() - t0, len(unsup)))
    print("real models: %d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
