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

step "Back to a clean registry for the reconciler"
git revert --no-edit HEAD >/dev/null
run "$cairn" validate --path registry-example

step "Register versions and assign them to environments (git tags, GTO's grammar)"
head=$(git rev-parse HEAD~2)
for version in dataset/triage-eval-set@v1.2.0 dataset/support-tickets-2026q3@v1.0.0 adapter/triage-lora@v1.1.0 \
               prompt/support-triage@v1.3.0 prompt/summarize-ticket@v2.0.1 prompt/sentiment-classify@v0.4.2 \
               chain/support-router@v1.4.0 deployment/support-bot@v1.4.0 dataset/refund-conversations@v2.1.0 \
               adapter/refund-qlora@v0.9.0 prompt/refund-policy-answer@v1.0.0 chain/refund-assistant@v0.7.0 \
               deployment/refund-bot@v0.7.0; do
  git tag -a "$version" "$head" -m "Register $version"
done
git tag -a "deployment/support-bot#dev#1" "$head" -m "Promote support-bot 1.4.0 to dev"
git tag -a "deployment/refund-bot#dev#1" "$head" -m "Promote refund-bot 0.7.0 to dev"
git tag -l | sed 's/^/  /'

step "Plan dev: what git declares vs what is deployed (exit 2 = changes)"
set +e; run "$cairn" plan --env dev --path registry-example; echo "exit status: $?"; set -e

step "Apply dev: one transaction, with an audit record per artifact"
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve
run "$cairn" status --env dev --path registry-example

step "A second apply of the same state is a no-op"
run "$cairn" apply --env dev --path registry-example --auto-approve

step "Promote to staging: the gate result recorded in the deployment passes, dev has it live"
git tag -a "deployment/support-bot#staging#2" "$head" -m "Promote support-bot 1.4.0 to staging"
CAIRN_ACTOR=bob run "$cairn" apply --env staging --path registry-example --auto-approve

step "A change: refund-policy-answer 1.1.0 is registered; refund-assistant asks for ^1.0, so dev picks it up"
sed -i 's/version: 1.0.0/version: 1.1.0/; s/Cite passage numbers./Cite passage numbers in brackets./' registry-example/prompts/refund-policy-answer.yaml
git commit -qam "refund-policy-answer 1.1.0: bracketed citations"
git tag -a "prompt/refund-policy-answer@v1.1.0" -m "Register refund-policy-answer 1.1.0"
set +e; run "$cairn" plan --env dev --path registry-example --out dev.plan; set -e
CAIRN_ACTOR=alice run "$cairn" apply --env dev dev.plan --path registry-example

step "Someone edits the deployed state behind cairn's back: drift is shown and repaired"
python3 -c "import sqlite3; c=sqlite3.connect('.cairn/state.sqlite'); c.execute(\"UPDATE deployed SET content=replace(content,'Acme','Evil Corp') WHERE name='support-triage' AND environment='dev'\"); c.commit()"
run "$cairn" status --env dev --path registry-example | grep DRIFTED || true
set +e; run "$cairn" plan --env dev --path registry-example; set -e
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve

step "Production refuses what policy does not allow, and the refusal is audited"
git tag -a "deployment/support-bot#production#4" "$head" -m "Promote support-bot 1.4.0 to production"
set +e; CAIRN_ACTOR=carol run "$cairn" apply --env production --path registry-example --auto-approve; set -e

step "The audit trail: log, verify, anchor in git"
run "$cairn" audit log --path registry-example
run "$cairn" audit verify --path registry-example
run "$cairn" audit anchor --path registry-example

step "Compliance report: what runs in staging now, who owns it, who approved it, on what evidence"
run "$cairn" report --env staging --path registry-example

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
