#!/usr/bin/env bash
# setup.sh - installs what kiln needs to build (Debian packages) and builds it
# into ./build. With --test-deps, also the Python packages the tests use.
# Safe to run again: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have cmake || need_pkgs+=(cmake)
have cc || need_pkgs+=(gcc)
have make || need_pkgs+=(make)
have protoc-c || need_pkgs+=(protobuf-c-compiler)
[ -f /usr/include/protobuf-c/protobuf-c.h ] || need_pkgs+=(libprotobuf-c-dev)
[ -f /usr/include/criterion/criterion.h ] || need_pkgs+=(libcriterion-dev)
if [ "${1:-}" = "--test-deps" ]; then
  have clang || need_pkgs+=(clang)
  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need_pkgs+=(libclang-rt-14-dev)
  have valgrind || need_pkgs+=(valgrind)
  have dot || need_pkgs+=(graphviz)
  have python3 || need_pkgs+=(python3 python3-pip)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if [ "${1:-}" = "--test-deps" ]; then
  if ! python3 -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
    echo "setup: installing Python test packages (onnx, onnxruntime, numpy)"
    python3 -m pip install -q onnx onnxruntime numpy
  fi
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "setup: built build/kiln"
