#!/usr/bin/env python3
"""run_node_tests.py - run ONNX's backend node tests through kiln.

For every case generated from the installed onnx wheel (gen_node_tests.py):

  1. kiln compile CASE/model.onnx -o WORK/out/CASE --name m --exe
     - an input that "must be a compile-time constant" is bound with
       --freeze NAME=CASE/test_data_set_0/input_K.pb and the compile retried;
     - a diagnosed error mentioning "unsupported" makes the case UNSUPPORTED;
     - any other error, a crash or exit code 2 (internal error) is a FAILURE.
  2. build the executable (runtime objects compiled once, shared by all cases);
  3. ./m input_0.pb ... -o RES for every test_data_set_N, and compare each
     output_K.pb with RES/<sanitized output name>.npy: same dtype and shape,
     floats within |a-b| <= atol + rtol*|b| (rtol 1e-3, atol 1e-7, as ONNX's
     runner), NaN matches NaN, inf matches inf, integers and bools exact.

Cases whose graph inputs/outputs are not tensors, or that use ops outside the
default domain, are UNSUPPORTED with the reason. Prints a summary per op and
overall, writes WORK/report.json and WORK/report.md, and ends with the line

    node tests: P passed, F failed, U skipped

Exit status 0 iff nothing failed and every case named by --expect-pass passed.
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kilntest  # noqa: E402
import gen_node_tests  # noqa: E402

PASS, FAIL, UNSUP = "pass", "fail", "unsupported"
CONST_RE = re.compile(r"\('([^']*)'\)\s*must be a compile-time constant")
CONST_RE2 = re.compile(r"'([^']*)'[^'\n]*?must be a compile-time constant")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("filters", nargs="*", help="run cases whose name contains one of these")
    p.add_argument("--kiln", required=True, help="the kiln binary")
    p.add_argument("--work", default="node-tests", help="work directory (default ./node-tests)")
    p.add_argument("--cache", help="where generated cases live (default WORK/cases)")
    p.add_argument("--regex", help="run cases whose name matches this regular expression")
    p.add_argument("--list", help="file naming the cases to run, one per line (# comments)")
    p.add_argument("--expect-pass", help="file naming cases that must pass")
    p.add_argument("--write-pass", help="write the names of the passing cases here")
    p.add_argument("-j", "--jobs", type=int, default=2, help="parallel cases (default 2)")
    p.add_argument("--cc", help="C compiler (default $CC or cc)")
    p.add_argument("--opt", default="-O1", help="optimization flag for generated code (default -O1)")
    p.add_argument("--cflags", help="compile flags instead of the generated Makefile's")
    p.add_argument("--keep", action="store_true", help="keep the output of passing cases too")
    p.add_argument("--timeout", type=int, default=120, help="seconds per compile / build / run step")
    p.add_argument("-v", "--verbose", action="store_true", help="a line for every case")
    p.add_argument("--kiln-args", default="",
                   help="extra `kiln compile` arguments, e.g. '--cpu=avx2 --threads=2'")
    return p.parse_args(argv)


def read_list(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


class OpNamer:
    """Names the op a case tests: the op_type of a single-node model, else the
    longest ONNX op name that prefixes the case name (ignoring case and '_':
    test_reduce_log_sum_exp_* -> ReduceLogSumExp, test_softmax_*_expanded ->
    Softmax), else the first node's op_type."""

    def __init__(self):
        import onnx.defs
        self.ops = {}
        for s in onnx.defs.get_all_schemas_with_history():
            if s.domain in ("", "ai.onnx"):
                self.ops[s.name.lower()] = s.name

    def __call__(self, case, model):
        nodes = model.graph.node
        if len(nodes) == 1:
            return nodes[0].op_type
        key = case[5:] if case.startswith("test_") else case
        key = key.replace("_", "").lower()
        best = ""
        for low, name in self.ops.items():
            if key.startswith(low) and len(low) > len(best):
                best = low
        if best:
            return self.ops[best]
        return nodes[0].op_type if nodes else "?"


def first_lines(text, n=12, width=400):
    lines = [l[:width] for l in text.strip().splitlines()]
    if len(lines) > n:
        lines = lines[:n] + ["... (%d more lines)" % (len(lines) - n)]
    return "\n".join(lines)


