#!/usr/bin/env bash
# From a pushed promotion to the new version being served, on the 10,000-artifact benchmark registry: a bare
# repository on disk as the remote, `cairn serve --remote` (dev syncs itself; the interval is an hour, so only the
# webhook wakes it), and for each of BENCH_ROUNDS rounds: a new version of one deployment committed, registered and
# promoted to dev with git tags, `git push --tags`, a signed POST to /v1/webhooks/generic, then GETs until the
# server answers with the new version. Prints each round's time (push start to served), the median, and the server's
# resident memory (VmRSS) with 10,000 artifacts deployed, after start-up and at the end.
# Usage: bench-serve-sync.sh CAIRN   (BENCH_ARTIFACTS, default 10000; BENCH_ROUNDS, default 5)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
rounds="${BENCH_ROUNDS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-sync.XXXXXX")"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss() { awk '/^VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$server/status"; }

python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 200 dev >/dev/null
cd "$work/repo"
sed -i 's/  - {name: dev}/  - {name: dev, policy: {sync: auto}}/' registry/cairn.yaml
git commit -qam "dev syncs itself"
# As in a CI checkout (a clone): references packed. With 20,000 loose tags, git push itself took twice as long.
git pack-refs --all
git clone -q --bare . "$work/remote.git"
git remote add origin "$work/remote.git"
echo "bench-webhook-secret" > "$work/secret"
state="sqlite:$work/state.sqlite"
started=$(ms)
"$cairn" serve --remote "$work/remote.git" --mirror "$work/mirror" --path registry --state "$state" --listen 127.0.0.1:0 \
    --interval 1h --webhook-secret-file "$work/secret" >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
address="$(sed -n 's/^listening on //p' "$work/serve.out")"
[ -n "$address" ] || { cat "$work/serve.out" >&2; exit 1; }
# The agent's first round (a fetch into the empty mirror, then the apply of all of dev) may end before or after the
# server listens; wait until dev is in sync.
for _ in $(seq 1200); do
    curl -s "http://$address/v1/environments" | python3 -c '
import json, sys
dev = [e for e in json.load(sys.stdin)["environments"] if e["name"] == "dev"][0]
sys.exit(0 if dev.get("sync") == "in-sync" and dev.get("artifacts", 0) > 0 else 1)' 2>/dev/null && break
    sleep 0.1
done
echo "cairn serve --remote, $count artifacts fetched and deployed to dev $(( $(ms) - started )) ms after start; resident memory $(rss)"

# A deployment: nothing references one, so a new version of it changes nothing else that is declared.
file=$(git ls-files 'registry/deployments/*.yaml' | sed -n 1p)
name=$(sed -n 's/.*name: \([a-z0-9-]*\).*/\1/p' "$file" | sed -n 1p)
url="http://$address/v1/environments/dev/artifacts/deployment/$name"
times=() pushes=() syncs=()
# The webhook's body and signature, made once (a git host signs it on its side; a Python start-up per round is ~0.1 s).
body='{"ref":"refs/heads/main"}'
signature="sha256=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' bench-webhook-secret "$body")"
for round in $(seq "$rounds"); do
    version="9.0.$round"
    sed -i "s/version: [0-9.]*/version: $version/" "$file"
    git commit -qam "deployment/$name $version"
    git tag -a "deployment/$name@v$version" -m register
    git tag -a "deployment/$name#dev#$((round + 1))" -m "promote to dev"
    begin=$(ms)
    # What CI pushes: the branch and the two new tags (--tags would have git compare all 20,000).
    git push -q origin main "refs/tags/deployment/$name@v$version" "refs/tags/deployment/$name#dev#$((round + 1))"
    pushed=$(ms)
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Cairn-Signature-256: $signature" -d "$body" "http://$address/v1/webhooks/generic")
    [ "$code" = 202 ] || [ "$code" = 200 ] || { echo "the webhook answered $code" >&2; exit 1; }
    for _ in $(seq 3000); do curl -s "$url" | grep -q "\"version\":\"$version\"" && break; sleep 0.01; done
    curl -s "$url" | grep -q "\"version\":\"$version\"" || { echo "round $round: $version was never served" >&2; tail -5 "$work/serve.out" >&2; exit 1; }
    served=$(ms)
    times+=($(( served - begin )))
    pushes+=($(( pushed - begin )))
    syncs+=($(( served - pushed )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "  push of one promotion + webhook -> new version served: ${times[*]} ms (median $(median "${times[@]}") ms; target < 1000 ms)"
echo "    of which git push (git's own time against a remote with 20,000 tags): ${pushes[*]} ms (median $(median "${pushes[@]}") ms)"
echo "    of which webhook -> fetched, applied and served: ${syncs[*]} ms (median $(median "${syncs[@]}") ms)"
echo "  resident memory after $rounds rounds: $(rss)"
# Where a round goes: the agent's own records of its reconciliations of dev, and the fetch histogram.
curl -s "http://$address/v1/environments" | python3 -c '
import json, sys
dev = [e for e in json.load(sys.stdin)["environments"] if e["name"] == "dev"][0]
rounds = '"$rounds"'
print("  dev reconciliations (newest first):", ", ".join(r["result"] + " " + str(r["durationMs"]) + " ms" for r in dev.get("reconciliations", [])[:rounds + 1]))' 2>/dev/null || true
curl -s "http://$address/metrics" | awk '/^cairn_git_fetch_duration_seconds_(sum|count)/ { v[$1] = $2 } END { for (k in v) if (k ~ /count/) n = v[k]; else s = v[k]; if (n > 0) printf "  git fetches: %d, %.0f ms each on average\n", n, s * 1000 / n }'

