#!/usr/bin/env bash
# YAML loading benchmark: one ~1 MiB artifact of each shape (wide mapping, flow sequence, block sequence, many
# nested mappings) validated cold by cairn (load, schema typing, validation: the "analyse" phase of --verbose),
# beside libyaml's event parser alone over the same bytes (scripts/yaml-events.c), both medians of BENCH_RUNS.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-yaml.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
gcc -O2 -o "$work/yaml-events" "$top/scripts/yaml-events.c" -lyaml
python3 "$top/scripts/gen-yaml-shapes.py" "$work/shapes"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "YAML loading, ~1 MiB per shape (target: < 100 ms per MiB, within 3x of libyaml's parse alone):"
printf '  %-18s %10s %12s %12s %7s\n' shape "size" "cairn ms/MiB" "libyaml ms/MiB" ratio
for file in "$work"/shapes/*.yaml; do
    shape=$(basename "$file" .yaml)
    repo="$work/repo-$shape"
    mkdir -p "$repo/prompts"
    cp "$top/registry-example/cairn.yaml" "$repo/cairn.yaml"
    cp "$file" "$repo/prompts/"
    git -C "$repo" init -q && git -C "$repo" add -A && git -C "$repo" commit -qm "$shape"
    size=$(stat -c %s "$file")
    cairn_ms=$(for _ in $(seq "$runs"); do
        rm -rf "$repo/.git/cairn"
        { "$cairn" validate --repo "$repo" --verbose 2>&1 || true; } | sed -n 's/.*analyse 1 files: \([0-9.]*\) ms.*/\1/p'
    done | median)
    libyaml_ms=$("$work/yaml-events" "$file" "$runs")
    awk -v s="$shape" -v b="$size" -v c="$cairn_ms" -v l="$libyaml_ms" 'BEGIN {
        mib = b / 1048576; printf "  %-18s %8.2f MiB %12.1f %12.1f %6.1fx\n", s, mib, c / mib, l / mib, (l > 0 ? c / l : 0) }'
done
