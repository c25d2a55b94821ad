#!/usr/bin/env bash
# Two binaries, interleaved, on one tagged registry (10,000 artifacts registered and assigned to dev, 20,000 annotated
# tags): validate warm and after a one-file commit, and the first plan after one promotion, with loose tags and then
# packed ones. Each binary works on its own copy (caches live in .git/cairn). Prints medians and new/old ratios.
# Usage: bench-tagged.sh OLD NEW   (BENCH_ARTIFACTS, default 10000; BENCH_RUNS, default 5)
set -euo pipefail
old="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
new="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-tagged.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

python3 "$top/scripts/gen-registry.py" "$work/old" "$count" 200 dev >/dev/null
cp -a "$work/old" "$work/new"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -eq 2 ]; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run NAME COMMAND...: in both copies, old then new, appending each time to NAME.old / NAME.new.
run() {
    local name=$1; shift
    (cd "$work/old" && ms "$old" "$@" >> "$work/$name.old")
    (cd "$work/new" && ms "$new" "$@" >> "$work/$name.new")
}
both() { (cd "$work/old" && "$@") && (cd "$work/new" && "$@"); }
# A one-file commit: a prompt's description edited (no version bump needed for validate).
edit() { both sed -i "s/description: [^}]*}/description: edited $1}/" registry/prompts/p1/prompt-101.yaml; both git commit -qam "edit $1"; }
promote() {  # $1: the new version's patch number
    both sed -i "s/version: 1.0.$(($1 - 1))\\b/version: 1.0.$1/" registry/deployments/x0/deploy-4.yaml
    both git commit -qam "deploy-4 1.0.$1"
    both git tag -a "deployment/deploy-4@v1.0.$1" -m register
    both git tag -a "deployment/deploy-4#dev#$(($1 + 1))" -m promote
    sleep 1
}
for side in old new; do
    binary=$old; [ $side = new ] && binary=$new
    (cd "$work/$side" && "$binary" validate --path registry >/dev/null 2>&1 || true
     "$binary" apply --env dev --path registry --auto-approve --actor bench >/dev/null
     "$binary" plan --env dev --path registry >/dev/null 2>&1 || true)
done
patch=0
phase() {  # $1: loose or packed
    for _ in $(seq "$runs"); do run "validate-warm-$1" validate --path registry; done
    for i in $(seq "$runs"); do edit "$1$i"; run "validate-edit-$1" validate --path registry; done
    for _ in $(seq "$runs"); do run "plan-nochange-$1" plan --env dev --path registry; done
    for _ in $(seq "$runs"); do patch=$((patch + 1)); promote $patch; run "plan-promotion-$1" plan --env dev --path registry; done
}
phase loose
both git pack-refs --all
both "$old" plan --env dev --path registry >/dev/null 2>&1 || true
both "$new" plan --env dev --path registry >/dev/null 2>&1 || true
phase packed

echo
echo "tagged registry, $count artifacts, $(cd "$work/new" && git tag | wc -l) tags ($(nproc) cores); medians of $runs, interleaved:"
printf '  %-38s %8s %8s %8s\n' case "old ms" "new ms" new/old
for name in validate-warm-loose validate-edit-loose plan-nochange-loose plan-promotion-loose \
            validate-warm-packed validate-edit-packed plan-nochange-packed plan-promotion-packed; do
    o=$(median < "$work/$name.old"); n=$(median < "$work/$name.new")
    printf '  %-38s %8s %8s %8s\n' "$name" "$o" "$n" "$(awk -v a="$n" -v b="$o" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')"
done
