"""kilntest.py - helpers shared by kiln's model-level test runners.

Used by tests/onnx/run_node_tests.py (ONNX backend node tests) and
tests/models/run_models.py (end-to-end models against onnxruntime):

  * reading tensors (ONNX TensorProto .pb, .npy) into numpy arrays,
  * the output comparison (|a - b| <= atol + rtol * |b|, NaN matches NaN,
    inf matches an inf of the same sign, integers and bools exact), which on
    a mismatch names the first bad index and both values,
  * running `kiln compile ... --exe` and building the generated executable
    fast: the runtime sources (krt_*.c) are the same for every model, so they
    are compiled once per build directory and linked into every case; the
    model itself is built by one `cc` invocation (m.c + main.c + weights .S).

Test-time only: needs numpy and onnx, never part of compiling a model.
"""

import hashlib
import os
import re
import shlex
import subprocess
import threading

import numpy as np

# ONNX's own backend test runner defaults (onnx/backend/test/case/test_case.py).
RTOL = 1e-3
ATOL = 1e-7

_SANITIZE = re.compile(r"[^A-Za-z0-9_.-]")


def sanitize(name):
    """File name the generated executable uses for output `name` (krt_sanitize_name)."""
    return _SANITIZE.sub("_", name)


def load_tensor(path):
    """A numpy array from a .npy file or a serialized ONNX TensorProto."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head == b"\x93NUMPY":
        return np.load(path, allow_pickle=False)
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def _fmt(x):
    if isinstance(x, np.floating):
        return str(x)           # shortest round-trip text for its own precision
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, (np.bool_, bool)):
        return str(bool(x))
    return str(x.item() if hasattr(x, "item") else x)


def compare(got, want, rtol=RTOL, atol=ATOL):
    """Compare an output with its reference.

    Returns (ok, message, max_abs_err). message is "" when ok; otherwise it
    names what differs: dtype, shape, or the first bad element (multi-index,
    flat index, got value, expected value) and how many elements are bad.
    max_abs_err is over the finite elements (0.0 for non-float dtypes when
    equal, None when shapes/dtypes differ)."""
    got = np.asarray(got)
    want = np.asarray(want)
    if got.dtype != want.dtype:
        return False, "dtype %s, expected %s" % (got.dtype, want.dtype), None
    if got.shape != want.shape:
        return False, "shape %s, expected %s" % (list(got.shape), list(want.shape)), None
    if got.size == 0:
        return True, "", 0.0
    if want.dtype.kind in "fc":
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        gn, wn = np.isnan(g), np.isnan(w)
        gi, wi = np.isinf(g), np.isinf(w)
        fin = ~(gn | wn | gi | wi)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.where(fin, np.abs(g - w), 0.0)
        bad = (gn != wn) | (gi != wi) | (gi & wi & (np.sign(g) != np.sign(w)))
        bad |= fin & (diff > atol + rtol * np.abs(np.where(fin, w, 0.0)))
        maxerr = float(diff.max()) if fin.any() else 0.0
    else:
        bad = got != want
        maxerr = 0.0 if not bad.any() else None
        if maxerr is None and want.dtype.kind in "iu":
            maxerr = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    nbad = int(np.count_nonzero(bad))
    if nbad == 0:
        return True, "", maxerr
    flat = int(np.flatnonzero(bad.ravel())[0])
    idx = np.unravel_index(flat, want.shape) if want.ndim else ()
    msg = "%d of %d elements differ; first at index %s (flat %d): got %s, expected %s" % (
        nbad, want.size, list(int(i) for i in idx), flat,
        _fmt(got.ravel()[flat]), _fmt(want.ravel()[flat]))
    if want.dtype.kind in "fc":
        msg += " (rtol %g, atol %g, max abs err %.3g)" % (rtol, atol, maxerr)
    return False, msg, maxerr


def run(cmd, cwd=None, timeout=None):
    """subprocess.run capturing text output; a timeout becomes returncode -9."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return -9, out, err + "\n(timed out after %ss)" % timeout


def describe_exit(rc):
    if rc == -9:
        return "timed out"
    if rc < 0:
        import signal
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit code %d" % rc