class Runner:
    def __init__(self, args):
        self.args = args
        self.kiln = os.path.abspath(args.kiln)
        self.work = os.path.abspath(args.work)
        self.cache = os.path.abspath(args.cache or os.path.join(self.work, "cases"))
        self.outroot = os.path.join(self.work, "out")
        self.builder = kilntest.Builder(os.path.join(self.work, "obj"), cc=args.cc,
                                        opt=args.opt, cflags=args.cflags, timeout=args.timeout)
        self.namer = OpNamer()

    @staticmethod
    def feeding_inputs(model, value, graph_inputs):
        """The graph inputs `value` is computed from (walking producers back)."""
        producers = {o: n for n in model.graph.node for o in n.output}
        seen, todo, found = set(), [value], []
        while todo:
            v = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in graph_inputs:
                found.append(v)
            elif v in producers and producers[v].op_type not in ("Shape", "Size"):
                todo.extend(i for i in producers[v].input if i)  # (Shape needs no data)
        return found

    def compile(self, case, model_path, outdir, graph_inputs, r, model):
        """kiln compile with --freeze retries. Returns (status or None, message)."""
        freeze = {}
        while True:
            cmd = [self.kiln, "compile", model_path, "-o", outdir, "--name", "m", "--exe"]
            cmd += shlex.split(self.args.kiln_args)
            for name, k in freeze.items():
                cmd += ["--freeze", "%s=%s" % (name, os.path.join(case, "test_data_set_0", "input_%d.pb" % k))]
            shutil.rmtree(outdir, ignore_errors=True)
            t = time.time()
            rc, out, err = kilntest.run(cmd, timeout=self.args.timeout)
            err = err.replace(case + os.sep, "")  # "model.onnx: node ..." reads better
            r["t_compile"] = r.get("t_compile", 0.0) + time.time() - t
            r["frozen"] = sorted(freeze)
            if rc == 0:
                return None, ""
            where = "kiln compile: %s" % kilntest.describe_exit(rc)
            if rc < 0 or rc == 2:  # crash, timeout or internal error
                return FAIL, "%s\n%s" % (where, first_lines(out + err))
            names = CONST_RE.findall(err) or CONST_RE2.findall(err)
            new = [n for n in dict.fromkeys(names) if n not in freeze]
            if new and all(n in graph_inputs for n in new):
                for n in new:
                    freeze[n] = graph_inputs.index(n)
                continue
            # a computed value must be constant: freeze the graph inputs it is computed from
            feeding = [i for n in new for i in self.feeding_inputs(model, n, graph_inputs)
                       if i not in freeze]
            if new and feeding:
                for n in dict.fromkeys(feeding):
                    freeze[n] = graph_inputs.index(n)
                continue
            if "unsupported" in err.lower():
                lines = [l for l in err.splitlines() if "unsupported" in l.lower()]
                return UNSUP, first_lines("\n".join(lines), 4)
            if new:
                where += " (cannot --freeze %s: not a graph input)" % ", ".join(
                    n for n in new if n not in graph_inputs)
            return FAIL, "%s\n%s" % (where, first_lines(out + err))

    def run_case(self, name):
        import onnx
        case = os.path.join(self.cache, name)
        r = {"name": name, "op": "?", "status": FAIL, "message": ""}
        try:
            model = onnx.load(os.path.join(case, "model.onnx"), load_external_data=False)
        except Exception as e:  # noqa: BLE001 - report any load problem
            r["message"] = "cannot load model.onnx: %s" % e
            return r
        r["op"] = self.namer(name, model)
        r["ops"] = sorted({n.op_type for n in model.graph.node})
        nt = os.path.join(case, "NOT_TENSOR")
        if os.path.exists(nt):
            r["status"] = UNSUP
            r["message"] = "not tensor-only: " + open(nt).read().strip()
            return r
        foreign = sorted({"%s.%s" % (n.domain, n.op_type) for n in model.graph.node
                          if n.domain not in ("", "ai.onnx")})
        if foreign:
            r["status"] = UNSUP
            r["message"] = "non-default-domain op(s): " + ", ".join(foreign)
            return r

        inits = {i.name for i in model.graph.initializer}
        graph_inputs = [v.name for v in model.graph.input]
        outdir = os.path.join(self.outroot, name)
        status, msg = self.compile(case, os.path.join(case, "model.onnx"), outdir,
                                   [n if n not in inits else None for n in graph_inputs], r, model)
        if status is not None:
            r["status"], r["message"] = status, msg
            return r

        t = time.time()
        ok, msg = self.builder.build(outdir, "m")
        r["t_build"] = time.time() - t
        if not ok:
            r["message"] = "build failed: " + first_lines(msg, 20)
            return r

        frozen = {graph_inputs.index(n) for n in r["frozen"]}
        sets = sorted((d for d in os.listdir(case) if d.startswith("test_data_set_")),
                      key=lambda d: int(d.rsplit("_", 1)[1]))
        r["t_run"] = 0.0
        ran = 0
        for ds in sets:
            dsdir = os.path.join(case, ds)
            if any(open(os.path.join(dsdir, "input_%d.pb" % k), "rb").read() !=
                   open(os.path.join(case, sets[0], "input_%d.pb" % k), "rb").read() for k in frozen):
                continue  # frozen value differs from the one compiled in
            ins = [os.path.join(dsdir, "input_%d.pb" % k) for k in range(len(graph_inputs))
                   if k not in frozen and graph_inputs[k] not in inits
                   and os.path.exists(os.path.join(dsdir, "input_%d.pb" % k))]
            res = os.path.join(outdir, "res_" + ds)
            shutil.rmtree(res, ignore_errors=True)
            os.makedirs(res)
            t = time.time()
            rc, out, err = kilntest.run([os.path.join(outdir, "m")] + ins + ["-o", res],
                                        cwd=outdir, timeout=self.args.timeout)
            r["t_run"] += time.time() - t
            if rc != 0:
                r["message"] = "%s: ./m %s\n%s" % (ds, kilntest.describe_exit(rc), first_lines(out + err))
                return r
            for k, ov in enumerate(model.graph.output):
                ref = os.path.join(dsdir, "output_%d.pb" % k)
                got = os.path.join(res, kilntest.sanitize(ov.name) + ".npy")
                if not os.path.exists(got):
                    r["message"] = "%s: output %d '%s': %s not written" % (ds, k, ov.name, os.path.basename(got))
                    return r
                try:
                    ok, msg, _ = kilntest.compare(kilntest.load_tensor(got), kilntest.load_tensor(ref))
                except Exception as e:  # noqa: BLE001 - unreadable .npy is a failure
                    ok, msg = False, "cannot read: %s" % e
                if not ok:
                    r["message"] = "%s: output %d '%s': %s" % (ds, k, ov.name, msg)
                    return r
            ran += 1
        if ran == 0:
            r["message"] = "no data set could run (frozen inputs differ between data sets)"
            return r
        r["status"] = PASS
        if not self.args.keep:
            shutil.rmtree(outdir, ignore_errors=True)
        return r


