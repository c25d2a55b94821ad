#!/usr/bin/env bash
# Packs a release binary: dist/cairn-VERSION-linux-ARCH.tar.gz with bin/cairn, completions for bash, zsh and fish,
# and the schemas. Usage: dist.sh CAIRN (CAIRN_DIST_DIR: another folder than dist/)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
version="$("$cairn" --version)"
name="cairn-$version-linux-$(uname -m)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/cairn-dist.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/share/cairn/schemas" "$stage/$name/share/completions"
cp "$cairn" "$stage/$name/bin/cairn"
cp "$top"/schemas/*.json "$stage/$name/share/cairn/schemas/"
for shell in bash zsh fish; do "$cairn" --generate-completion-script "$shell" > "$stage/$name/share/completions/cairn.$shell"; done
out="${CAIRN_DIST_DIR:-$top/dist}"   # the tests pack into a folder of their own
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
echo "shared libraries it needs: $(ldd "$cairn" | awk '/=>/ {print $1}' | tr "\n" " ")"
