#!/usr/bin/env bash
# Installs GTO from PyPI into .venv-gto (once) and prints the path of its gto command.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
venv="$top/.venv-gto"
if [ ! -x "$venv/bin/gto" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet "gto==1.10.1" >&2
fi
echo "$venv/bin/gto"