def select(args, cache):
    names = sorted(d for d in os.listdir(cache)
                   if os.path.isfile(os.path.join(cache, d, "model.onnx")))
    if args.filters:
        names = [n for n in names if any(f in n for f in args.filters)]
    if args.regex:
        rx = re.compile(args.regex)
        names = [n for n in names if rx.search(n)]
    if args.list:
        want = set(read_list(args.list))
        missing = sorted(want - set(names))
        for n in missing:
            print("warning: %s (from %s) is not a generated case" % (n, args.list))
        names = [n for n in names if n in want]
    return names


def summarize(results):
    per_op = {}
    for r in results:
        s = per_op.setdefault(r["op"], {"ran": 0, PASS: 0, FAIL: 0, UNSUP: 0})
        s["ran"] += 1
        s[r["status"]] += 1
    tot = {"ran": len(results)}
    for k in (PASS, FAIL, UNSUP):
        tot[k] = sum(1 for r in results if r["status"] == k)
    return per_op, tot


def write_reports(work, results, per_op, tot, expect_errors, elapsed, onnx_version):
    with open(os.path.join(work, "report.json"), "w") as f:
        json.dump({"onnx_version": onnx_version, "elapsed_s": round(elapsed, 1), "totals": tot,
                   "per_op": per_op, "expect_pass_errors": expect_errors, "cases": results}, f, indent=1)
    L = ["# kiln: ONNX backend node tests (onnx %s)" % onnx_version, "",
         "ran %d, passed %d, failed %d, unsupported %d (%.0f s)" % (
             tot["ran"], tot[PASS], tot[FAIL], tot[UNSUP], elapsed), "",
         "| op | ran | passed | failed | unsupported |", "|---|---:|---:|---:|---:|"]
    for op in sorted(per_op):
        s = per_op[op]
        L.append("| %s | %d | %d | %d | %d |" % (op, s["ran"], s[PASS], s[FAIL], s[UNSUP]))
    for title, st in (("Failures", FAIL), ("Unsupported", UNSUP)):
        rows = [r for r in results if r["status"] == st]
        if rows:
            L += ["", "## %s" % title, ""]
            for r in rows:
                msg = r["message"].replace("\n", " / ").replace("|", "\\|")
                L.append("- `%s` (%s): %s" % (r["name"], r["op"], msg[:600]))
    if expect_errors:
        L += ["", "## Expected to pass but did not", ""] + ["- %s" % e for e in expect_errors]
    with open(os.path.join(work, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def main(argv):
    args = parse_args(argv)
    try:
        import onnx
    except ImportError as e:
        print("node tests: cannot import onnx (%s); pip install onnx numpy" % e)
        return 77
    if not os.access(args.kiln, os.X_OK):
        print("node tests: kiln binary %s not found" % args.kiln)
        return 1
    t0 = time.time()
    runner = Runner(args)
    os.makedirs(runner.work, exist_ok=True)
    gen_node_tests.generate(runner.cache)
    names = select(args, runner.cache)
    print("running %d node test cases with %s (-j%d)" % (len(names), runner.kiln, args.jobs))
    sys.stdout.flush()

    results = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(runner.run_case, n): n for n in names}
        for i, fut in enumerate(cf.as_completed(futs), 1):
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001 - a runner bug must not hide other cases
                r = {"name": futs[fut], "op": "?", "status": FAIL, "message": "runner error: %r" % e}
            results.append(r)
            if r["status"] == FAIL:
                print("FAIL %s (%s): %s" % (r["name"], r["op"], r["message"].replace("\n", "\n    ")))
            elif args.verbose:
                print("%s %s (%s)%s" % ("ok  " if r["status"] == PASS else "skip", r["name"], r["op"],
                                        ": " + r["message"].replace("\n", " / ") if r["message"] else ""))
            if not args.verbose and i % 200 == 0:
                print("... %d/%d cases (%.0f s)" % (i, len(names), time.time() - t0))
            sys.stdout.flush()
    results.sort(key=lambda r: r["name"])
    per_op, tot = summarize(results)

    expect_errors = []
    if args.expect_pass:
        status = {r["name"]: r for r in results}
        for n in read_list(args.expect_pass):
            if n in status and status[n]["status"] != PASS:
                expect_errors.append("%s: expected to pass, %s: %s" % (
                    n, status[n]["status"], status[n]["message"].splitlines()[0] if status[n]["message"] else ""))
    if args.write_pass:
        with open(args.write_pass, "w") as f:
            f.write("# ONNX backend node tests kiln passes (onnx %s); written by run_node_tests.py --write-pass\n"
                    % onnx.__version__)
            for r in results:
                if r["status"] == PASS:
                    f.write(r["name"] + "\n")

    elapsed = time.time() - t0
    write_reports(runner.work, results, per_op, tot, expect_errors, elapsed, onnx.__version__)
    print("")
    print("%-28s %5s %6s %6s %11s" % ("op", "ran", "passed", "failed", "unsupported"))
    for op in sorted(per_op):
        s = per_op[op]
        print("%-28s %5d %6d %6d %11d" % (op, s["ran"], s[PASS], s[FAIL], s[UNSUP]))
    unsup = {}
    for r in results:
        if r["status"] == UNSUP:
            unsup.setdefault(r["op"], []).append(r)
    if unsup:
        print("\nunsupported (first reason per op):")
        for op in sorted(unsup):
            print("  %-26s %3d  %s" % (op, len(unsup[op]), unsup[op][0]["message"].splitlines()[0][:150]))
    for e in expect_errors:
        print("REGRESSION " + e)
    print("\nran %d, passed %d, failed %d, unsupported %d in %.0f s; report: %s" % (
        tot["ran"], tot[PASS], tot[FAIL], tot[UNSUP], elapsed, os.path.join(runner.work, "report.md")))
    if expect_errors:
        print("%d case(s) from %s did not pass" % (len(expect_errors), args.expect_pass))
    print("node tests: %d passed, %d failed, %d skipped" % (tot[PASS], tot[FAIL], tot[UNSUP]))
    return 0 if tot[FAIL] == 0 and not expect_errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
