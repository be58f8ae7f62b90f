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
# The same for a command whose exit status is the point: shown, never fatal.
status() {
    printf '\n$ governance'; printf ' %q' "${@:2}"; printf '\n'
    set +e; "$@"; local code=$?; set -e
    echo "(exit $code)"
}

echo "demo: GOVERNANCE_HOME=$GOVERNANCE_HOME (a throwaway home; remove it when done)"
step "$gov" init
export GOVERNANCE_SESSION_ID=$("$gov" session new)
export GOVERNANCE_AGENT_ID=billing-agent
echo "session: $GOVERNANCE_SESSION_ID"

# The operator bob: an Ed25519 key pair, the public half registered. Operator actions (policies,
# grants, kills) are signed with the private key, which the agent never holds.
"$gov" operator keygen --out "$GOVERNANCE_HOME/bob.pem" > "$GOVERNANCE_HOME/bob.pub.pem"
step "$gov" operator add bob --public-key "$GOVERNANCE_HOME/bob.pub.pem"
as_bob=(--operator-key "$GOVERNANCE_HOME/bob.pem")

# The agent's policy: what it may call, what it may spend, how often it may repeat itself.
cat > "$GOVERNANCE_HOME/policy.yaml" <<'YAML'
agents:
  billing-agent:
    scope:  {allowed_tools: [read_invoice, refunds.create], hidden_tools: [delete_all]}
    budget: {per_session_usd: 0.02, per_session_tokens: 100000}
    loop:   {window_seconds: 60, max_calls: 3, action: raise}
YAML
step "$gov" policy apply -f "$GOVERNANCE_HOME/policy.yaml" "${as_bob[@]}"

# One agent step in one line: every check before it (kill switch, scope, budget, loop, contract),
# tool.call and tool.result around it; a denied step never starts. The model call is priced.
status "$gov" scope check --tool refunds.create
step "$gov" exec --tool refunds.create --capture-output -- sh -c 'echo "{\"refund_id\": \"rf_981\", \"amount_usd\": \"12.50\"}"'
status "$gov" exec --tool delete_all -- rm -rf "$GOVERNANCE_HOME/invoices"
step "$gov" cost track-usage --model gpt-4o-mini --input-tokens 1500 --output-tokens 420

# The budget runs out: a large call is tracked, and the next check says which cap.
step "$gov" cost track-usage --model gpt-4o --input-tokens 4000 --output-tokens 1000
status "$gov" cost check

# The agent repeats itself: the fourth call in a minute trips the loop detector.
for i in 1 2 3 4; do status "$gov" loop record --tool search; done

step "$gov" audit events
step "$gov" audit trace
step "$gov" audit verify

# An operator: the agent reports in and asks for approval of a large refund; a second process
# (the operator bob) grants it while the agent waits; then bob halts the agent, and its next
# step is refused with who, when and why.
step "$gov" presence heartbeat billing-agent --operator alice
request=$("$gov" gates request --kind refund.large --payload '{"order": 1042, "amount_usd": "912.50"}' --ttl 600)
echo "$request"
id=$(sed -n 's/^request_id //p' <<<"$request")
echo
echo "$ governance gates wait $id --timeout 60 &      # the agent waits"
"$gov" gates wait "$id" --timeout 60 &
waiter=$!
sleep 1
step "$gov" gates grant "$id" "${as_bob[@]}"      # by request id, signed with bob's key
wait "$waiter" && echo "demo: the agent's wait returned 0 (granted)"
step "$gov" presence kill billing-agent --reason "refund limit reached" "${as_bob[@]}"
step "$gov" presence list
status "$gov" presence status billing-agent
status "$gov" scope check --tool read_invoice
step "$gov" audit verify
echo
echo "demo: the chain above verified. Try tampering with it:"
echo "  sqlite3 $GOVERNANCE_HOME/governance.db \"UPDATE governance_audit_events SET kind='x' WHERE seq=2\""
echo "  GOVERNANCE_HOME=$GOVERNANCE_HOME $gov audit verify; echo \"exit \$?\"   # 20, seq 2"
echo
echo "demo: an Article 12 evidence report of this session, chain verified, as a self-contained HTML page:"
step "$gov" compliance report --kind article12 --session "$GOVERNANCE_SESSION_ID" --verify-chain \
    --format html --output "$GOVERNANCE_HOME/article12.html"
echo "demo: open file://$GOVERNANCE_HOME/article12.html in a browser (docs/COMPLIANCE.md says how each section is judged)"
