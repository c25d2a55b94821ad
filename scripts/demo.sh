#!/usr/bin/env bash
# The demo: the whole lifecycle in a throw-away git repository built from registry-example/: validate, render,
# a broken edit caught, register, a pull request caught by the gate and fixed, promote through dev, staging and
# production, apply, roll back (with a hold), history, drift repair, the audit trail and the compliance report.
# With DEMO_POSTGRES=1 beside a server from scripts/with-postgres.sh (make demo-postgres), the state lives on
# PostgreSQL, and the demo ends by copying it into an SQLite file with `cairn state migrate`.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME="Demo Bot" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo Bot" GIT_COMMITTER_EMAIL="demo@example.com"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [ -n "${DEMO_POSTGRES:-}" ]; then
    : "${CAIRN_TEST_POSTGRES_URL:?DEMO_POSTGRES needs a server: run make demo-postgres}"
    export CAIRN_STATE_URL="$CAIRN_TEST_POSTGRES_URL?schema=demo"
fi
# Edits the deployed state behind cairn's back (SQL on the store's own tables).
edit_state() {
    if [ -n "${DEMO_POSTGRES:-}" ]; then
        PGOPTIONS="-c search_path=demo" psql "$CAIRN_TEST_POSTGRES_URL" -q -c "$1"
    else
        python3 -c "import sqlite3, sys; c=sqlite3.connect('registry-example/.cairn/state.sqlite'); c.execute(sys.argv[1]); c.commit()" "$1"
    fi
}

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

step "Register every version (annotated tags at the commits that introduced them, GTO's grammar)"
CAIRN_ACTOR=alice run "$cairn" register --all --path registry-example
run "$cairn" show --path registry-example

step "A pull request changes a prompt without bumping its version: the gate catches it"
git switch -q -c citations
sed -i 's/Cite passage numbers./Cite passage numbers in brackets./' registry-example/prompts/refund-policy-answer.yaml
git commit -qam "refund-policy-answer: bracketed citations"
set +e; run "$cairn" check main citations --path registry-example; status=$?; set -e
echo "exit status: $status (1 = violations)"
[ "$status" -eq 1 ] || { echo "demo: check did not catch the missing bump" >&2; exit 1; }

step "The author bumps the version; the gate passes and the diff is ready to paste as a PR comment"
sed -i 's/version: 1.0.0/version: 1.1.0/' registry-example/prompts/refund-policy-answer.yaml
git commit -qam "refund-policy-answer 1.1.0"
run "$cairn" check main citations --path registry-example
run "$cairn" diff main citations --path registry-example --format markdown
git switch -q main && git merge -q --ff-only citations
CAIRN_ACTOR=ci run "$cairn" register --all --path registry-example

step "Promote to dev (each promotion is a tag; the audit trail records it) and apply"
for version in deployment/support-bot@1.4.0 prompt/support-triage@1.3.0 prompt/refund-policy-answer@1.0.0; do
  CAIRN_ACTOR=alice run "$cairn" promote "$version" --to dev --path registry-example
done
set +e; run "$cairn" plan --env dev --path registry-example; echo "exit status: $? (2 = changes)"; set -e
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve

step "Staging takes only what dev runs: promoting past dev is refused"
set +e; CAIRN_ACTOR=bob run "$cairn" promote prompt/refund-policy-answer@1.1.0 --to staging --path registry-example; set -e
for version in deployment/support-bot@1.4.0 prompt/support-triage@1.3.0; do
  CAIRN_ACTOR=bob run "$cairn" promote "$version" --to staging --path registry-example
done
CAIRN_ACTOR=bob run "$cairn" apply --env staging --path registry-example --auto-approve

step "Production: the triage prompt passes its policy (approvals, evaluations); the bot's deployment does not"
CAIRN_ACTOR=carol run "$cairn" promote prompt/support-triage@1.3.0 --to production --path registry-example
set +e; CAIRN_ACTOR=carol run "$cairn" promote deployment/support-bot@1.4.0 --to production --path registry-example; set -e
CAIRN_ACTOR=carol run "$cairn" apply --env production --path registry-example --auto-approve
run "$cairn" show --path registry-example

step "refund-policy-answer 1.1.0 goes to dev, and turns out to break a parser: roll it back"
CAIRN_ACTOR=alice run "$cairn" promote prompt/refund-policy-answer@1.1.0 --to dev --path registry-example
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve
CAIRN_ACTOR=alice run "$cairn" rollback prompt/refund-policy-answer --env dev --reason "bracketed citations break the ticket parser" --path registry-example
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve
run "$cairn" get --env dev prompt/refund-policy-answer --path registry-example | grep '"version"'

step "The rolled-back version is on hold: automation cannot promote it again until someone releases it"
set +e; CAIRN_ACTOR=ci run "$cairn" promote prompt/refund-policy-answer@1.1.0 --to dev --path registry-example; set -e

step "History of the prompt, from the tags: who, when, commit, message"
run "$cairn" history prompt/refund-policy-answer --path registry-example

step "Someone edits the deployed state behind cairn's back: drift is shown and repaired"
edit_state "UPDATE deployed SET content=replace(content,'Acme','Evil Corp') WHERE name='support-triage' AND environment='dev'"
run "$cairn" status --env dev --path registry-example | grep DRIFTED || true
CAIRN_ACTOR=alice run "$cairn" apply --env dev --path registry-example --auto-approve

step "The audit trail: every registration, promotion, rollback, hold, apply and refusal, hash-chained"
run "$cairn" audit log --path registry-example --env dev | tail -8
run "$cairn" audit verify --path registry-example
run "$cairn" audit anchor --path registry-example

step "Compliance report: what runs in production now, who owns it, who approved it, on what evidence"
run "$cairn" report --env production --path registry-example

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
if [ -n "${DEMO_POSTGRES:-}" ]; then
    step "The whole state, copied from PostgreSQL into an SQLite file record by record, and verified"
    run "$cairn" state migrate --from "$CAIRN_STATE_URL" --to "sqlite:$work/copy.sqlite" | tail -1
    run "$cairn" audit verify --path registry-example --state "$work/copy.sqlite"
fi
echo
echo "demo finished."
