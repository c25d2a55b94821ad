#!/usr/bin/env bash
# cairn's schemas as a standard validator sees them, offline: check-jsonschema (from PyPI, into .venv-tools) checks
# each schema against its metaschema, then validates registry-example and a new `cairn init` registry with them,
# resolving every $ref from the schema folder alone, and refuses a broken file. Run as root where unshare works, in a
# network namespace with no network at all, so a schema that needed the network would fail here.
# Usage: schema-check.sh CAIRN
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
venv="$top/.venv-tools"
if [ ! -x "$venv/bin/check-jsonschema" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "check-jsonschema==0.39.0"
fi
offline=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then offline=(unshare -n); fi
check() {
    local out
    out="$("${offline[@]}" "$venv/bin/check-jsonschema" "$@" 2>&1)" || { echo "$out" >&2; return 1; }
}

check --check-metaschema "$top"/schemas/*.json
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-schemas.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$cairn" init "$work/new" >/dev/null
for registry in "$top/registry-example" "$work/new"; do
    check --schemafile "$top/schemas/cairn.schema.json" "$registry/cairn.yaml"
    for pair in dataset:datasets adapter:adapters prompt:prompts chain:chains deployment:deployments; do
        check --schemafile "$top/schemas/${pair%%:*}.schema.json" "$registry/${pair#*:}"/*.yaml
    done
done
# The schemas init writes beside the registry are the ones checked here, and its files name them by relative path.
for file in "$work/new"/*/*.yaml; do
    schema="$(sed -n 's/^# yaml-language-server: \$schema=//p' "$file")"
    check --schemafile "$(dirname "$file")/$schema" "$file"
done
# And a file that breaks its schema is refused: the check can fail.
sed 's/^  version: .*/  version: not-a-version/' "$top/registry-example/prompts/support-triage.yaml" > "$work/broken.yaml"
grep -q "version: not-a-version" "$work/broken.yaml"
if check --schemafile "$top/schemas/prompt.schema.json" "$work/broken.yaml" 2>/dev/null; then
    echo "schema-check: a prompt with version 'not-a-version' passed" >&2
    exit 1
fi
echo "schema-check: the schemas pass --check-metaschema and validate both registries offline${offline:+, in a network namespace with no network}"
