#!/usr/bin/env bash
# run_fuzz.sh - build kiln's libFuzzer targets and run them.
#
#   tests/fuzz/run_fuzz.sh [WORKDIR]        (default WORKDIR: ./fuzz-work)
#   env FUZZ_SECONDS   seconds per target (default 60); the two targets run side by side
#       FUZZ_CC        the clang to use (default clang)
#       MUTATE_SECONDS seconds of model-level mutation (mutate.py; default 30)
#       KILN_NODE_CACHE  folder already holding the generated ONNX node tests (saves ~5 s)
#
# Steps: check that clang can link libFuzzer (else exit 77: skipped), configure
# and build WORKDIR/build with -DKILN_FUZZ=ON (ASan + UBSan + coverage), write
# the seed corpora (make_seeds.py), run each target once over its committed
# crash-regression inputs (tests/fuzz/regress/onnx, regress/kg), then fuzz each
# target for FUZZ_SECONDS, then run mutate.py (well-formed models with extreme
# values) through the instrumented kiln for MUTATE_SECONDS. New inputs that
# found coverage go to WORKDIR/corpus/TARGET (kept between runs); crashes,
# leaks, timeouts and out-of-memory inputs to WORKDIR/artifacts/ (mutate.py's
# findings to WORKDIR/artifacts/mutate/). A finding is fixed by fixing kiln and
# committing the input under tests/fuzz/regress/TARGET/.
#
# Prints executions and crashes per target, then `fuzz: N executions, C crashes`
# and `fuzz tests: P passed, F failed`; exit 0 iff nothing crashed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
WORK=$(mkdir -p "${1:-fuzz-work}" && cd "${1:-fuzz-work}" && pwd)
SECS=${FUZZ_SECONDS:-60}
CLANG=${FUZZ_CC:-clang}
BUILD=$WORK/build

if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "fuzz: $CLANG not found; skipped (scripts/setup.sh --test-deps installs clang)"
  exit 77
fi
probe=$WORK/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
  echo "fuzz: $CLANG cannot link libFuzzer (install libclang-rt-14-dev); skipped"
  sed 's/^/    /' "$probe.log" | head -5
  exit 77
fi
rm -f "$probe" "$probe.c" "$probe.log"

echo "fuzz: building $BUILD (clang, KILN_FUZZ=ON)"
if ! cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CLANG" -DKILN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     >"$WORK/build.log" 2>&1 ||
   ! cmake --build "$BUILD" -j2 --target fuzz_onnx fuzz_kg kiln >>"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log"
  echo "fuzz: build failed"
  echo "fuzz tests: 0 passed, 1 failed"
  exit 1
fi

python3 "$HERE/make_seeds.py" "$WORK/seeds" --kiln "$BUILD/kiln" ${KILN_NODE_CACHE:+--node-cache "$KILN_NODE_CACHE"} ||
  { echo "fuzz: seed generation failed"; echo "fuzz tests: 0 passed, 1 failed"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rm -rf "$WORK/artifacts"
mkdir -p "$WORK/artifacts"
pass=0 fail=0 total_execs=0 total_crashes=0

# crash regressions: every committed input must now go through cleanly
for t in onnx kg; do
  dir=$HERE/regress/$t
  n=$(find "$dir" -type f | wc -l)
  if "$BUILD/tests/fuzz/fuzz_$t" -runs=0 -rss_limit_mb=2048 -timeout=60 -artifact_prefix="$WORK/artifacts/regress-$t-" \
       "$dir" >"$WORK/regress-$t.log" 2>&1; then
    echo "regress $t: $n inputs ok"
    pass=$((pass + 1))
  else
    echo "regress $t: FAILED ($WORK/regress-$t.log)"
    grep -E "ERROR|SUMMARY|runtime error|fuzz:|Running:" "$WORK/regress-$t.log" | head -20 | sed 's/^/    /'
    fail=$((fail + 1))
    total_crashes=$((total_crashes + 1))
  fi
done

# fuzzing, both targets at once (one core each)
pids=()
for t in onnx kg; do
  mkdir -p "$WORK/corpus/$t"
  "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -dict="$WORK/seeds/$t.dict" -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" \
    "$WORK/corpus/$t" "$WORK/seeds/$t" >"$WORK/fuzz-$t.log" 2>&1 &
  pids+=($!)
done
for i in 0 1; do
  wait "${pids[$i]}"
done
for t in onnx kg; do
  log=$WORK/fuzz-$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  crashes=$(find "$WORK/artifacts" -name "$t-*" -type f | wc -l)
  corpus=$(find "$WORK/corpus/$t" -type f | wc -l)
  total_execs=$((total_execs + execs))
  total_crashes=$((total_crashes + crashes))
  if [ "$crashes" -eq 0 ] && grep -q "^stat::number_of_executed_units" "$log"; then
    echo "fuzz_$t: $execs executions in ${SECS} s, 0 crashes (corpus $corpus inputs)"
    pass=$((pass + 1))
  else
    echo "fuzz_$t: $execs executions in ${SECS} s, $crashes crashes -- FAILED ($log)"
    grep -E "ERROR|SUMMARY|runtime error|fuzz:|Test unit written|#[0-9]+ in " "$log" | head -25 | sed 's/^/    /'
    find "$WORK/artifacts" -name "$t-*" -type f | sed 's/^/    artifact: /'
    fail=$((fail + 1))
  fi
done
# model-level mutations (well-formed models, extreme attribute/shape/dtype/constant values)
if python3 "$HERE/mutate.py" "$BUILD/kiln" --seconds "${MUTATE_SECONDS:-30}" --out "$WORK/artifacts/mutate" \
     ${KILN_NODE_CACHE:+--node-cache "$KILN_NODE_CACHE"} >"$WORK/mutate.log" 2>&1; then
  echo "$(tail -1 "$WORK/mutate.log") (${MUTATE_SECONDS:-30} s)"
  pass=$((pass + 1))
else
  grep -v "^known finding" "$WORK/mutate.log" | head -20 | sed 's/^/    /'
  echo "$(tail -1 "$WORK/mutate.log") -- FAILED ($WORK/artifacts/mutate)"
  fail=$((fail + 1))
  total_crashes=$((total_crashes + 1))
fi
echo "fuzz: $total_execs executions, $total_crashes crashes"
echo "fuzz tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
