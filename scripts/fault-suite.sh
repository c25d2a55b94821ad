#!/usr/bin/env bash
# The standing fault suite (make test runs it; make fault runs more): the built binary, a real git repository and
# a real SQLite store (and a real PostgreSQL server when CAIRN_TEST_POSTGRES_URL names one), and
#   1. kill -9 of an apply at a random moment, FAULT_ITERATIONS times (default 10) on SQLite and PG_FAULT_ITERATIONS
#      times (default 25) on PostgreSQL; after each: the store passes its integrity check, 'cairn audit verify'
#      passes, the apply landed whole or not at all, and the next apply succeeds (taking over the dead apply's lease
#      at once: its process is gone);
#   2. concurrent first use of a fresh store by 8 processes, FAULT_ROUNDS times (default 5);
#   3. hostile input files, each refused with file:line:column and exit 1 (a timeout guards against a hang);
#   4. damaged cache files (scripts/cache-damage.sh): validate, plan and apply answer as without any cache.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
iterations="${FAULT_ITERATIONS:-10}"
rounds="${FAULT_ROUNDS:-5}"
count="${FAULT_ARTIFACTS:-1000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-fault.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Fault GIT_AUTHOR_EMAIL=fault@example.com GIT_COMMITTER_NAME=Fault GIT_COMMITTER_EMAIL=fault@example.com
fail() { echo "FAULT SUITE FAILED: $*" >&2; exit 1; }

python3 "$top/scripts/gen-registry.py" "$work/repo" "$count" 20 dev >/dev/null
cd "$work/repo"
# What the store holds: serial, audit records, deployed rows, rows whose content no longer hashes to their digest.
facts() {
    if [ "$backend" = postgres ]; then
        psql "$pg_base" -v ON_ERROR_STOP=1 -At -F ' ' -c "SELECT 'ok',
            (SELECT coalesce(max(serial), 0) FROM $pg_schema.environment WHERE name = 'dev'),
            (SELECT count(*) FROM $pg_schema.audit),
            (SELECT count(*) FROM $pg_schema.deployed WHERE environment = 'dev'),
            (SELECT count(*) FROM $pg_schema.deployed WHERE environment = 'dev' AND encode(sha256(convert_to(content, 'UTF8')), 'hex') <> digest)"
        return
    fi
    python3 - "$db" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
serial = db.execute("SELECT coalesce(max(serial), 0) FROM environment WHERE name = 'dev'").fetchone()[0]
records = db.execute("SELECT count(*) FROM audit").fetchone()[0]
rows = db.execute("SELECT content, digest FROM deployed WHERE environment = 'dev'").fetchall()
drifted = sum(1 for content, digest in rows if hashlib.sha256(content.encode()).hexdigest() != digest)
print(ok, serial, records, len(rows), drifted)
PY
}
drift_everything() {  # every row edited behind cairn's back, so that the next apply rewrites them all
    if [ "$backend" = postgres ]; then
        psql "$pg_base" -v ON_ERROR_STOP=1 -q -c "UPDATE $pg_schema.deployed SET content = content || ' '"
        return
    fi
    python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE deployed SET content = content || ' '")
db.commit()
PY
}

# kill -9 of applies on the store CAIRN_STATE_URL names ($backend: sqlite or postgres), $1 times.
# After an apply was cut off: it landed whole (true: the serial moved by one, no row drifted, one record per row) or
# not at all (false: serial, drift and records as before); anything between fails the suite. $1 names the round.
# Reads serial, records, rows (before) and serial2, drifted2, records2 (after).
landed_whole() {
    if [ "$serial2" = "$serial" ]; then
        [ "$drifted2" = "$rows" ] && [ "$records2" = "$records" ] || fail "$1: serial unchanged but $drifted2 of $rows rows drifted, audit $records -> $records2"
        return 1
    fi
    [ "$serial2" = "$((serial + 1))" ] && [ "$drifted2" = "0" ] && [ "$records2" = "$((records + rows))" ] \
        || fail "$1: serial $serial -> $serial2, $drifted2 rows drifted, audit $records -> $records2 ($rows rows)"
}

kill_applies() {
    local iterations=$1
    "$cairn" apply --env dev --path registry --auto-approve --actor setup >/dev/null
    # How long a whole apply takes here, so that kills land before, during and after its transaction.
    drift_everything
    local start landed=0 not_landed=0
    start=$(date +%s%N)
    "$cairn" apply --env dev --path registry --auto-approve --actor timing >/dev/null
    span=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "fault suite ($backend): $count artifacts, a full apply takes ${span} ms; $iterations kills"
    for i in $(seq "$iterations"); do
        drift_everything
        read -r ok serial records rows drifted <<<"$(facts)"
        [ "$drifted" = "$rows" ] || fail "$backend iteration $i: setup left $drifted of $rows rows drifted"
        # Anywhere from the start to well past the commit, which comes at the end of an apply.
        delay=$(( span / 4 + RANDOM % (span + 1) ))
        "$cairn" apply --env dev --path registry --auto-approve --actor "killed-$i" >/dev/null 2>&1 &
        pid=$!
        sleep "$(awk "BEGIN {print $delay / 1000}")"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        read -r ok2 serial2 records2 rows2 drifted2 <<<"$(facts)"
        [ "$ok2" = "ok" ] || fail "$backend iteration $i (kill after ${delay} ms): integrity check says $ok2"
        "$cairn" audit verify --path registry >/dev/null || fail "$backend iteration $i: audit verify failed after the kill"
        if landed_whole "$backend iteration $i"; then landed=$((landed + 1)); else not_landed=$((not_landed + 1)); fi
        out=$("$cairn" apply --env dev --path registry --auto-approve --actor "next-$i" 2>&1) || fail "$backend iteration $i: the next apply failed: $out"
        read -r ok3 _ _ _ drifted3 <<<"$(facts)"
        [ "$drifted3" = "0" ] || fail "$backend iteration $i: the next apply left $drifted3 rows drifted"
        "$cairn" audit verify --path registry >/dev/null || fail "$backend iteration $i: audit verify failed after the next apply"
    done
    echo "  kill -9 during apply ($backend): $landed landed whole, $not_landed not at all, 0 partial; every next apply succeeded"
}

