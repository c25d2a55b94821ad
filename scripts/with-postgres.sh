#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL cluster: initdb in a temporary folder (as the unprivileged user
# `nobody` when run as root), a server on a loopback port and a Unix socket in that folder, stopped and removed when
# the command ends. The command sees:
#   CAIRN_TEST_POSTGRES_URL     postgres://cairn:PASSWORD@127.0.0.1:PORT/cairn_test (scram-sha-256 over TCP)
#   CAIRN_TEST_POSTGRES_SOCKET  the socket folder (trust, no password)
#   CAIRN_TEST_POSTGRES_DATA    the data folder, CAIRN_TEST_POSTGRES_CTL a pg_ctl command line (for restart tests)
#   CAIRN_TEST_POSTGRES_CA      the certificate authority of the server's TLS certificate (for 127.0.0.1 and
#                               localhost), when openssl is there to make one: the server then offers TLS
# With no server installed the command runs without them (PostgreSQL tests then skip), unless CI=true or
# CAIRN_REQUIRE_POSTGRES=1: then a missing server is a failure. POSTGRES_OPTIONS adds server settings (tests turn
# fsync off; benchmarks pass POSTGRES_OPTIONS= to keep the defaults).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "${CI:-}" = true ] || [ "${CAIRN_REQUIRE_POSTGRES:-}" = 1 ]; then
    echo "error: no PostgreSQL server (Debian: apt-get install postgresql); CI needs one" >&2
    exit 1
  fi
  echo "warning: no PostgreSQL server (Debian: apt-get install postgresql): the PostgreSQL tests are skipped" >&2
  exec "$@"
fi
dir=$(mktemp -d /tmp/cairn-pg.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody "$dir"
  as=(runuser -u nobody --)
fi
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" >"$dir/password"
chmod 644 "$dir/password"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ctl=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log")
stop() {
  "${ctl[@]}" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U cairn --pwfile="$dir/password" --auth-host=scram-sha-256 --auth-local=trust \
  -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
options="-k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=200 ${POSTGRES_OPTIONS--c fsync=off -c full_page_writes=off}"
# TLS, as a production server would offer it: a throw-away CA and a server certificate signed by it.
if command -v openssl >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cairn test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 -extfile "$dir/san.ext" \
    -out "$dir/server.crt" >/dev/null 2>&1
  chmod 600 "$dir/server.key"
  [ ${#as[@]} -gt 0 ] && chown nobody "$dir/server.key" "$dir/server.crt"
  chmod 644 "$dir/ca.crt"
  options="$options -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
  export CAIRN_TEST_POSTGRES_CA="$dir/ca.crt"
fi
"${ctl[@]}" -w -o "$options" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"$bin/createdb" -h "$dir" -p "$port" -U cairn cairn_test
export CAIRN_TEST_POSTGRES_URL="postgres://cairn:$password@127.0.0.1:$port/cairn_test"
export CAIRN_TEST_POSTGRES_SOCKET="$dir"
export CAIRN_TEST_POSTGRES_DATA="$dir/data"
export CAIRN_TEST_POSTGRES_CTL="${ctl[*]} -w -o '$options'"
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port and $dir (throw-away)" >&2
"$@"
