#!/usr/bin/env bash
# run_golden.sh KILN [--update] - golden test of a generated header, plus
# determinism (two compiles give byte-identical files) and a warning-free
# build of the generated model with gcc and clang at -Wall -Wextra
# -Wconversion -Werror. `--update` rewrites tests/golden/tiny.h.
set -euo pipefail
KILN=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
check() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAILED: $*"; fi; }

python3 "$here/make_tiny.py" "$work/tiny.onnx"
"$KILN" compile "$work/tiny.onnx" -o "$work/a" --name tiny --exe
"$KILN" compile "$work/tiny.onnx" -o "$work/b" --name tiny --exe
# the golden header: reference kernels, one thread (the default --cpu=native
# makes arena sizes depend on the machine's vector width)
"$KILN" compile "$work/tiny.onnx" -o "$work/g" --name tiny --exe --cpu=generic --threads=1
if [ "${2:-}" = "--update" ]; then
  cp "$work/g/tiny.h" "$here/tiny.h"
  echo "updated $here/tiny.h"
  exit 0
fi
check diff "$work/g/tiny.h" "$here/tiny.h"
check diff -r "$work/a" "$work/b"
for cc in gcc clang; do
  check $cc -std=c11 -Wall -Wextra -Wconversion -Wshadow -Werror -c "$work/a/tiny.c" -o "$work/tiny_$cc.o"
done
# thread-count determinism: a ResNet-18 (64x64) run with 1 and 2 threads gives
# bit-identical outputs
python3 - "$work" "$here/../models" <<'PY'
import sys, numpy as np, onnx
sys.path.insert(0, sys.argv[2])
import make_models
onnx.save(make_models.resnet18(64), sys.argv[1] + "/r18.onnx")
np.save(sys.argv[1] + "/r18in.npy", np.random.default_rng(3).standard_normal((1, 3, 64, 64)).astype(np.float32))
PY
for t in 1 2; do
  "$KILN" compile "$work/r18.onnx" -o "$work/t$t" --name m --exe --threads=$t >/dev/null
  make -s -C "$work/t$t" >/dev/null
  "$work/t$t/m" "$work/r18in.npy" -o "$work/t$t/res" >/dev/null
done
check cmp "$work"/t1/res/*.npy "$work"/t2/res/*.npy
# kernel files: a model carries the x86 MaxPool planes, the depthwise /
# AveragePool planes and the direct convolution (the costliest code to
# compile) only when a node runs on them. Their header guards mark them.
python3 - "$work" "$here/../models" <<'PY'
import sys, onnx
sys.path.insert(0, sys.argv[2])
import make_models
for n in ("vgg", "lenet5", "unet", "se_block"):
    onnx.save(make_models.MODELS[n](), "%s/%s.onnx" % (sys.argv[1], n))
PY
carries() { grep -q "^#define $2\$" "$work/k_$1/m.c"; }
lacks() { ! carries "$@"; }
for m in vgg lenet5 unet se_block; do
  "$KILN" compile "$work/$m.onnx" -o "$work/k_$m" --name m --cpu=avx512 >/dev/null
done
check carries vgg KK_MAXPOOL_X86_H        # MaxPool
check lacks vgg KK_DW_X86_H               # no depthwise conv, no AveragePool
check carries lenet5 KK_DW_X86_H          # the 6<-1 5x5 stem, AveragePool
check lacks lenet5 KK_MAXPOOL_X86_H       # no MaxPool
check carries unet KK_DIRECT_H            # the 16<-3 stem (row mode)
check lacks se_block KK_DIRECT_H          # 3x3 stride 1 on 64 channels (Winograd), Gemm
echo "golden tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
