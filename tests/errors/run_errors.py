#!/usr/bin/env python3
"""run_errors.py - kiln on broken and hostile models: it must fail cleanly.

    python3 run_errors.py KILN [--valgrind N] [--sanitized] [-j 2] [CASE...]

The corpus is written at test time by make_corpus.py into a temporary folder
(one folder per case), and tests/text/err_*.kg (the text-format fixtures,
with their .err files) are reused as they are. For every error case,
`kiln compile MODEL -o OUT` must:

  * exit with status 1 (not 0, not 2 = internal error, not a signal, and
    within --timeout seconds),
  * print as its first stderr line exactly the line in CASE.err, once the
    case folder is written as $DIR; that line starts with the model's path
    (the message names the file; where a node is involved, its name is in
    the expected line),
  * print nothing on stdout and leave nothing behind: no OUT folder, no new
    file in the case folder,
  * stay under a 2 GiB address-space limit (a hostile header must not make
    kiln allocate what it declares before checking it).

ok_* cases must compile (exit 0, empty stderr) to C that a C compiler
accepts with -std=c11 -Wall -Wextra -Werror.

--valgrind N runs every Nth case again under valgrind (memcheck, leak check:
no invalid access, no definite/indirect leak; 0 = off). --sanitized says KILN
is an ASan/UBSan build: no address-space limit (ASan reserves terabytes),
allocations above 1 GiB fail instead (so allocating before validating shows
up as a wrong message), and leaks are reported by LeakSanitizer.
--regen rewrites the .err files from kiln's output (review the diff!).

Ends with `error tests: P passed, F failed`; exit status 0 iff F == 0, 77 if
the onnx Python package is missing.
"""

import argparse
import concurrent.futures as cf
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_DIR = os.path.join(os.path.dirname(HERE), "text")
MEM_LIMIT = 2 << 30
# cases whose data really is larger than the memory limit: under valgrind (no limit)
# kiln would read gigabytes, so they run only with the limit or ASan's allocation cap
NO_VALGRIND = {"ext_huge_sparse"}
ASAN_ALLOC_WARNING = re.compile(r"^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes$")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kiln")
    p.add_argument("cases", nargs="*", help="run only these cases (default: all)")
    p.add_argument("--valgrind", type=int, default=0, metavar="N", help="also run every Nth case under valgrind")
    p.add_argument("--sanitized", action="store_true", help="KILN is an ASan/UBSan build")
    p.add_argument("--regen", action="store_true", help="rewrite the .err files from kiln's output")
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=30, help="seconds per kiln run (valgrind: 10x)")
    p.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler for the ok_* cases")
    p.add_argument("--work", help="keep the corpus and outputs here (default: a temporary folder)")
    return p.parse_intermixed_args(argv)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


