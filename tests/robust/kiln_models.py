#!/usr/bin/env python3
"""kiln_models.py - the compiler itself on the whole model test set, under
valgrind and under AddressSanitizer + UndefinedBehaviorSanitizer.

    python3 kiln_models.py --kiln KILN [--asan-kiln KILN2] [--no-valgrind]
                           --work DIR [-j 2] [MODEL...]

The models are exactly those of tests/models/run_models.py (the synthetic
networks of make_models.py, ResNet-18 at 224x224, and the onnx wheel's nine
"light" zoo graphs with their two extra outputs): 31 models. For each one,
`kiln compile MODEL -o OUT --exe` with kiln's default options (--exe: the
standalone program's files are written too) must

  valgrind    run clean under valgrind memcheck: exit 0, no invalid read or
              write, no use of uninitialised memory, no definite or indirect
              leak (--error-exitcode, --leak-check=full,
              --errors-for-leak-kinds=definite,indirect); its output is not
              compared (valgrind's virtual CPU lacks AVX-512, so --cpu=native
              resolves differently there);
  asan-kiln   run clean with the ASan+UBSan build (-DKILN_SANITIZE=ON: exit
              0, no sanitizer report, LeakSanitizer on) and write the same
              bytes as the normal build.

Models run two at a time (-j). Prints `ok`/`FAIL` per check, the time of the
slowest models, and ends with `kiln-models tests: P passed, F failed`; exit
status 0 iff F == 0, 77 if the onnx package is missing.
"""

import argparse
import concurrent.futures as cf
import filecmp
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"]
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="*", help="only models whose name contains one of these")
    p.add_argument("--kiln", required=True)
    p.add_argument("--asan-kiln", help="an ASan/UBSan build of kiln")
    p.add_argument("--no-valgrind", action="store_true")
    p.add_argument("--work", required=True)
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=900, help="seconds per kiln run")
    return p.parse_args(argv)


def run(cmd, timeout, env=None):
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout, env=e)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, "(timed out after %d s)" % timeout


def describe(rc):
    return "timed out" if rc is None else "killed by signal %d" % -rc if rc < 0 else "exit status %d" % rc


def tail(text, n=30):
    return "\n".join(text.strip().splitlines()[-n:])


def same_tree(a, b):
    fa, fb = sorted(os.listdir(a)), sorted(os.listdir(b))
    if fa != fb:
        return "file lists differ: %s vs %s" % (fa, fb)
    _, mismatch, errors = filecmp.cmpfiles(a, b, fa, shallow=False)
    return "files differ: %s" % ", ".join(mismatch + errors) if mismatch or errors else None


def checks(args, name, path):
    """[(check, problem or None, seconds)] for one model."""
    work = os.path.join(args.work, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    res = []
    ref = os.path.join(work, "ref")
    if args.asan_kiln:
        rc, err = run([args.kiln, "compile", path, "-o", ref, "--exe"], args.timeout)
        if rc != 0:
            return [("compile %s" % name, "normal kiln: %s\n%s" % (describe(rc), tail(err)), 0.0)]
        t = time.time()
        out = os.path.join(work, "asan")
        rc, err = run([args.asan_kiln, "compile", path, "-o", out, "--exe"], args.timeout, SAN_ENV)
        if rc != 0 or "Sanitizer" in err or "runtime error" in err:
            prob = "ASan+UBSan kiln: %s\n%s" % (describe(rc), tail(err))
        else:
            prob = same_tree(ref, out)
        res.append(("asan-kiln %s: compiles clean, same bytes as the normal kiln" % name, prob, time.time() - t))
    if not args.no_valgrind:
        t = time.time()
        out = os.path.join(work, "vg")
        rc, err = run(VALGRIND + [args.kiln, "compile", path, "-o", out, "--exe"], args.timeout * 10)
        # (no byte comparison: valgrind's virtual CPU has no AVX-512, so --cpu=native
        # picks another kernel geometry under it)
        prob = None
        if rc != 0:
            prob = "%s under valgrind%s\n%s" % (describe(rc), " (memcheck errors)" if rc == 99 else "", tail(err, 40))
        res.append(("valgrind %s: kiln compile clean (memcheck, no definite/indirect leak)" % name, prob,
                    time.time() - t))
    if not any(p for _, p, _ in res):
        shutil.rmtree(work, ignore_errors=True)
    return res


def main(argv):
    args = parse_args(argv)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    sys.path.insert(0, os.path.join(TESTS, "onnx"))
    sys.path.insert(0, os.path.join(TESTS, "models"))
    try:
        import onnx  # noqa: F401
        import run_models
    except ImportError as e:
        print("kiln-models tests: cannot import %s; skipped" % e.name)
        return 77
    if not args.no_valgrind and not shutil.which("valgrind"):
        print("FAIL valgrind not found (apt-get install valgrind, or scripts/setup.sh --test-deps)")
        print("kiln-models tests: 0 passed, 1 failed")
        return 1
    t0 = time.time()
    margs = run_models.parse_args(["--kiln", args.kiln, "--work", args.work] + args.models)
    todo = [(e["name"], e["path"]) for e in run_models.entries(margs, args.work)]
    # the slowest first, so that two jobs finish together
    todo.sort(key=lambda e: -os.path.getsize(e[1]) * (20 if e[0].startswith("light_") else 1))
    print("kiln on %d models:%s%s (-j%d)" % (len(todo), "" if args.no_valgrind else " valgrind",
                                             " ASan+UBSan" if args.asan_kiln else "", args.jobs))
    sys.stdout.flush()
    npass = nfail = 0
    times = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(checks, args, n, p): n for n, p in todo}
        for fut in cf.as_completed(futs):
            try:
                items = fut.result()
            except Exception as e:  # noqa: BLE001 - a runner bug fails that model only
                items = [("model %s" % futs[fut], "runner error: %r" % e, 0.0)]
            for check, prob, secs in items:
                times.append((secs, check.split(":")[0]))
                if prob:
                    nfail += 1
                    print("FAIL %s\n    %s" % (check, str(prob).replace("\n", "\n    ")))
                else:
                    npass += 1
                    print("ok   %s (%.1f s)" % (check, secs))
                sys.stdout.flush()
    times.sort(reverse=True)
    print("slowest: %s" % ", ".join("%s %.0f s" % (c, s) for s, c in times[:4]))
    print("kiln-models (%d models): %.0f s" % (len(todo), time.time() - t0))
    print("kiln-models tests: %d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
