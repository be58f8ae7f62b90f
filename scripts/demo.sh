#!/usr/bin/env bash
# A short governed agent session on the embedded store, in a throwaway GOVERNANCE_HOME.
set -euo pipefail
gov=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export GOVERNANCE_HOME=$(mktemp -d /tmp/governance-demo.XXXXXX)
unset GOVERNANCE_DATABASE_URL GOVERNANCE_AUDIT_SECRET GOVERNANCE_AUDIT_SECRET_FILE
# Shows each command as a person would type it, then runs it.
step() {
    printf '\n$ governance'; printf ' %q' "${@:2}"; printf '\n'
    "$@"
}

echo "demo: GOVERNANCE_HOME=$GOVERNANCE_HOME (a throwaway home; remove it when done)"
step "$gov" init
export GOVERNANCE_SESSION_ID=$("$gov" session new)
export GOVERNANCE_AGENT_ID=billing-agent
echo "session: $GOVERNANCE_SESSION_ID"

# One agent step: the model is asked, a tool runs, the result comes back.
step "$gov" audit log --kind llm.call --model gpt-4o-mini --input "Refund order 1042?" \
    --metadata '{"prompt_tokens": 150, "completion_tokens": 42}'
step "$gov" audit log --kind tool.call --metadata '{"tool": "refunds.create", "order": 1042}'
echo '{"refund_id": "rf_981", "amount_usd": "12.50"}' > "$GOVERNANCE_HOME/result.json"
step "$gov" audit log --kind tool.result --output @"$GOVERNANCE_HOME/result.json"

step "$gov" audit events
step "$gov" audit trace
step "$gov" audit verify --session "$GOVERNANCE_SESSION_ID"

# An operator: the agent reports in and asks for approval of a large refund; a second process
# (the operator bob) grants it while the agent waits; then bob halts the agent.
step "$gov" presence heartbeat billing-agent --operator alice
request=$("$gov" gates request --kind refund.large --payload '{"order": 1042, "amount_usd": "912.50"}' --ttl 600)
echo "$request"
id=$(sed -n 's/^request_id //p' <<<"$request")
token=$(sed -n 's/^token //p' <<<"$request")
echo
echo "$ governance gates wait $id --timeout 60 &      # the agent waits"
"$gov" gates wait "$id" --timeout 60 &
waiter=$!
sleep 1
printf '%s' "$token" | step "$gov" gates grant - --by bob      # the token on stdin, not in argv
wait "$waiter" && echo "demo: the agent's wait returned 0 (granted)"
step "$gov" presence kill billing-agent --reason "refund limit reached" --by bob
step "$gov" presence list
step "$gov" presence status billing-agent || echo "exit status $? (killed: the agent's next enforcement step is refused with this reason)"
echo
echo "demo: the chain above verified. Try tampering with it:"
echo "  sqlite3 $GOVERNANCE_HOME/governance.db \"UPDATE governance_audit_events SET kind='x' WHERE seq=2\""
echo "  GOVERNANCE_HOME=$GOVERNANCE_HOME $gov audit verify; echo \"exit \$?\"   # 20, seq 2"
