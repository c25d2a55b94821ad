#!/usr/bin/env bash
# The Python client (clients/python) under pytest against a real `cairn serve`. pytest goes into .venv-tools.
# Usage: client-check.sh CAIRN
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
venv="$top/.venv-tools"
if [ ! -x "$venv/bin/pytest" ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "pytest==8.3.5"
fi
CAIRN_BINARY="$cairn" "$venv/bin/pytest" -q -p no:cacheprovider "$top/clients/python/tests"
