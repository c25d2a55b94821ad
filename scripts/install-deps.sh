#!/usr/bin/env bash
# Installs the C libraries cairn builds against (Debian/Ubuntu), only when they are missing; with `postgres`, also
# the PostgreSQL server the tests run beside.
set -euo pipefail
missing=()
pkg-config --exists libgit2 2>/dev/null || missing+=(libgit2-dev)
dpkg -s libyaml-dev >/dev/null 2>&1 || missing+=(libyaml-dev)
# libpq: audit verify reads a PostgreSQL store's chain with its binary COPY.
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
command -v git >/dev/null 2>&1 || missing+=(git)
# The fault suite (make test) and the generators run on Python 3's standard library.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# make test's schema check installs check-jsonschema into a virtual environment (Debian splits venv out of python3).
command -v python3 >/dev/null 2>&1 && ! python3 -c "import venv, ensurepip" >/dev/null 2>&1 && missing+=(python3-venv)
# The CI-recipe test installs the release tarball the way the recipes do (curl, here from a file:// address).
command -v curl >/dev/null 2>&1 || missing+=(curl)
# --sign signs tags with ssh-keygen, as git tag -s does; the signature tests make their keys with it.
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
# With `postgres` (make test, demo-postgres, bench): a PostgreSQL server for scripts/with-postgres.sh, and psql.
if [ "${1:-}" = postgres ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
fi
# With `wrk` (make bench-serve): the HTTP load generator.
if [ "${1:-}" = wrk ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y "${missing[@]}"
fi
