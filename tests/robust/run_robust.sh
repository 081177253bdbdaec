#!/usr/bin/env bash
# run_robust.sh - kiln under sanitizers, its generated code under sanitizers and
# strict warnings, determinism, the generated API's argument checks, and
# numerical edge cases.
#
#   tests/robust/run_robust.sh KILN [WORKDIR]      (default WORKDIR: ./robust-work)
#   env KILN_NODE_CACHE  folder already holding the generated ONNX node tests
#       ROBUST_CC        compiler for the ASan+UBSan kiln (default clang, else cc)
#
# (a) builds an ASan+UBSan kiln (-DKILN_SANITIZE=ON) in WORKDIR/asan-build and
#     runs the whole error corpus with it (tests/errors/run_errors.py --sanitized:
#     every case must still fail cleanly, with no sanitizer or leak report);
# (b) tests/robust/kiln_models.py: `kiln compile` on every model of the model
#     test set (tests/models/run_models.py's 30) under valgrind memcheck (no
#     error, no definite/indirect leak) and with the ASan+UBSan kiln (clean, the
#     same bytes as the normal kiln writes);
# (c) tests/models/run_models.py with the generated code built with
#     -fsanitize=address,undefined -fno-sanitize-recover=all: all 30 models with
#     --cpu=generic, the light zoo graphs and ResNet-18 with the fast kernels
#     (--cpu=native; robust.py's harness covers the other synthetic models);
#     outputs against onnxruntime as in the models test;
# (d) tests/robust/robust.py: a sample of the ONNX node tests through the ASan
#     kiln (same bytes or the same first error line); the generated code of every model in
#     tests/models built with gcc and clang at -std=c11 -Wall -Wextra -Wconversion
#     -Wshadow -Werror under -fsanitize=address,undefined, run through
#     tests/robust/harness.c and compared with the normal build; compile-twice and
#     run-twice determinism; NAME_init/NAME_run argument checks (NULL pointers,
#     short and misaligned arena, misaligned weights); NaN/Inf inputs against
#     onnxruntime (MaxPool / GlobalMaxPool against onnx.reference) and
#     Softmax/LogSoftmax on logits of +-1e4; --ftz on denormal inputs
#     (tests/robust/ftz_driver.c).
#
# Ends with `robust tests: P passed, F failed`; exit 0 iff F == 0.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 KILN [WORKDIR]" >&2
  exit 2
fi
KILN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
WORK=$(mkdir -p "${2:-robust-work}" && cd "${2:-robust-work}" && pwd)
pass=0
fail=0

if ! python3 -c "import onnx, numpy" 2>/dev/null; then
  echo "robust tests: cannot import onnx and numpy (pip install onnx onnxruntime numpy); skipped"
  exit 77
fi

CC_SAN=${ROBUST_CC:-}
if [ -z "$CC_SAN" ]; then
  if command -v clang >/dev/null 2>&1; then CC_SAN=clang; else CC_SAN=cc; fi
fi
ASAN_BUILD=$WORK/asan-build
echo "robust: building an ASan+UBSan kiln in $ASAN_BUILD ($CC_SAN)"
if cmake -S "$SRC" -B "$ASAN_BUILD" -DCMAKE_C_COMPILER="$CC_SAN" -DKILN_SANITIZE=ON -DKILN_TESTS=OFF \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/asan-build.log" 2>&1 &&
   cmake --build "$ASAN_BUILD" -j2 --target kiln >>"$WORK/asan-build.log" 2>&1; then
  echo "ok   asan-kiln: builds"
  pass=$((pass + 1))
  ASAN_KILN=$ASAN_BUILD/kiln
else
  tail -20 "$WORK/asan-build.log" | sed 's/^/    /'
  echo "FAIL asan-kiln: build failed"
  fail=$((fail + 1))
  ASAN_KILN=
fi

if [ -n "$ASAN_KILN" ]; then
  python3 "$SRC/tests/errors/run_errors.py" "$ASAN_KILN" --sanitized -j 2 >"$WORK/errors-asan.log" 2>&1
  line=$(tail -1 "$WORK/errors-asan.log")
  p=$(echo "$line" | sed -n 's/^error tests: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$line" | sed -n 's/^error tests: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -n "$p" ] && [ "$f" = 0 ]; then
    echo "ok   asan-kiln error corpus: $p cases fail cleanly, no sanitizer or leak report"
    pass=$((pass + 1))
  else
    grep -A12 "^FAIL" "$WORK/errors-asan.log" | head -60 | sed 's/^/    /'
    echo "FAIL asan-kiln error corpus: ${line:-no result} ($WORK/errors-asan.log)"
    fail=$((fail + 1))
  fi
fi

# run_step LOG SUMMARY-PREFIX CMD...: runs CMD, shows its lines but the summary,
# and adds the summary's counts ("PREFIX: P passed, F failed") to the totals
run_step() {
  local log=$1 prefix=$2 p f line
  shift 2
  "$@" | tee "$log" | grep -v "^$prefix: [0-9]* passed"
  line=$(grep "^$prefix: [0-9]* passed, [0-9]* failed$" "$log" | tail -1)
  p=$(echo "$line" | sed -n "s/^$prefix: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p")
  f=$(echo "$line" | sed -n "s/^$prefix: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p")
  if [ -z "$p" ]; then
    echo "FAIL the $prefix step did not finish ($log)"
    fail=$((fail + 1))
  else
    pass=$((pass + p))
    fail=$((fail + f))
  fi
}

# the compiler on every model of the model test set: valgrind, and the ASan kiln
t0=$SECONDS
run_step "$WORK/kiln-models.log" "kiln-models tests" \
  python3 "$HERE/kiln_models.py" --kiln "$KILN" ${ASAN_KILN:+--asan-kiln "$ASAN_KILN"} --work "$WORK/kiln-models" -j 2
echo "robust: kiln under valgrind / ASan on the model test set: $((SECONDS - t0)) s"

# the generated code of every model of the model test set built with
# -fsanitize=address,undefined, compared with onnxruntime as the models test
# does: the reference kernels (--cpu=generic) for all of them; the fast kernels
# (--cpu=native, the default) for the zoo's light graphs and ResNet-18 at
# 224x224, as robust.py's strict-gcc / strict-clang harness builds cover the
# synthetic models (ResNet-18 there at 64x64). -g1 (line tables, which is
# what a sanitizer report needs) rather than -g: full debug info doubles the
# build time of the fast kernels under the sanitizers.
SAN_CFLAGS="-std=c11 -Wall -Wextra -Werror -g1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
for cpu in generic native; do
  t0=$SECONDS
  filt=
  [ "$cpu" = native ] && filt="light_ resnet18"
  run_step "$WORK/models-asan-$cpu.log" "model tests" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    python3 "$SRC/tests/models/run_models.py" --kiln "$KILN" --work "$WORK/models-asan-$cpu" -j 2 --opt=-O1 \
    --cflags="$SAN_CFLAGS" --kiln-args="--cpu=$cpu" $filt
  echo "robust: generated code under ASan+UBSan, --cpu=$cpu${filt:+ (models matching: $filt)}: $((SECONDS - t0)) s"
done

t0=$SECONDS
run_step "$WORK/robust.log" "robust tests" \
  python3 "$HERE/robust.py" --kiln "$KILN" ${ASAN_KILN:+--asan-kiln "$ASAN_KILN"} --work "$WORK/robust" -j 2 \
  ${KILN_NODE_CACHE:+--node-cache "$KILN_NODE_CACHE"}
echo "robust: robust.py: $((SECONDS - t0)) s"
echo "robust tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