def run(cmd, cwd=None, timeout=30, env=None, rlimit=True):
    """(returncode, stdout, stderr); a timeout is returncode None."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, env=env,
                           preexec_fn=limit_memory if rlimit else None)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None, "", ""


def listing(d):
    out = set()
    for root, dirs, files in os.walk(d):
        for f in dirs + files:
            out.add(os.path.relpath(os.path.join(root, f), d))
    return out


def describe(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit status %d" % rc


class Case:
    def __init__(self, name, model, cwd, errfile, placeholder):
        self.name = name
        self.model = model             # path given to kiln (absolute, or relative to cwd)
        self.cwd = cwd                 # folder kiln runs in; must stay unchanged
        self.errfile = errfile         # expected first line ("" for ok_* cases)
        self.placeholder = placeholder  # (text, replacement) applied to kiln's output
        self.ok = name.startswith("ok_")


class Runner:
    def __init__(self, args, work):
        self.args = args
        self.kiln = os.path.abspath(args.kiln)
        self.work = work
        self.env = dict(os.environ)
        if args.sanitized:
            self.env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:"
                                        "max_allocation_size_mb=1024:" + self.env.get("ASAN_OPTIONS", ""))
            self.env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:" + self.env.get("UBSAN_OPTIONS", "")

    def check(self, case, valgrind=False):
        """Returns a list of problems (empty: passed)."""
        out = os.path.join(self.work, "out", case.name + ("_vg" if valgrind else ""))
        before = listing(case.cwd)
        cmd = [self.kiln, "compile", case.model, "-o", out]
        timeout = self.args.timeout
        if valgrind:
            cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"] + cmd
            timeout *= 10
        rc, so, se = run(cmd, cwd=case.cwd, timeout=timeout, env=self.env,
                         rlimit=not (valgrind or self.args.sanitized))
        if self.args.sanitized:
            # the allocation cap makes ASan warn before returning NULL: that is the point, not a report
            se = "".join(l for l in se.splitlines(True) if not ASAN_ALLOC_WARNING.match(l))
        text, repl = case.placeholder
        se_disp = se.replace(text, repl) if text else se
        lines = se_disp.splitlines()
        first = lines[0] if lines else ""
        problems = []
        if case.ok:
            if rc != 0:
                problems.append("%s, expected success:\n%s" % (describe(rc), se_disp.strip()[:2000]))
            elif se.strip() and not valgrind:
                problems.append("stderr not empty:\n" + se_disp.strip()[:2000])
            else:
                problems += self.check_output(case, out)
            return problems
        if valgrind and rc == 99:
            return ["valgrind reported errors:\n" + "\n".join(se_disp.splitlines()[:40])]
        if rc != 1:
            problems.append("%s, expected 1" % describe(rc))
        if self.args.sanitized and ("Sanitizer" in se or "runtime error:" in se):
            problems.append("sanitizer report:\n" + "\n".join(lines[:40]))
        if self.args.regen and rc == 1 and not valgrind and not case.name.startswith("text/"):
            with open(case.errfile, "w") as f:
                f.write(first + "\n")
        try:
            want = open(case.errfile).read().rstrip("\n")
        except OSError:
            want = None
        if want is None:
            problems.append("no %s (run with --regen to create it); kiln said:\n%s" % (case.errfile, first))
        elif first != want:
            problems.append("first line differs:\n  got:      %s\n  expected: %s" % (first, want))
        if first and not first.startswith(case.model.replace(text, repl) + ":"):
            problems.append("the first line does not start with the model's path")
        if so.strip() and not valgrind:
            problems.append("unexpected stdout:\n" + so.strip()[:500])
        if os.path.exists(out):
            problems.append("output folder %s was left behind" % out)
        after = listing(case.cwd)
        if after - before:
            problems.append("files left in %s: %s" % (case.cwd, ", ".join(sorted(after - before))))
        return problems

    def check_output(self, case, out):
        """An ok_* case: the four files, and NAME.c accepted by a C compiler."""
        name = os.path.splitext(os.path.basename(case.model))[0]
        problems = []
        for suffix in (".h", ".c", ".weights", "_weights.S"):
            if not os.path.exists(os.path.join(out, name + suffix)):
                problems.append("%s%s was not written" % (name, suffix))
        if not problems:
            rc, so, se = run([self.args.cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                              name + ".c"], cwd=out, timeout=120, rlimit=False)
            if rc != 0:
                problems.append("generated %s.c does not compile (%s):\n%s" % (name, describe(rc),
                                                                              (so + se).strip()[:2000]))
        shutil.rmtree(out, ignore_errors=True)
        return problems


def collect(args, corpus):
    import make_corpus
    names = make_corpus.write(corpus, args.cases)
    cases = []
    for n in names:
        d = os.path.join(corpus, n)
        cases.append(Case(n, make_corpus.model_file(corpus, n), d, os.path.join(HERE, n + ".err"), (d, "$DIR")))
    # the text-format fixtures, run in their own folder with relative paths, as their .err files expect
    for f in sorted(os.listdir(TEXT_DIR)):
        if f.startswith("err_") and f.endswith(".kg"):
            n = "text/" + f[:-3]
            if args.cases and n not in args.cases and f[:-3] not in args.cases:
                continue
            cases.append(Case(n, f, TEXT_DIR, os.path.join(TEXT_DIR, f[:-3] + ".err"), ("", "")))
    return cases


def main(argv):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
    except ImportError:
        print("error tests: cannot import onnx (pip install onnx); skipped")
        return 77
    if not os.access(args.kiln, os.X_OK):
        print("error tests: kiln binary %s not found" % args.kiln)
        return 1
    if args.valgrind and not shutil.which("valgrind"):
        print("warning: valgrind not found; the valgrind pass is skipped")
        args.valgrind = 0
    sys.path.insert(0, HERE)
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="kiln-errors-")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "corpus")
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
    os.makedirs(os.path.join(work, "out"))
    cases = collect(args, corpus)
    runner = Runner(args, work)
    jobs = [(c, False) for c in cases]
    if args.valgrind:
        jobs += [(c, True) for c in cases[::args.valgrind] if c.name not in NO_VALGRIND]
    print("%d cases (%d text fixtures), %d under valgrind, kiln %s%s" % (
        len(cases), sum(c.name.startswith("text/") for c in cases), len(jobs) - len(cases), runner.kiln,
        " (sanitized)" if args.sanitized else ""))
    sys.stdout.flush()
    npass = nfail = 0
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(runner.check, c, vg): (c, vg) for c, vg in jobs}
        results = {}
        for fut in cf.as_completed(futs):
            c, vg = futs[fut]
            try:
                results[(c.name, vg)] = fut.result()
            except Exception as e:  # noqa: BLE001 - a runner bug fails that case only
                results[(c.name, vg)] = ["runner error: %r" % e]
    for c, vg in jobs:
        probs = results[(c.name, vg)]
        tag = c.name + (" [valgrind]" if vg else "")
        if probs:
            nfail += 1
            print("FAIL %s\n    %s" % (tag, "\n    ".join("\n".join(probs).splitlines())))
        else:
            npass += 1
            print("ok   %s" % tag)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print("error tests: %d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
