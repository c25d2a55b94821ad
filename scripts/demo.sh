#!/usr/bin/env bash
# The demo: the whole lifecycle in a throw-away git repository built from registry-example/: validate, render,
# a broken edit caught, register, a pull request caught by the gate and fixed, promote through dev, staging (a gate
# met by an evaluation imported from promptfoo's output) and production (two signed approvals, an unsigned promotion
# refused and a signed one taken, with throw-away SSH keys), apply, roll back (with a hold), history, drift repair,
# the audit trail and the compliance report, then
# cairn serve on a bare remote: a deployed prompt over HTTP (200, then 304), a render, and a new version promoted,
# pushed and applied by the agent when a signed webhook arrives.
# With DEMO_POSTGRES=1 beside a server from scripts/with-postgres.sh (make demo-postgres), the state lives on
# PostgreSQL, and the demo ends by copying it into an SQLite file with `cairn state migrate`.
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")"
# The remote, the server's mirror and its secret live outside the demo repository.
outside="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo-remote.XXXXXX")"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work" "$outside"' EXIT
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
cp "$top/registry-example/cairn.yaml" "$top/registry-example/allowed_signers" registry-example/
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

step "Staging's gate counts evaluation records, not claims: the bot is refused until its evaluation is recorded"
set +e; CAIRN_ACTOR=bob run "$cairn" promote deployment/support-bot@1.4.0 --to staging --path registry-example; set -e
# What promptfoo wrote after running the bot's regression suite on the gate's dataset (promptfoo eval -o ...).
cat > "$outside/promptfoo-results.json" <<'JSON'
{"evalId": "eval-demo", "config": {"description": "support-bot regression"},
 "results": {"version": 3, "results": [
   {"success": true, "namedScores": {"accuracy": 0.97}, "gradingResult": {"pass": true, "componentResults": [{"pass": true}]}},
   {"success": true, "namedScores": {"accuracy": 0.92}, "gradingResult": {"pass": true, "componentResults": [{"pass": true}]}},
   {"success": true, "namedScores": {"accuracy": 0.9}, "gradingResult": {"pass": true, "componentResults": [{"pass": true}]}}],
   "stats": {"successes": 3, "failures": 0, "errors": 0}}}
JSON
CAIRN_ACTOR=ci run "$cairn" evidence add deployment/support-bot@1.4.0 --metric accuracy --from-promptfoo "$outside/promptfoo-results.json" \
  --dataset dataset/triage-eval-set@1.2.0 --threshold 0.9 --path registry-example
for version in deployment/support-bot@1.4.0 prompt/support-triage@1.3.0; do
  CAIRN_ACTOR=bob run "$cairn" promote "$version" --to staging --path registry-example
done
CAIRN_ACTOR=bob run "$cairn" apply --env staging --path registry-example --auto-approve

step "Production takes signed promotions and two signed approvals: throw-away SSH keys for carol, dave and erin"
mkdir -p "$outside/keys"
for person in carol dave erin; do
  ssh-keygen -q -t ed25519 -N "" -C "$person" -f "$outside/keys/$person"
  echo "$person@example.com namespaces=\"git\" $(cut -d' ' -f1,2 "$outside/keys/$person.pub")" >> registry-example/allowed_signers
done
git add -A && git commit -qm "allowed signers: carol, dave, erin"
# Acting as someone: git's user.email (the tagger, matched against the principal) and user.signingKey.
as() { git config user.email "$1@example.com"; git config user.signingKey "$outside/keys/$1"; git config gpg.format ssh; }
as dave; CAIRN_ACTOR=dave run "$cairn" approve prompt/support-triage@1.3.0 --env production --comment "triage eval reviewed" --sign --path registry-example
as erin; CAIRN_ACTOR=erin run "$cairn" approve prompt/support-triage@1.3.0 --env production --sign --path registry-example
run "$cairn" evidence list prompt/support-triage@1.3.0 --path registry-example
as carol
step "An unsigned promotion to production is refused (and audited); a signed one is taken"
set +e; CAIRN_ACTOR=carol run "$cairn" promote prompt/support-triage@1.3.0 --to production --path registry-example; set -e
CAIRN_ACTOR=carol run "$cairn" promote prompt/support-triage@1.3.0 --to production --sign --path registry-example
run git -c gpg.ssh.allowedSignersFile=registry-example/allowed_signers verify-tag "prompt/support-triage#production#3"
step "Production counts only signed evaluations (and two approvals): the bot's unsigned evaluation does not pass its gate there"
set +e; CAIRN_ACTOR=carol run "$cairn" promote deployment/support-bot@1.4.0 --to production --sign --path registry-example; set -e
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

