#!/usr/bin/env bash
# A bash agent loop governed step by step with `governance exec`: each step passes the kill
# switch, scope, budget, loop and contract checks before it runs (exit 10-15 and it never
# starts), is audited as tool.call / tool.result, and is stopped if an operator kills the agent
# while it runs. The model's cost is read from its response. Usage: examples/governed-agent.sh
set -uo pipefail

export GOVERNANCE_AGENT_ID=${GOVERNANCE_AGENT_ID:-billing-agent}
: "${GOVERNANCE_SESSION_ID:=$(governance session new)}"
export GOVERNANCE_SESSION_ID

steps=("read_invoice ./tools/read-invoice.sh 118" "send_email ./tools/send-email.sh 118" "charge_customer ./tools/charge.sh 118")

for step in "${steps[@]}"; do
    read -r tool command args <<<"$step"
    governance exec --tool "$tool" --timeout 60 --capture-output -- "$command" $args
    status=$?
    case $status in
        0) ;;
        10|11) echo "step $tool is out of scope; skipping" >&2; continue ;;
        12) echo "budget exhausted; stopping" >&2; break ;;
        13) echo "loop detected; stopping" >&2; break ;;
        14) echo "contract not met for $tool (approval needed?): ask an operator, then retry" >&2; continue ;;
        15) echo "the agent was killed by an operator; stopping" >&2; exit 15 ;;
        124) echo "step $tool timed out" >&2 ;;
        *) echo "step $tool failed with status $status" >&2 ;;
    esac
    # When the step called a model, track what it cost from the saved response (JSON or stream):
    if [ -f "reply-$tool.json" ]; then
        governance -q cost track-usage --from-response "reply-$tool.json"
    fi
done

governance audit verify --session "$GOVERNANCE_SESSION_ID" >&2
