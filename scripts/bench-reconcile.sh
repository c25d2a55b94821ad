#!/usr/bin/env bash
# Reconciler benchmark: 10,000 artifacts registered and assigned to one environment (20,000 annotated tags),
# then first apply, a no-change plan, a plan after one promotion, and `audit verify` over 1,000,000 records.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
records="${BENCH_AUDIT_RECORDS:-1000000}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-reconcile.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 200 dev
cd "$work/repo"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -eq 2 ]; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$cairn" validate --path registry >/dev/null  # warm the validation cache, as CI would have
# A yardstick for how fast this machine is right now (shared machines vary by 1.5x between runs).
git_refs=$(for _ in $(seq "$runs"); do ms git for-each-ref refs/tags; done | median)
first=$(ms "$cairn" apply --env dev --path registry --auto-approve --actor bench)
# Each timed one-promotion plan is the first after a promotion: a new version of a deployment (nothing pins
# deployments), registered and assigned, at a new commit.
one_promotion() {  # $1: how many promotions came before (each call runs in a subshell)
    for promoted in $(seq $(($1 + 1)) $(($1 + runs))); do
        sed -i "s/version: 1.0.$((promoted - 1))\\b/version: 1.0.$promoted/" registry/deployments/x0/deploy-4.yaml
        git commit -qam "deploy-4 1.0.$promoted"
        git tag -a "deployment/deploy-4@v1.0.$promoted" -m register
        git tag -a "deployment/deploy-4#dev#$((promoted + 1))" -m promote
        sleep 1
        ms "$cairn" plan --env dev --path registry
    done | median
}
# Tags as written (one loose file each), then packed as a clone or `git gc` leaves them (new tags stay loose).
nochange=$(for _ in $(seq "$runs"); do ms "$cairn" plan --env dev --path registry; done | median)
one=$(one_promotion 0)
git pack-refs --all
git_packed=$(for _ in $(seq "$runs"); do ms git for-each-ref refs/tags; done | median)
nochange_packed=$(for _ in $(seq "$runs"); do ms "$cairn" plan --env dev --path registry; done | median)
one_packed=$(one_promotion "$runs")
"$cairn" plan --env dev --path registry | tail -1 > "$work/one-summary" || true
python3 "$top/scripts/gen-audit.py" registry/.cairn/state.sqlite "$records" >/dev/null
verify=$(for _ in $(seq 3); do ms "$cairn" audit verify --path registry; done | median)
"$cairn" audit verify --path registry > "$work/verify-summary" || true

echo
echo "cairn reconcile, $count artifacts in one environment ($(nproc) cores):"
printf '  %-44s %6s ms   (target < 3000)\n' "first apply" "$first"
printf '  %-44s %6s ms   (target < 300; median of %s)\n' "plan, no changes (loose tags)" "$nochange" "$runs"
printf '  %-44s %6s ms   (target < 300; median of %s)\n' "plan, no changes (packed tags)" "$nochange_packed" "$runs"
printf '  %-44s %6s ms   (target < 100; median of %s)\n' "plan after one promotion (loose tags)" "$one" "$runs"
printf '  %-44s %6s ms   (target < 100; median of %s)\n' "plan after one promotion (packed tags)" "$one_packed" "$runs"
printf '  %-44s %6s ms   (target < 2000; median of 3)\n' "audit verify, $records records" "$verify"
printf '  %-44s %6s ms   loose, %s ms packed (yardstick: this machine now)\n' "git for-each-ref refs/tags ($(git tag | wc -l) tags)" "$git_refs" "$git_packed"
echo "  one-promotion plan: $(cat "$work/one-summary")"
echo "  verify: $(cat "$work/verify-summary")"
