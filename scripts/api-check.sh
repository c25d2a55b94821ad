#!/usr/bin/env bash
# schemas/openapi.yaml checked against a running `cairn serve` by schemathesis (from PyPI, into .venv-tools): every
# operation, with its checks (status codes, content types, headers and bodies against the document, 5xx, negative
# and positive data, unsupported methods), on the example registry with a deployment applied to dev. Then the same
# run against a copy of the document with one response schema made wrong, which must fail: the check can fail.
# Usage: api-check.sh CAIRN   (API_EXAMPLES=N examples per operation, 25 by default)
set -euo pipefail
cairn="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
top="$(cd "$(dirname "$0")/.." && pwd)"
venv="$top/.venv-tools"
examples="${API_EXAMPLES:-25}"
if [ ! -x "$venv/bin/schemathesis" ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-api.XXXXXX")"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

repo="$work/repo"
git init -q -b main "$repo"
cp -r "$top/registry-example" "$repo/registry"
git -C "$repo" add -A
git -C "$repo" -c user.name=api-check -c user.email=api-check@example.invalid commit -qm registry
run() { (cd "$repo" && GIT_AUTHOR_NAME=api-check GIT_COMMITTER_NAME=api-check GIT_AUTHOR_EMAIL=api-check@example.invalid \
    GIT_COMMITTER_EMAIL=api-check@example.invalid "$cairn" "$@" --path registry --actor api-check >/dev/null); }
run register --all
run promote deployment/support-bot@1.4.0 --to dev
run apply --env dev --auto-approve
echo "webhook-secret" > "$work/secret"

(cd "$repo" && exec "$cairn" serve --path registry --listen 127.0.0.1:0 --interval 1h --webhook-secret-file "$work/secret") > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    address="$(sed -n 's/^listening on //p' "$work/serve.log")"
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { cat "$work/serve.log" >&2; echo "api-check: cairn serve did not start" >&2; exit 1; }

# positive_data_acceptance: a request the document allows may still name an environment or artifact that is not
# there (404) or variables the deployed prompt does not declare (422): both are right answers, not rejections of
# well-formed input. A webhook's HMAC cannot be written in a document, so 401 is the right answer to a generated one
# (GitLab's token is a plain header: that one is given and must be accepted). Some operations get real names, so
# that the 200 paths are checked too; the others are fuzzed.
cat > "$work/schemathesis.toml" <<'EOF'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "304", "404", "422"]

[[operations]]
include-path-regex = "^/v1/webhooks/(github|generic)$"
checks.positive_data_acceptance.expected-statuses = ["202", "401"]

[[operations]]
include-path = "/v1/webhooks/gitlab"
headers = { "X-Gitlab-Token" = "webhook-secret" }

[[operations]]
include-operation-id = "getDeployed"
parameters = { env = "dev", kind = "prompt", name = "support-triage" }
checks.positive_data_acceptance.expected-statuses = ["200", "304"]

[[operations]]
include-operation-id = "render"
parameters = { env = "dev", name = "support-triage" }
checks.positive_data_acceptance.expected-statuses = ["200", "422"]

[[operations]]
include-operation-id = "getRegisteredVersion"
parameters = { kind = "prompt", name = "support-triage", version = "1.3.0" }
checks.positive_data_acceptance.expected-statuses = ["200", "304"]

[[operations]]
include-operation-id = "artifactHistory"
parameters = { kind = "prompt", name = "support-triage" }

[[operations]]
include-operation-id = ["snapshot", "report", "listDeployed"]
parameters = { env = "dev" }
checks.positive_data_acceptance.expected-statuses = ["200", "304"]
EOF
check() {  # in $work: schemathesis keeps its cache (.schemathesis/) in the folder it runs in
    (cd "$work" && "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$1" --url "http://$address" --checks all \
        --max-examples "$examples" --phases examples,coverage,fuzzing --seed 1 --workers 1 --no-color)
}
if ! check "$top/schemas/openapi.yaml" > "$work/run.log" 2>&1; then
    cat "$work/run.log" >&2
    echo "api-check: cairn serve does not answer as schemas/openapi.yaml says" >&2
    exit 1
fi
grep -E "operations|passed|failed" "$work/run.log" | tail -3

# The check can fail: the error body's message said to be a number instead of a string.
python3 - "$top/schemas/openapi.yaml" "$work/broken.yaml" <<'EOF'
import sys
text = open(sys.argv[1]).read()
marker = "    Error:\n      type: object\n      required: [error, message]\n      additionalProperties: false\n      properties:\n        error: {type: string}\n        message: {type: string}\n"
assert marker in text, "the Error schema moved; update api-check.sh"
open(sys.argv[2], "w").write(text.replace(marker, marker.replace("message: {type: string}", "message: {type: integer}")))
EOF
if check "$work/broken.yaml" > "$work/broken.log" 2>&1; then
    echo "api-check: schemathesis passed a document that does not match the server; the check cannot fail" >&2
    exit 1
fi
echo "api-check: a wrong document is refused, as it must be"
