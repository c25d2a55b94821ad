#!/usr/bin/env bash
# Packs a release binary: dist/cairn-VERSION-linux-ARCH.tar.gz with bin/cairn, completions for bash, zsh and fish,
# and the schemas. Usage: dist.sh CAIRN
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
mkdir -p "$top/dist"
tar -C "$stage" -czf "$top/dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
