#!/usr/bin/env bash
# Two cairn binaries on the same generated registry (10,000 artifacts registered and assigned to dev, 20,000 tags),
# each in its own copy, timed in turn (old, new, old, new, ...) so that a busy machine slows both alike: validate
# cold and warm, the first apply, a no-change plan; then, on the applied copies, validate after a one-file commit,
# the plan after a plan and the first plan after one promotion, with loose tags and then packed (`git pack-refs`).
# Prints medians and new/old ratios.
# Usage: bench-compare.sh OLD_BINARY NEW_BINARY   (BENCH_ARTIFACTS, BENCH_RUNS)
set -euo pipefail
old="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
new="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 200 dev >/dev/null
cp -r "$work/repo" "$work/old"; cp -r "$work/repo" "$work/new"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -le 2 ]; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
declare -A times
for run in $(seq "$runs"); do
    for side in old new; do
        binary=${!side}
        cd "$work/$side"
        rm -rf .git/cairn .cairn
        times[$side,cold]+="$(ms "$binary" validate --path registry) "
        times[$side,warm]+="$(ms "$binary" validate --path registry) "
        times[$side,apply]+="$(ms "$binary" apply --env dev --path registry --auto-approve --actor bench) "
        times[$side,plan]+="$(ms "$binary" plan --env dev --path registry) "
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "two binaries, $count artifacts, median of $runs interleaved runs ($(nproc) cores):"
printf '  %-36s %8s %8s %7s\n' case "old ms" "new ms" "new/old"
for case in cold warm apply plan; do
    o=$(echo "${times[old,$case]}" | median); n=$(echo "${times[new,$case]}" | median)
    label=$(case $case in cold) echo "validate, cold";; warm) echo "validate, warm";; apply) echo "first apply (fresh store)";; plan) echo "plan, no changes";; esac)
    awk -v l="$label" -v o="$o" -v n="$n" 'BEGIN { printf "  %-36s %8d %8d %7.2f\n", l, o, n, (o > 0 ? n / o : 0) }'
done

# Steady state on the applied copies: what CI and a reconciler see between promotions.
both() { (cd "$work/old" && "$@") && (cd "$work/new" && "$@"); }
patch=0
phase() {  # $1: loose or packed
    for i in $(seq "$runs"); do
        both sed -i "s/description: [^}]*}/description: edited $1 $i}/" registry/prompts/p1/prompt-101.yaml
        both git commit -qam "edit $1 $i"
        for side in old new; do times[$side,edit-$1]+="$(cd "$work/$side" && ms "${!side}" validate --path registry) "; done
    done
    for _ in $(seq "$runs"); do
        for side in old new; do times[$side,nochange-$1]+="$(cd "$work/$side" && ms "${!side}" plan --env dev --path registry) "; done
    done
    for _ in $(seq "$runs"); do
        patch=$((patch + 1))
        both sed -i "s/version: 1.0.$((patch - 1))\\b/version: 1.0.$patch/" registry/deployments/x0/deploy-4.yaml
        both git commit -qam "deploy-4 1.0.$patch"
        both git tag -a "deployment/deploy-4@v1.0.$patch" -m register
        both git tag -a "deployment/deploy-4#dev#$((patch + 1))" -m promote
        sleep 1
        for side in old new; do times[$side,promotion-$1]+="$(cd "$work/$side" && ms "${!side}" plan --env dev --path registry) "; done
    done
}
phase loose
both git pack-refs --all
for side in old new; do (cd "$work/$side" && "${!side}" plan --env dev --path registry >/dev/null 2>&1 || true); done
phase packed
echo "  on the applied copies ($(cd "$work/new" && git tag | wc -l) tags):"
for case in edit-loose nochange-loose promotion-loose edit-packed nochange-packed promotion-packed; do
    o=$(echo "${times[old,$case]}" | median); n=$(echo "${times[new,$case]}" | median)
    label=$(case $case in
        edit-*) echo "validate after a one-file commit (${case#*-})";;
        nochange-*) echo "plan after a plan (${case#*-} tags)";;
        promotion-*) echo "plan after one promotion (${case#*-})";; esac)
    awk -v l="$label" -v o="$o" -v n="$n" 'BEGIN { printf "  %-36s %8d %8d %7.2f\n", l, o, n, (o > 0 ? n / o : 0) }'
done