class Builder:
    """Builds executables from `kiln compile --exe` output directories.

    The runtime sources kiln copies into every output directory (krt.h,
    krt_*.c) are identical across models: they are compiled once into
    objdir and reused. A directory whose runtime files differ from the
    cached ones (it should not happen) gets its own objects. Thread-safe.
    """

    DEFAULT_CFLAGS = "-std=c11 -Wall -Wextra -Werror"

    def __init__(self, objdir, cc=None, opt="-O1", cflags=None, timeout=600):
        self.objdir = objdir
        self.cc = shlex.split(cc or os.environ.get("CC") or "cc")
        self.opt = opt
        self.cflags_override = shlex.split(cflags) if cflags is not None else None
        self.timeout = timeout
        self.lock = threading.Lock()
        self.rt = {}          # digest of runtime sources -> (objs, flags) or error string

    @staticmethod
    def makefile_flags(outdir):
        """(CFLAGS, LDLIBS) words from the generated Makefile, or (None, None).
        Optimization flags are dropped (the caller picks one)."""
        try:
            text = open(os.path.join(outdir, "Makefile")).read()
        except OSError:
            return None, None
        text = text.replace("\\\n", " ")
        vals = {}
        for var in ("CFLAGS", "LDLIBS", "CPPFLAGS"):
            m = re.search(r"^%s\s*[?:+]?=\s*(.*)$" % var, text, re.M)
            vals[var] = m.group(1).strip() if m else ""
        if not vals["CFLAGS"] and not vals["LDLIBS"]:
            return None, None
        cflags = [w for w in shlex.split(vals["CPPFLAGS"] + " " + vals["CFLAGS"])
                  if not re.match(r"^-O[0-9sgz]?$", w) and "$" not in w]
        ldlibs = [w for w in shlex.split(vals["LDLIBS"]) if "$" not in w]
        return cflags, ldlibs

    def _flags(self, outdir):
        cflags, ldlibs = self.makefile_flags(outdir)
        if self.cflags_override is not None:
            cflags = self.cflags_override
        if cflags is None:
            cflags = shlex.split(self.DEFAULT_CFLAGS)
        if not ldlibs:
            ldlibs = ["-lm"]
        return cflags, ldlibs

    def _runtime(self, outdir, cflags):
        names = sorted(f for f in os.listdir(outdir)
                       if f.startswith("krt") and (f.endswith(".c") or f.endswith(".h")))
        h = hashlib.sha256(" ".join(cflags + [self.opt]).encode())
        for n in names:
            h.update(n.encode() + b"\0")
            with open(os.path.join(outdir, n), "rb") as f:
                h.update(f.read())
        key = h.hexdigest()[:16]
        with self.lock:
            if key in self.rt:
                return self.rt[key]
            d = os.path.join(self.objdir, "krt-" + key)
            os.makedirs(d, exist_ok=True)
            objs = []
            for n in names:
                if not n.endswith(".c"):
                    continue
                o = os.path.join(d, n[:-2] + ".o")
                rc, out, err = run(self.cc + cflags + [self.opt, "-c", os.path.join(outdir, n), "-o", o],
                                   timeout=self.timeout)
                if rc != 0:
                    self.rt[key] = "runtime %s did not build (%s):\n%s%s" % (n, describe_exit(rc), out, err)
                    return self.rt[key]
                objs.append(o)
            self.rt[key] = objs
            return objs

    def build(self, outdir, name):
        """Build outdir/name; returns (ok, message)."""
        cflags, ldlibs = self._flags(outdir)
        objs = self._runtime(outdir, cflags)
        if isinstance(objs, str):
            return False, objs
        srcs = [name + ".c", "main.c"]
        if os.path.exists(os.path.join(outdir, name + "_weights.S")):
            srcs.append(name + "_weights.S")
        cmd = self.cc + cflags + [self.opt, "-I.", "-o", name] + srcs + objs + ldlibs
        rc, out, err = run(cmd, cwd=outdir, timeout=self.timeout)
        if rc != 0:
            # the compiler's messages first (reports truncate), the command last
            return False, "cc %s\n%s%s\ncommand: %s" % (describe_exit(rc), out, err, " ".join(cmd))
        return True, ""


def self_test():
    """Checks of the comparison and tensor I/O (python3 kilntest.py)."""
    import tempfile
    f = np.float32
    assert compare(np.array([1, 2], f), np.array([1, 2], f))[0]
    assert compare(np.array([1.0005], f), np.array([1.0], f))[0]           # within rtol
    ok, msg, _ = compare(np.array([1.0, 1.01], f), np.array([1.0, 1.0], f))
    assert not ok and "index [1]" in msg and "1.01" in msg, msg
    assert compare(np.array([np.nan, np.inf, -np.inf], f), np.array([np.nan, np.inf, -np.inf], f))[0]
    assert not compare(np.array([np.inf], f), np.array([-np.inf], f))[0]
    assert not compare(np.array([np.nan], f), np.array([0.0], f))[0]
    assert not compare(np.array([0.0], f), np.array([np.nan], f))[0]
    assert not compare(np.array([1e30], f), np.array([np.inf], f))[0]
    assert compare(np.array([0.0], f), np.array([5e-8], f))[0]            # atol
    assert not compare(np.array([0.0], f), np.array([5e-7], f))[0]
    ok, msg, _ = compare(np.zeros((2, 3), f), np.zeros((3, 2), f))
    assert not ok and "shape" in msg
    ok, msg, _ = compare(np.zeros(3, np.float64), np.zeros(3, f))
    assert not ok and "dtype" in msg
    ok, msg, _ = compare(np.array([[1, 2], [3, 5]], np.int64), np.array([[1, 2], [3, 4]], np.int64))
    assert not ok and "[1, 1]" in msg and "got 5, expected 4" in msg, msg
    assert compare(np.array([True, False]), np.array([True, False]))[0]
    assert not compare(np.array([True, True]), np.array([True, False]))[0]
    assert compare(np.array(3.0, f), np.array(3.0, f))[0]                 # rank 0
    assert compare(np.zeros((0, 3), f), np.zeros((0, 3), f))[0]
    assert sanitize("gpu_0/softmax:1 x") == "gpu_0_softmax_1_x"
    import onnx
    from onnx import numpy_helper
    with tempfile.TemporaryDirectory() as d:
        for a in (np.arange(6, dtype=f).reshape(2, 3), np.array([True, False]),
                  np.array(7, np.int64), np.arange(4, dtype=np.uint8)):
            p = os.path.join(d, "t.pb")
            open(p, "wb").write(numpy_helper.from_array(a, "t").SerializeToString())
            b = load_tensor(p)
            assert b.dtype == a.dtype and b.shape == a.shape and (b == a).all()
            p = os.path.join(d, "t.npy")
            np.save(p, a)
            b = load_tensor(p)
            assert b.dtype == a.dtype and b.shape == a.shape and (b == a).all()
    del onnx
    print("kilntest self-test passed")


if __name__ == "__main__":
    self_test()
