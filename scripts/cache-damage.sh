#!/usr/bin/env bash
# A cache can be wrong only by being absent: the files under .git/cairn/ are damaged at random (one flipped bit, a
# truncation, or eight bytes set to 0xff, which makes a length near its maximum), one file per round in turn, and
# validate, plan and apply must answer exactly as a run without any cache does: same output, same exit status, and
# the same deployed rows. The caches damaged are those of two moments (before a promotion, so that plan resolves
# incrementally on top of them, and after it, so that plan takes them as they are).
# Usage: cache-damage.sh CAIRN   (CACHE_DAMAGE_ROUNDS, default 40; CACHE_DAMAGE_ARTIFACTS, default 300)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${CACHE_DAMAGE_ROUNDS:-40}"
count="${CACHE_DAMAGE_ARTIFACTS:-300}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-cache-damage.XXXXXX")"
trap "${CACHE_DAMAGE_KEEP:+:} rm -rf \"$work\"" EXIT
export GIT_AUTHOR_NAME=Damage GIT_AUTHOR_EMAIL=damage@example.com GIT_COMMITTER_NAME=Damage GIT_COMMITTER_EMAIL=damage@example.com
fail() { echo "CACHE DAMAGE FAILED: $*" >&2; exit 1; }

python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 10 dev >/dev/null
cd "$work/repo"
"$cairn" apply --env dev --path registry --auto-approve --actor setup --state "$work/base.sqlite" >/dev/null

# What a store deploys, row by row, with a digest of each content.
rows() {
    python3 - "$1" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute("SELECT environment, kind, name, version, digest, source_commit, tag, content FROM deployed ORDER BY 1, 2, 3"):
    print(*row[:7], hashlib.sha256(row[7].encode()).hexdigest())
PY
}
# The three commands on the base store as it was (always at one path, so that a plan may build on the cached last
# plan); output with each exit status.
store="$work/store.sqlite"
run() {  # $1: a name for this run's files
    cp "$work/base.sqlite" "$store"
    { "$cairn" validate --path registry 2>&1; echo "validate exit $?"; } > "$work/$1.out" || true
    { "$cairn" plan --env dev --path registry --state "$store" 2>&1; echo "plan exit $?"; } >> "$work/$1.out" || true
    { "$cairn" apply --env dev --path registry --state "$store" --auto-approve --actor damage 2>&1; echo "apply exit $?"; } \
        | sed 's/ (state serial [0-9]*)//' >> "$work/$1.out" || true
    rows "$store" | sed 's/^/row /' >> "$work/$1.out"
}

# Caches before the promotion, then the promotion (a new deployment version, and a chain's prompt moved).
cp "$work/base.sqlite" "$store"
"$cairn" validate --path registry >/dev/null && "$cairn" plan --env dev --path registry --state "$store" >/dev/null || true
cp -r .git/cairn "$work/cache-before"
sed -i "s/version: 1.0.0\\b/version: 1.0.1/" registry/deployments/x0/deploy-4.yaml
git commit -qam "deploy-4 1.0.1"
git tag -a "deployment/deploy-4@v1.0.1" -m register
git tag -a "deployment/deploy-4#dev#2" -m promote
cp "$work/base.sqlite" "$store"
"$cairn" validate --path registry >/dev/null && "$cairn" plan --env dev --path registry --state "$store" >/dev/null || true
cp -r .git/cairn "$work/cache-after"

rm -rf .git/cairn
run reference
grep -q "^row dev Deployment deploy-4 1.0.1 " "$work/reference.out" || fail "the reference apply did not deploy the promotion"

damaged=0
for round in $(seq "$rounds"); do
    moment=$([ $((round % 2)) = 0 ] && echo before || echo after)
    rm -rf .git/cairn && cp -r "$work/cache-$moment" .git/cairn
    files=(.git/cairn/*)
    file=${files[$(( (round / 2) % ${#files[@]} ))]}
    how=$(python3 - "$file" "$round" <<'PY'
import random, sys
path, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
data = bytearray(open(path, "rb").read())
mode = rng.choice(["flip", "flip", "truncate", "length"])
if mode == "flip":
    bit = rng.randrange(len(data) * 8)
    data[bit // 8] ^= 1 << (bit % 8)
    what = f"bit {bit} flipped"
elif mode == "truncate":
    size = rng.randrange(len(data))
    data = data[:size]
    what = f"truncated to {size} bytes"
else:
    at = rng.randrange(max(1, len(data) - 8))
    data[at:at + 8] = b"\xff" * 8
    what = f"8 bytes at {at} set to 0xff"
open(path, "wb").write(data)
print(what)
PY
)
    run "round-$round"
    diff -q "$work/reference.out" "$work/round-$round.out" >/dev/null \
        || fail "round $round ($moment the promotion, $(basename "$file") $how): output differs from a run without caches:
$(diff "$work/reference.out" "$work/round-$round.out" | head -20)"
    damaged=$((damaged + 1))
done
echo "  damaged caches: $damaged rounds (bit flips, truncations, huge lengths in each file in turn), every answer as without caches"