step "cairn serve: the agent pulls from a remote and serves what is deployed over HTTP"
git clone -q --bare . "$outside/remote.git" && git remote add origin "$outside/remote.git"
sed -i 's/^    description: Every merged change lands here first.$/&\n    policy: {sync: auto}/' registry-example/cairn.yaml
git commit -qam "dev reconciles itself (sync: auto)" && git push -q origin main
echo "demo-webhook-secret" > "$outside/secret"
state=()
[ -n "${DEMO_POSTGRES:-}" ] || state=(--state "$work/registry-example/.cairn/state.sqlite")
echo "\$ $cairn serve --remote $outside/remote.git --mirror $outside/mirror --path registry-example --listen 127.0.0.1:0 --interval 1h --webhook-secret-file $outside/secret &"
"$cairn" serve --remote "$outside/remote.git" --mirror "$outside/mirror" --path registry-example "${state[@]}" \
    --listen 127.0.0.1:0 --interval 1h --webhook-secret-file "$outside/secret" > "$outside/serve.log" 2>&1 &
server=$!
for _ in $(seq 200); do grep -q "^listening on" "$outside/serve.log" && break; sleep 0.05; done
address="$(sed -n 's/^listening on //p' "$outside/serve.log")"
[ -n "$address" ] || { cat "$outside/serve.log" >&2; exit 1; }
echo "listening on $address"
url="http://$address/v1/environments/dev/artifacts/prompt/refund-policy-answer"
summary() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["version"], d["digest"][:19] + "...", "from", d["tag"])'; }
printf '$ curl -s %s\n' "$url"; curl -s "$url" | summary
etag="$(curl -s -D - -o /dev/null "$url" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')"
printf '$ curl -s -o /dev/null -w "%%{http_code}" -H "If-None-Match: %s" %s\n' "$etag" "$url"
curl -s -o /dev/null -w "%{http_code} (unchanged: no body)\n" -H "If-None-Match: $etag" "$url"
printf '$ curl -s -X POST -d {"variables": {...}} http://%s/v1/environments/dev/artifacts/prompt/support-triage/render\n' "$address"
curl -s -X POST -d '{"variables": {"subject": "Charged twice", "body": "For order 1042."}}' \
    "http://$address/v1/environments/dev/artifacts/prompt/support-triage/render" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["messages"][-1]["content"]); print("fallback:", d["fallback"]["reference"], "from", d["fallback"]["deployment"])'

step "A new version is promoted and pushed; a signed webhook makes the agent fetch and apply it at once"
run "$cairn" bump prompt/refund-policy-answer minor --path registry-example
git commit -qam "refund-policy-answer 1.2.0"
CAIRN_ACTOR=ci run "$cairn" register --all --path registry-example > /dev/null
CAIRN_ACTOR=alice run "$cairn" promote prompt/refund-policy-answer@1.2.0 --to dev --path registry-example
git push -q origin main --tags
body='{"ref":"refs/heads/main"}'
signature="sha256=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' demo-webhook-secret "$body")"
printf '$ curl -X POST -H "X-Hub-Signature-256: sha256=..." http://%s/v1/webhooks/github\n' "$address"
curl -s -o /dev/null -w "%{http_code} (accepted)\n" -X POST -H "X-Hub-Signature-256: $signature" -d "$body" "http://$address/v1/webhooks/github"
for _ in $(seq 100); do curl -s "$url" | grep -q '"version":"1.2.0"' && break; sleep 0.1; done
printf '$ curl -s %s\n' "$url"; curl -s "$url" | summary
curl -s "http://$address/v1/environments" | python3 -c '
import json, sys
dev = [e for e in json.load(sys.stdin)["environments"] if e["name"] == "dev"][0]
last = dev["reconciliations"][0]
print("dev:", dev["sync"], "| last reconciliation:", last["result"], last["changes"], "change(s) at", last["revision"][:7], "by the agent")'
curl -s "http://$address/metrics" | grep -E '^cairn_apply_total|^cairn_environment_synced\{environment="dev"' || true
kill -TERM "$server"
wait "$server" && echo "cairn serve stopped (SIGTERM, exit 0)"
server=""

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
