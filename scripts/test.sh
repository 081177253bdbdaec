#!/usr/bin/env bash
# test.sh - the whole test suite: installs test dependencies, builds, and runs
# every test through ctest (unit tests, ONNX node tests, model tests, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test-deps
ctest --test-dir build --output-on-failure -j1 "$@"
