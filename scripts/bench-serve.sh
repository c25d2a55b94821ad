#!/usr/bin/env bash
# cairn serve under load: registry-example applied to dev, a release server on a loopback port, and wrk (Debian's)
# asking for one deployed prompt: the full answer (200, content), a revalidation (304, If-None-Match), a render
# (POST), and the deployed list; in the same run, nginx (Debian's, 2 workers) serving the same JSON bytes as a static
# file (the ceiling here), and, when .venv-mlflow holds MLflow (pip install mlflow), MLflow's server answering the
# request load_prompt("prompts:/NAME@production") makes. Prints requests/s, latency percentiles and the ratios.
# Usage: bench-serve.sh CAIRN (BENCH_SECONDS, BENCH_CONNECTIONS)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-32}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-serve.XXXXXX")"
server=""
nginx_pid="" mlflow_pid=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
      [ -n "$mlflow_pid" ] && kill -- -"$mlflow_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
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
declare -A rps p99
run() {  # key, label, wrk arguments...
    local key="$1" label="$2"; shift 2
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" > "$work/wrk.out"
    awk -v l="$label" '
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
        /Non-2xx or 3xx/ { bad = $NF }
        END { printf "  %-48s %9s req/s   p50 %8s   p90 %8s   p99 %8s%s\n", l, rps, p50, p90, p99, (bad ? "   non-2xx/3xx: " bad : "") }' "$work/wrk.out"
    rps[$key]="$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")"
    p99[$key]="$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; print v }' "$work/wrk.out")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# The same bytes as a static file behind nginx, 2 workers, access log off: the ceiling on this machine.
mkdir -p "$work/www"
curl -s "$url" > "$work/www/prompt.json"
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/prompt.json"  # nginx's workers run as another user
printf '%s\n' "worker_processes 2; pid $work/nginx.pid; error_log $work/nginx-error.log; daemon off;" \
    "events { worker_connections 1024; }" \
    "http { access_log off; server { listen 127.0.0.1:0; root $work/www; location / { etag on; default_type application/json; } } }" > "$work/nginx.conf"
nginx_port=""
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    nginx_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$nginx_port;/" "$work/nginx.conf"
    "$(command -v nginx || echo /usr/sbin/nginx)" -c "$work/nginx.conf" -p "$work" &
    nginx_pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/prompt.json" && break; sleep 0.05; done
fi

cat > "$work/render.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"variables": {"subject": "Late order", "body": "Where is my parcel?"}}'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "wrk -t2 -c$connections -d${seconds}s over loopback ($(nproc) cores, servers and wrk on the same machine):"
echo " cairn serve (SQLite):"
run get "GET one prompt (200, with content)" "$url"
run get304 "GET one prompt, If-None-Match (304)" -H "If-None-Match: $etag" "$url"
run render "POST render (chat, with its fallback)" -s "$work/render.lua" "http://$address/v1/environments/dev/artifacts/prompt/support-triage/render"
run list "GET the deployed list (dev)" "http://$address/v1/environments/dev/artifacts"
if [ -n "$nginx_port" ]; then
    nginx_etag="$(curl -s -D - -o /dev/null "http://127.0.0.1:$nginx_port/prompt.json" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')"
    echo " nginx $(nginx -v 2>&1 | sed 's/.*\///'), the same JSON as a static file:"
    run nginx "GET (200)" "http://127.0.0.1:$nginx_port/prompt.json"
    run nginx304 "GET, If-None-Match (304)" -H "If-None-Match: $nginx_etag" "http://127.0.0.1:$nginx_port/prompt.json"
fi
mlflow="$top/.venv-mlflow/bin/mlflow"
if [ -x "$mlflow" ]; then
    mlflow_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
    (cd "$work" && exec setsid "$mlflow" server --backend-store-uri "sqlite:///$work/mlflow.db" --host 127.0.0.1 --port "$mlflow_port" --workers 4 \
        > "$work/mlflow.log" 2>&1) &
    mlflow_pid=$!
    for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$mlflow_port/health" && break; sleep 0.1; done
    # The prompt is registered through MLflow's REST API as its client registers one (a registered model and a
    # version tagged as a prompt, then the alias): MLflow 3's Python client hung here before (8 min, then killed).
    api="http://127.0.0.1:$mlflow_port/api/2.0/mlflow"
    post() { curl -s -f -X POST -H 'Content-Type: application/json' -d "$2" "$api/$1" >>"$work/mlflow-client.log" 2>&1; }
    post registered-models/create '{"name": "support-triage", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}' \
      && post model-versions/create '{"name": "support-triage", "source": "dummy-source", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "mlflow.prompt.text", "value": "Ticket subject: {{subject}}\\n\\n{{body}}"}]}' \
      && post registered-models/alias '{"name": "support-triage", "alias": "production", "version": "1"}'
    if ! curl -sf -o /dev/null "$api/registered-models/alias?name=support-triage&alias=production"; then
        echo " MLflow: registering the prompt failed; left out ($(tail -c 300 "$work/mlflow-client.log"))"
    else
    echo " MLflow $("$mlflow" --version 2>/dev/null | sed 's/.*version //'), 4 workers, SQLite: the request load_prompt(\"prompts:/support-triage@production\") makes:"
    run mlflow "GET registered-models/alias (200)" "http://127.0.0.1:$mlflow_port/api/2.0/mlflow/registered-models/alias?name=support-triage&alias=production"
    fi
fi
echo " ratios in this run:"
[ -n "$nginx_port" ] && echo "  cairn GET / nginx GET: $(ratio "${rps[get]}" "${rps[nginx]}") of its requests/s; p99 $(ratio "${p99[get]}" "${p99[nginx]}")x nginx's;" \
    "304: $(ratio "${rps[get304]}" "${rps[nginx304]}"); render / nginx GET: $(ratio "${rps[render]}" "${rps[nginx]}")"
[ -n "${rps[mlflow]:-}" ] && echo "  cairn GET / MLflow alias GET: $(ratio "${rps[get]}" "${rps[mlflow]}")x"
true
