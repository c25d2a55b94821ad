#!/usr/bin/env bash
# make interop: GTO from PyPI in .venv-gto, then both directions on generated repositories (scripts/interop.py).
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
export GIT_AUTHOR_NAME=Interop GIT_AUTHOR_EMAIL=interop@example.com GIT_COMMITTER_NAME=Interop GIT_COMMITTER_EMAIL=interop@example.com
python3 "$top/scripts/interop.py" "$cairn" "$("$top/scripts/gto-venv.sh")"
