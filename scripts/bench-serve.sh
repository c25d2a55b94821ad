#!/usr/bin/env bash
# cairn serve under load: registry-example applied to dev, a release server on a loopback port, and wrk (Debian's)
# asking for one deployed prompt: the full answer (200, content) and a revalidation (304, If-None-Match), then the
# deployed list. Prints requests/s and latency percentiles. Usage: bench-serve.sh CAIRN (BENCH_SECONDS, BENCH_CONNECTIONS)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-16}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-serve.XXXXXX")"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
cd "$work" && git init -q -b main repo && cd repo
cp -r "$top/registry-example" registry && git add -A && git commit -qm registry
"$cairn" register --all --path registry --actor bench >/dev/null
"$cairn" promote deployment/support-bot@1.4.0 --to dev --path registry --actor bench >/dev/null
"$cairn" apply --env dev --path registry --auto-approve --actor bench >/dev/null
"$cairn" serve --listen 127.0.0.1:0 --path registry >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 200); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
address="$(sed -n 's/^listening on //p' "$work/serve.out")"
[ -n "$address" ] || { cat "$work/serve.out" >&2; exit 1; }
url="http://$address/v1/environments/dev/artifacts/prompt/support-triage"
etag="$(curl -s -D - -o /dev/null "$url" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')"
run() {  # label, wrk arguments...
    local label="$1"; shift
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" > "$work/wrk.out"
    awk -v l="$label" '
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
        /Non-2xx or 3xx/ { bad = $NF }
        END { printf "  %-44s %9s req/s   p50 %8s   p90 %8s   p99 %8s%s\n", l, rps, p50, p90, p99, (bad ? "   non-2xx/3xx: " bad : "") }' "$work/wrk.out"
}
echo "cairn serve on SQLite, wrk -t2 -c$connections -d${seconds}s over loopback ($(nproc) cores, server and wrk on the same machine):"
run "GET one prompt (200, with content)" "$url"
run "GET one prompt, If-None-Match (304)" -H "If-None-Match: $etag" "$url"
run "GET the deployed list (dev)" "http://$address/v1/environments/dev/artifacts"
