#!/usr/bin/env bash
# The state stores side by side: SQLite and PostgreSQL in one run, measurements interleaved (make bench-state runs it
# beside a throw-away server with PostgreSQL's default settings, fsync on). 10,000 artifacts in one environment: first
# apply, a no-change plan, a plan after one promotion, status; then `audit verify` over 1,000,000 records, after
# `cairn state migrate` copied them from SQLite to PostgreSQL. Each PostgreSQL figure is also given as a ratio to SQLite.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
count="${BENCH_ARTIFACTS:-10000}"
records="${BENCH_AUDIT_RECORDS:-1000000}"
runs="${BENCH_RUNS:-5}"
: "${CAIRN_TEST_POSTGRES_URL:?run this through scripts/with-postgres.sh (make bench-state does)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-state.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

python3 "$top/scripts/gen-registry.py" "$work/sqlite" "$count" 200 dev >/dev/null
cp -a "$work/sqlite" "$work/postgres"
mkdir -p "$work/sqlite/.cairn"
url_sqlite="sqlite:$work/sqlite/.cairn/state.sqlite"
url_postgres="$CAIRN_TEST_POSTGRES_URL?schema=bench_$$"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1 || [ $? -eq 2 ]; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# on BACKEND COMMAND...: runs cairn in that backend's repository, on its store.
on() { local backend=$1; shift; local url="url_$backend"; (cd "$work/$backend" && CAIRN_STATE_URL="${!url}" ms "$cairn" "$@" --path registry); }
declare -A first nochange one status
for backend in sqlite postgres; do (cd "$work/$backend" && "$cairn" validate --path registry >/dev/null); done
for backend in sqlite postgres; do first[$backend]=$(on "$backend" apply --env dev --auto-approve --actor bench); done
for backend in sqlite postgres; do : >"$work/nochange-$backend" >"$work/one-$backend" >"$work/status-$backend"; done
for _ in $(seq "$runs"); do
    for backend in sqlite postgres; do on "$backend" plan --env dev >>"$work/nochange-$backend"; done
    for backend in sqlite postgres; do on "$backend" status --env dev >>"$work/status-$backend"; done
done
# Each timed one-promotion plan is the first after a promotion: a new version of a deployment, registered and assigned.
for promoted in $(seq 1 "$runs"); do
    for backend in sqlite postgres; do
        (cd "$work/$backend"
         sed -i "s/version: 1.0.$((promoted - 1))\\b/version: 1.0.$promoted/" registry/deployments/x0/deploy-4.yaml
         git commit -qam "deploy-4 1.0.$promoted"
         git tag -a "deployment/deploy-4@v1.0.$promoted" -m register
         git tag -a "deployment/deploy-4#dev#$((promoted + 1))" -m promote)
    done
    sleep 1
    for backend in sqlite postgres; do on "$backend" plan --env dev >>"$work/one-$backend"; done
done
for backend in sqlite postgres; do
    nochange[$backend]=$(median <"$work/nochange-$backend")
    one[$backend]=$(median <"$work/one-$backend")
    status[$backend]=$(median <"$work/status-$backend")
done

# The audit chain: generated into a fresh SQLite store, copied to PostgreSQL record by record, verified on both.
audit="$work/audit.sqlite"
"$cairn" audit verify --repo "$work/sqlite" --path registry --state "$audit" >/dev/null
python3 "$top/scripts/gen-audit.py" "$audit" "$records" >/dev/null
audit_pg="$CAIRN_TEST_POSTGRES_URL?schema=audit_$$"
migrate=$(ms "$cairn" state migrate --from "sqlite:$audit" --to "$audit_pg")
"$cairn" audit verify --repo "$work/sqlite" --path registry --state "$audit_pg" | grep -q "intact" || { echo "the copied chain does not verify" >&2; exit 1; }
: >"$work/verify-sqlite"; : >"$work/verify-postgres"
for _ in 1 2 3; do
    ms "$cairn" audit verify --repo "$work/sqlite" --path registry --state "$audit" >>"$work/verify-sqlite"
    ms "$cairn" audit verify --repo "$work/sqlite" --path registry --state "$audit_pg" >>"$work/verify-postgres"
done
verify_sqlite=$(median <"$work/verify-sqlite")
verify_postgres=$(median <"$work/verify-postgres")

ratio() { awk "BEGIN {printf \"%.2f\", $2 / ($1 > 0 ? $1 : 1)}"; }
row() { printf '  %-40s %8s ms %8s ms %7s   %s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4"; }
echo
echo "state stores, $count artifacts in one environment ($(nproc) cores; PostgreSQL $(psql "$CAIRN_TEST_POSTGRES_URL" -Atc 'SHOW server_version') on loopback, fsync $(psql "$CAIRN_TEST_POSTGRES_URL" -Atc 'SHOW fsync')):"
printf '  %-40s %11s %11s %7s   %s\n' "" "SQLite" "PostgreSQL" "ratio" "PostgreSQL target"
row "first apply" "${first[sqlite]}" "${first[postgres]}" "< 5000 ms"
row "plan, no changes (median of $runs)" "${nochange[sqlite]}" "${nochange[postgres]}" "< 300 ms"
row "plan after one promotion (median of $runs)" "${one[sqlite]}" "${one[postgres]}" "< 150 ms"
row "status (median of $runs)" "${status[sqlite]}" "${status[postgres]}" ""
row "audit verify, $records records (median of 3)" "$verify_sqlite" "$verify_postgres" "< 3000 ms"
printf '  %-40s %11s %8s ms\n' "state migrate SQLite -> PostgreSQL" "" "$migrate"