backend=sqlite
db=.cairn/state.sqlite
mkdir -p .cairn
export CAIRN_STATE_URL="sqlite:$work/repo/$db"
kill_applies "$iterations"
if [ -n "${CAIRN_TEST_POSTGRES_URL:-}" ]; then
    backend=postgres
    pg_base="$CAIRN_TEST_POSTGRES_URL"
    pg_schema="fault_$$"
    export CAIRN_STATE_URL="$pg_base?schema=$pg_schema"
    # A registry of its own, smaller (PG_FAULT_ARTIFACTS, default 400): 25 kills stay within a few minutes; the
    # kill times scale with how long its apply takes.
    count="${PG_FAULT_ARTIFACTS:-400}"
    python3 "$top/scripts/gen-registry.py" "$work/pg-repo" "$count" 20 dev >/dev/null
    cd "$work/pg-repo"
    kill_applies "${PG_FAULT_ITERATIONS:-25}"
    # The server restarted (crash-like: -m immediate) in the middle of an apply: the connection drops mid-transaction.
    if [ -n "${CAIRN_TEST_POSTGRES_CTL:-}" ]; then
        restarts="${PG_RESTARTS:-3}"
        landed=0; not_landed=0
        for i in $(seq "$restarts"); do
            drift_everything
            read -r ok serial records rows drifted <<<"$(facts)"
            delay=$(( span / 3 + RANDOM % (span / 2 + 1) ))
            CAIRN_POSTGRES_LOG=debug "$cairn" apply --env dev --path registry --auto-approve --actor "restarted-$i" >"$work/restart.out" 2>&1 &
            pid=$!
            sleep "$(awk "BEGIN {print $delay / 1000}")"
            (cd / && eval "$CAIRN_TEST_POSTGRES_CTL restart -m immediate" >/dev/null)
            for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            if kill -0 "$pid" 2>/dev/null; then
                kill -9 "$pid"
                fail "restart $i: the apply still runs 60 s after the restart: $(grep -v '^  [~+-]' "$work/restart.out" | tail -20)"
            fi
            set +e; wait "$pid"; status=$?; set -e
            read -r ok2 serial2 records2 rows2 drifted2 <<<"$(facts)"
            if landed_whole "restart $i"; then
                landed=$((landed + 1))
            else
                [ "$status" != 0 ] || fail "restart $i: apply said it succeeded but nothing landed"
                grep -q "state store" "$work/restart.out" || fail "restart $i: the failed apply did not name the store: $(head -3 "$work/restart.out")"
                not_landed=$((not_landed + 1))
            fi
            out=$("$cairn" apply --env dev --path registry --auto-approve --actor "after-restart-$i" 2>&1) || fail "restart $i: the next apply failed: $out"
            "$cairn" audit verify --path registry >/dev/null || fail "restart $i: audit verify failed"
        done
        echo "  server restarted during apply: $landed landed whole, $not_landed not at all, 0 partial; every next apply succeeded"
    fi
fi
unset CAIRN_STATE_URL
cd "$work/repo"

for round in $(seq "$rounds"); do
    fresh="$work/fresh-$round"
    mkdir "$fresh"
    pids=()
    for p in $(seq 8); do
        "$cairn" status --env dev --path registry --state "$fresh/state.sqlite" >"$fresh/out-$p" 2>&1 &
        pids+=($!)
    done
    for p in "${!pids[@]}"; do
        wait "${pids[$p]}" || fail "concurrent first use, round $round: process $((p + 1)) failed: $(cat "$fresh/out-$((p + 1))")"
    done
done
echo "  concurrent first use of a fresh store: $rounds rounds of 8 processes, all opened it"

python3 "$top/scripts/gen-hostile.py" "$work/hostile-files"
refused=0
for file in "$work"/hostile-files/*.yaml; do
    name=$(basename "$file")
    registry="$work/hostile-${name%.yaml}"
    mkdir -p "$registry/prompts"
    cp "$top/registry-example/cairn.yaml" "$registry/cairn.yaml"
    cp "$file" "$registry/prompts/$name"
    git -C "$registry" init -q && git -C "$registry" add -A && git -C "$registry" commit -qm "$name"
    set +e
    out=$(timeout 60 "$cairn" validate --repo "$registry" 2>&1)
    status=$?
    set -e
    [ "$status" = "1" ] || fail "hostile $name: exit $status (want 1): $(echo "$out" | head -3 | cut -c1-300)"
    echo "$out" | grep -qE "prompts/$name:[0-9]+:[0-9]+: error" || fail "hostile $name: no file:line:column in: $(echo "$out" | head -3 | cut -c1-300)"
    refused=$((refused + 1))
done
echo "  hostile inputs: $refused files, each refused with file:line:column"

# 4. Damaged caches answer as no cache does (CACHE_DAMAGE_ROUNDS, default 40).
"$top/scripts/cache-damage.sh" "$cairn"
