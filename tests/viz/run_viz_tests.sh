#!/usr/bin/env bash
# run_viz_tests.sh KILN - `kiln inspect`'s pictures and JSON report on small
# models: the memory-plan SVG (well-formed, one rectangle per arena buffer,
# no two sharing bytes at one step, reaching exactly the arena size, zero-copy
# Concat slices), the graph as DOT and, when Graphviz is installed, as SVG and
# PNG (one box per node, inputs and outputs, fused epilogues and views named),
# byte-identical output across runs, and the error when `dot` is missing.
# Needs python3 with onnx and numpy (exit 77, skipped, without them).
set -uo pipefail
KILN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
check_py="$here/check_viz.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
check() {
  local what=$1; shift
  if "$@" >/dev/null 2>"$work/err"; then pass=$((pass+1)); echo "ok - $what"
  else fail=$((fail+1)); echo "FAILED - $what: $*"; sed 's/^/    /' "$work/err"; fi
}

if ! python3 -c "import onnx, numpy" 2>/dev/null; then
  echo "viz tests: skipped (python3 with onnx and numpy needed)"
  exit 77
fi
python3 "$here/../golden/make_tiny.py" "$work/tiny.onnx"
python3 "$check_py" concat-model "$work/cat.onnx"
python3 "$here/../models/make_models.py" "$work" inception resnet18 >/dev/null

# ---- tiny: Conv + Relu (fused), GlobalAveragePool, Flatten (a view), Gemm
# (reference kernels: the fast ones' scratch makes the plan depend on the CPU)
t=$work/tiny
check "inspect --json runs" sh -c "'$KILN' inspect '$work/tiny.onnx' --cpu=generic --json > '$t.json'"
check "json is the tiny model's report" python3 "$check_py" json "$t.json" nodes_before=5 nodes_after=4 \
  elided_nodes=1 arena_buffers=2 arena_bytes=512 parameters=91
check "inspect writes --dot and --memory-svg" "$KILN" inspect "$work/tiny.onnx" --cpu=generic --dot "$t.dot" --memory-svg "$t.mem.svg"
check "dot has one box per node" python3 "$check_py" dot "$t.dot" "$t.json"
check "memory svg: 2 buffers, no overlap, arena reached" python3 "$check_py" memory "$t.mem.svg" "$t.json" 0
"$KILN" inspect "$work/tiny.onnx" --cpu=generic --dot "$t.2.dot" --memory-svg "$t.2.mem.svg" >/dev/null
check "dot is deterministic" cmp "$t.dot" "$t.2.dot"
check "memory svg is deterministic" cmp "$t.mem.svg" "$t.2.mem.svg"
check "text report still prints" sh -c "'$KILN' inspect '$work/tiny.onnx' --cpu=generic | grep -q '^arena: 512 bytes'"

# ---- a zero-copy Concat: its two inputs are slices of one buffer
c=$work/cat
"$KILN" inspect "$work/cat.onnx" --json > "$c.json"
check "concat model inspects" "$KILN" inspect "$work/cat.onnx" --memory-svg "$c.mem.svg" --dot "$c.dot"
check "concat memory svg: 2 slices" python3 "$check_py" memory "$c.mem.svg" "$c.json" 2
check "concat dot marks the zero-copy Concat" grep -q "zero-copy" "$c.dot"

# ---- bigger test models: buffers never collide
for m in inception resnet18; do
  "$KILN" inspect "$work/$m.onnx" --json > "$work/$m.json"
  check "$m memory svg" sh -c "'$KILN' inspect '$work/$m.onnx' --memory-svg '$work/$m.svg' >/dev/null &&
    python3 '$check_py' memory '$work/$m.svg' '$work/$m.json'"
  check "$m dot" sh -c "'$KILN' inspect '$work/$m.onnx' --dot '$work/$m.dot' >/dev/null &&
    python3 '$check_py' dot '$work/$m.dot' '$work/$m.json'"
done

# ---- rendering through Graphviz
if command -v dot >/dev/null 2>&1; then
  check "inspect --svg --png" "$KILN" inspect "$work/tiny.onnx" --svg "$t.svg" --png "$t.png"
  check "graph svg: 4 boxes, input, output, fusion and view named" python3 "$check_py" graph "$t.svg" "$t.json" \
    "Conv + Relu" "view: no copy" "3x3 p1" "f32[1x4x5x5]"
  check "graph png" python3 "$check_py" png "$t.png"
  check "resnet18 graph svg" sh -c "'$KILN' inspect '$work/resnet18.onnx' --svg '$work/r18.svg' >/dev/null &&
    python3 '$check_py' graph '$work/r18.svg' '$work/resnet18.json' 'Conv + Add + Relu'"
else
  echo "note: Graphviz's dot not installed; --svg/--png rendering not tested (scripts/setup.sh --test-deps installs it)"
fi
check "missing dot: clear error" sh -c "! env PATH=/nonexistent '$KILN' inspect '$work/tiny.onnx' --svg '$work/x.svg' \
  2>'$work/nodot.err' >/dev/null && grep -q 'Graphviz is not installed' '$work/nodot.err' && [ ! -e '$work/x.svg' ]"
check "--svg is an inspect option only" sh -c "! '$KILN' compile '$work/tiny.onnx' -o '$work/out' --svg x.svg 2>/dev/null"
check "unwritable --memory-svg fails" sh -c "! '$KILN' inspect '$work/tiny.onnx' --memory-svg /nonexistent/m.svg \
  >/dev/null 2>&1"

echo "viz tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
