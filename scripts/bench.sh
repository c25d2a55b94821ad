#!/usr/bin/env bash
# Validation benchmark: a generated registry (default 10,000 artifacts in 200 commits), validated cold,
# warm (nothing changed), and after a one-file commit. Prints the median of RUNS runs for each.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 200
cd "$work/repo"

ms() { # run a command, print elapsed milliseconds
  local start end
  start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -eq 1 ]; end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold=$(for _ in $(seq "$runs"); do rm -rf .git/cairn; ms "$cairn" validate --path registry; done | median)
warm=$(for _ in $(seq "$runs"); do ms "$cairn" validate --path registry; done | median)
one=$(for i in $(seq "$runs"); do
  f=registry/prompts/p0/prompt-1.yaml
  sed -i "s/Synthetic prompt 1[^}]*/Synthetic prompt 1 edit $i/" "$f"
  git commit -qam "edit $i"
  sleep 1  # let git's own detached housekeeping finish: time cairn, not git
  ms "$cairn" validate --path registry
done | median)
"$cairn" validate --path registry 2>&1 | tail -1 >"$work/summary" || true

echo
echo "cairn validate, $count artifacts, median of $runs runs ($(nproc) cores):"
printf '  %-40s %6s ms   (target < 2000)\n' "cold (no cache)" "$cold"
printf '  %-40s %6s ms\n' "warm (nothing changed)" "$warm"
printf '  %-40s %6s ms   (target < 100)\n' "after a one-file commit" "$one"
echo "  last run: $(cat "$work/summary")"
