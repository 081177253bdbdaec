#!/bin/bash
# profile.sh - per-node time of one model, the slowest nodes first.
#
#   bash bench/profile.sh KILN MODEL.onnx INPUT.npy [THREADS [RUNS [kiln compile args...]]]
#
# Compiles MODEL with `kiln compile --exe --threads=THREADS` (default 1), builds the
# generated program with -DKILN_PROFILE (each node's wall time accumulated by the
# generated run function, reported by NAME_profile_report), runs it RUNS times
# (default 20) after a warm-up, and prints the per-node table and the total.
set -euo pipefail
if [ $# -lt 3 ]; then sed -n 3,4p "$0" | sed 's/^# *//'; exit 1; fi
KILN=$1 MODEL=$2 INPUT=$3 THREADS=${4:-1} RUNS=${5:-20}
shift $(($# < 5 ? $# : 5))
name=$(basename "$MODEL" .onnx)
name=${name//[^A-Za-z0-9_]/_}
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-profile.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$KILN" compile --exe --threads="$THREADS" --name "$name" "$@" "$MODEL" -o "$work/m" >/dev/null
make -s -C "$work/m" CFLAGS="-O2 -std=c11 -Wall -Wextra -Werror -DKILN_PROFILE" >/dev/null
"$work/m/$name" "$INPUT" -o "$work/out" --repeat "$RUNS" 2>&1 | grep -E "^per-node|node [0-9]+:|^time over"
