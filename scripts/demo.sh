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
echo
echo "demo: the chain above verified. Try tampering with it:"
echo "  sqlite3 $GOVERNANCE_HOME/governance.db \"UPDATE governance_audit_events SET kind='x' WHERE seq=2\""
echo "  GOVERNANCE_HOME=$GOVERNANCE_HOME $gov audit verify; echo \"exit \$?\"   # 20, seq 2"
echo
echo "demo: an Article 12 evidence report of this session, chain verified, as a self-contained HTML page:"
step "$gov" compliance report --kind article12 --session "$GOVERNANCE_SESSION_ID" --verify-chain \
    --format html --output "$GOVERNANCE_HOME/article12.html"
echo "demo: open file://$GOVERNANCE_HOME/article12.html in a browser (docs/COMPLIANCE.md says how each section is judged)"
