#!/usr/bin/env bash
# The demo: a throw-away git repository built from registry-example/ with a short history,
# validated straight from git objects, a prompt rendered, and a broken edit caught.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME="Demo Bot" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo Bot" GIT_COMMITTER_EMAIL="demo@example.com"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cd "$work"
git init -q -b main .
mkdir -p schemas && cp "$top"/schemas/*.json schemas/
mkdir -p registry-example
cp "$top/registry-example/cairn.yaml" registry-example/
cp -r "$top/registry-example/datasets" registry-example/
git add -A && git commit -qm "Registry config and datasets"
cp -r "$top/registry-example/prompts" "$top/registry-example/adapters" registry-example/
git add -A && git commit -qm "Prompts and adapters"
cp -r "$top/registry-example/chains" "$top/registry-example/deployments" registry-example/
git add -A && git commit -qm "Chains and deployments"
git tag -a "prompt/support-triage@v1.3.0" -m "Register support-triage 1.3.0"

step "History of the demo repository ($work)"
git log --oneline

step "Validate the registry at HEAD, straight from git objects (no checkout)"
run "$cairn" validate --path registry-example

step "Render a chat prompt"
run "$cairn" render prompt/support-triage@1.3.0 --path registry-example \
  --var subject="Charged twice" --var body="My card was charged twice for order 1042."

step "A broken edit: an undeclared variable, a YAML 1.1 boolean, a dangling chain input"
sed -i 's/Ticket subject: {{subject}}/Ticket subject: {{subject}} from {{customer_tier}}/' registry-example/prompts/support-triage.yaml
sed -i 's/  pii: {contains: false}$/  pii: {contains: no}/' registry-example/datasets/triage-eval-set.yaml
sed -i 's/body: steps.summarize.output/body: steps.summarise.output/' registry-example/chains/support-router.yaml
git commit -qam "Tweak triage prompt"
set +e
run "$cairn" validate --path registry-example
status=$?
set -e
echo "exit status: $status (1 = findings)"
[ "$status" -eq 1 ] || { echo "demo: the broken edit was not caught" >&2; exit 1; }

step "The previous commit is still valid: any ref can be validated"
run "$cairn" validate --path registry-example --ref HEAD~1

step "An alias bomb is refused in milliseconds"
python3 - > registry-example/prompts/bomb.yaml <<'PY'
print('a: &a ["x","x","x","x","x","x","x","x","x"]')
for i in range(1, 10):
    print(f'{chr(97+i)}: &{chr(97+i)} [' + ','.join([f'*{chr(96+i)}'] * 9) + ']')
PY
git add -A && git commit -qm "Hostile file"
set +e
run "$cairn" validate --path registry-example
set -e
echo
echo "demo finished."
