#!/usr/bin/env bash
# A newcomer's first hour, timed: a fresh clone, `make bench`, `make test` (the README's blocks are one
# of its tests), a second `make bench`, `harness compare` of the two quick runs, the report opened.
# Usage: bash tests/first_hour.sh [WORKDIR]   (WORKDIR: a new folder for the clone; default a temporary one)
# Prints one line per step with its seconds and exit status, the growth of .venv that `make test` caused,
# and the widest line any harness command printed at COLUMNS=100; exit status 1 when a step failed.
set -uo pipefail
source_tree=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
export COLUMNS=100
failed=0

step() {  # step NAME COMMAND...: run it, keep its output in $work/NAME.log, say how it went
    local name=$1 began ended status
    shift
    began=$(date +%s.%N)
    "$@" >"$work/$name.log" 2>&1
    status=$?
    ended=$(date +%s.%N)
    awk -v n="$name" -v s="$status" -v a="$began" -v b="$ended" 'BEGIN { printf "%-9s %7.1f s  exit %d\n", n, b - a, s }'
    [ "$status" -eq 0 ] || failed=1
}

mkdir -p "$work"
git clone -q "$source_tree" "$work/clone"
cd "$work/clone" || exit 2
step bench-1 make bench
bench_mb=$(du -sm .venv | cut -f1)
step test make test
test_mb=$(du -sm .venv | cut -f1)
step bench-2 make bench
runs=$(ls -d results/2*/ | tail -n 2)
# shellcheck disable=SC2086  # two run directories, split on purpose
step compare .venv/bin/harness compare $runs
step report test -s results/latest/report.html
echo "make test grew .venv by $((test_mb - bench_mb)) MB (bench environment: $bench_mb MB)"
widest=$(cat "$work"/compare.log "$work"/bench-2.log | .venv/bin/python -c 'import sys; print(max(map(len, sys.stdin.read().splitlines())))')
echo "widest line of compare and bench at COLUMNS=$COLUMNS: $widest"
echo "logs: $work"
exit "$failed"
