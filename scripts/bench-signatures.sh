#!/usr/bin/env bash
# Signed promotions at scale: the same registry twice (BENCH_ARTIFACTS artifacts, default 10,000, registered and
# assigned to dev), once as written and once with every assignment tag signed (ssh-keygen, Ed25519) and dev's policy
# at signedPromotions: true. In one run, interleaved: the first apply (it verifies every assignment it deploys; on a
# fresh copy each time), a no-change plan and a no-change apply, each signed next to unsigned, with the ratios.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
runs="${BENCH_RUNS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-signatures.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -eq 2 ]; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

python3 "$top/scripts/gen-registry.py" "$work/unsigned" "$count" 200 dev >/dev/null
cp -r "$work/unsigned" "$work/signed"
ssh-keygen -q -t ed25519 -N "" -C bench -f "$work/key"
cd "$work/signed"
echo "bench@example.com namespaces=\"git\" $(cut -d' ' -f1,2 "$work/key.pub")" > registry/allowed_signers
python3 - <<'PY'
import re
path = "registry/cairn.yaml"
text = open(path).read().replace("environments:\n  - {name: dev}\n",
    "signers: allowed_signers\nenvironments:\n  - name: dev\n    policy: {signedPromotions: true}\n")
open(path, "w").write(text)
PY
git add -A && git commit -qm "dev takes signed promotions"
python3 "$top/scripts/sign-tags.py" . "$work/key" '*#dev#1'
# Both repositories get one more commit, so that HEAD's cairn.yaml is what each applies with.
(cd "$work/unsigned" && git commit -q --allow-empty -m "same history length")
for repo in unsigned signed; do (cd "$work/$repo" && "$cairn" validate --path registry >/dev/null || true); done

# The first apply on a fresh copy of each (store and caches as validate left them), interleaved, BENCH_FIRST_RUNS times.
first_runs="${BENCH_FIRST_RUNS:-3}"
fu=() fs=()
for run in $(seq "$first_runs"); do
    for repo in unsigned signed; do
        rm -rf "$work/first" && cp -r "$work/$repo" "$work/first"
        elapsed=$(cd "$work/first" && ms "$cairn" apply --env dev --path registry --auto-approve --actor bench)
        if [ "$repo" = unsigned ]; then fu+=("$elapsed"); else fs+=("$elapsed"); fi
    done
done
rm -rf "$work/first"
first_unsigned=$(printf '%s\n' "${fu[@]}" | median)
first_signed=$(printf '%s\n' "${fs[@]}" | median)
for repo in unsigned signed; do (cd "$work/$repo" && "$cairn" apply --env dev --path registry --auto-approve --actor bench >/dev/null); done
(cd "$work/signed" && "$cairn" status --env dev --path registry > "$work/signed-status" 2>&1 || true)
pairs() {  # $1: the cairn arguments; prints "unsigned signed" medians, interleaved runs
    local u=() s=()
    for _ in $(seq "$runs"); do
        u+=("$(cd "$work/unsigned" && ms "$cairn" $1)")
        s+=("$(cd "$work/signed" && ms "$cairn" $1)")
    done
    echo "$(printf '%s\n' "${u[@]}" | median) $(printf '%s\n' "${s[@]}" | median)"
}
read -r plan_unsigned plan_signed <<< "$(pairs "plan --env dev --path registry")"
read -r apply_unsigned apply_signed <<< "$(pairs "apply --env dev --path registry --auto-approve --actor bench")"
ratio() { python3 -c "print(f'{$2 / $1:.2f}')"; }

echo
echo "signed promotions, $count assignment tags ($(nproc) cores; median of $runs interleaved where noted):"
printf '  %-30s %7s ms unsigned %7s ms signed   ratio %s (target <= 2)\n' "first apply (median of $first_runs)" "$first_unsigned" "$first_signed" "$(ratio "$first_unsigned" "$first_signed")"
printf '  %-30s %7s ms unsigned %7s ms signed   ratio %s (target <= 1.2)\n' "no-change plan" "$plan_unsigned" "$plan_signed" "$(ratio "$plan_unsigned" "$plan_signed")"
printf '  %-30s %7s ms unsigned %7s ms signed   ratio %s (target <= 1.2)\n' "no-change apply" "$apply_unsigned" "$apply_signed" "$(ratio "$apply_unsigned" "$apply_signed")"
echo "  signed registry after its first apply: $(head -1 "$work/signed-status")"
