#!/usr/bin/env bash
# show/history benchmark: 1,000 artifacts x 5 versions x 2 promotions (7,000 annotated tags); cairn against GTO
# (from .venv-gto, installed on first use) and against `git for-each-ref refs/tags`, timed in the same run.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
runs="${BENCH_RUNS:-5}"
gto="$("$top/scripts/gto-venv.sh")"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-tags.XXXXXX")"
trap 'rm -rf "$work"' EXIT

python3 "$top/scripts/gen-tags.py" "$work/repo" "${BENCH_TAG_ARTIFACTS:-1000}" 5 2
cd "$work/repo"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
times() { local n=$1; shift; for _ in $(seq "$n"); do ms "$@"; done | median; }

"$cairn" show >/dev/null  # the first run reads every tag object once and caches it, as any later run would find it
git=$(times "$runs" git for-each-ref refs/tags)
show=$(times "$runs" "$cairn" show)
json=$(times "$runs" "$cairn" show --format json)
history=$(times "$runs" "$cairn" history prompt/p7)
gto_show=$(times 1 "$gto" show)
gto_json=$(times 1 "$gto" show --json)
gto_history=$(times 1 "$gto" history prompt/p7)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }'; }
echo
echo "cairn show/history over $(git tag | wc -l) annotated tags ($(nproc) cores); cairn median of $runs, GTO one run each:"
printf '  %-28s %7s ms   gto %7s ms   gto/cairn %7sx (target >= 100)   cairn/git %5sx (target <= 3)\n' \
    "show" "$show" "$gto_show" "$(ratio "$gto_show" "$show")" "$(ratio "$show" "$git")" \
    "show --format json" "$json" "$gto_json" "$(ratio "$gto_json" "$json")" "$(ratio "$json" "$git")" \
    "history prompt/p7" "$history" "$gto_history" "$(ratio "$gto_history" "$history")" "$(ratio "$history" "$git")"
echo "  git for-each-ref refs/tags   $git ms"
