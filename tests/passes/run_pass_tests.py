"""run_pass_tests.py KILN [--update] - golden and numeric tests of the passes.

For each tests/passes/NAME.kg (the "before" graph):
  - golden: the IR printed after the last pass (`kiln compile --dump-after LAST`)
    must equal NAME.expected byte for byte (`--update` rewrites them);
  - numeric: the program compiled at -O0 (no optional passes) and at -O1 run on
    the same seeded random inputs must agree: |a-b| <= 1e-5 + 1e-4*|b|.
"""
import os, subprocess, sys, tempfile
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
kiln = sys.argv[1]
update = "--update" in sys.argv[2:]

def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)

def build(model, out, level):
    r = run([kiln, "compile", model, "-o", out, "--name", "m", "--exe", level])
    if r.returncode: raise RuntimeError(r.stderr)
    r = run(["make", "-s", "-C", out])
    if r.returncode: raise RuntimeError(r.stderr)

passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for name in sorted(f[:-3] for f in os.listdir(here) if f.endswith(".kg")):
        model = os.path.join(here, name + ".kg")
        ok = True
        r = run([kiln, "compile", model, "-o", os.path.join(tmp, "d_" + name), "--dump-after", "all"])
        if r.returncode:
            print(f"FAIL {name}: compile: {r.stderr.strip()}"); failed += 1; continue
        dump = r.stdout[r.stdout.rindex("# after "):]
        exp = os.path.join(here, name + ".expected")
        if update:
            open(exp, "w").write(dump)
        elif not os.path.exists(exp) or open(exp).read() != dump:
            print(f"FAIL {name}: IR after the passes differs from {name}.expected:\n{dump}"); ok = False
        outs = {}
        for level in ("-O0", "-O1"):
            d = os.path.join(tmp, name + level)
            try:
                build(model, d, level)
            except RuntimeError as e:
                print(f"FAIL {name} {level}: {e}"); ok = False; break
            # inputs: seeded, from the header's shapes
            hdr = open(os.path.join(d, "m.h")).read()
            args = []
            k = 0
            while f"m_INPUT_{k}_SHAPE" in hdr:
                shape = hdr.split(f"#define m_INPUT_{k}_SHAPE ")[1].split("\n")[0].strip("{}")
                shape = [int(s) for s in shape.split(",") if s.strip()]
                x = np.random.default_rng(100 + k).standard_normal(shape).astype(np.float32)
                p = os.path.join(tmp, f"{name}_in{k}.npy"); np.save(p, x); args.append(p)
                k += 1
            r = run([os.path.join(d, "m")] + args + ["-o", os.path.join(d, "res")])
            if r.returncode:
                print(f"FAIL {name} {level}: run: {r.stderr}"); ok = False; break
            outs[level] = {f: np.load(os.path.join(d, "res", f)) for f in os.listdir(os.path.join(d, "res"))}
        if ok:
            for f, a in outs["-O1"].items():
                b = outs["-O0"][f]
                if a.shape != b.shape or not np.all(np.abs(a - b) <= 1e-5 + 1e-4 * np.abs(b)):
                    print(f"FAIL {name}: output {f} differs between -O0 and -O1 "
                          f"(max |a-b| {np.max(np.abs(a - b)) if a.shape == b.shape else 'shape'})"); ok = False
        if ok:
            nodes0 = sum(1 for l in open(model) if l.startswith("node "))
            nodes1 = sum(1 for l in dump.splitlines() if l.startswith("node "))
            print(f"ok   {name}: {nodes0} -> {nodes1} nodes")
            passed += 1
        else:
            failed += 1
print(f"pass tests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
