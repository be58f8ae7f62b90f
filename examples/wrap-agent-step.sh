#!/usr/bin/env bash
# Wrap one agent step with governance: log the call and its result, so the run leaves a
# tamper-evident trail. Usage: examples/wrap-agent-step.sh "prompt text"
set -euo pipefail

: "${GOVERNANCE_SESSION_ID:=$(governance session new)}"
export GOVERNANCE_SESSION_ID GOVERNANCE_AGENT_ID=${GOVERNANCE_AGENT_ID:-example-agent}
prompt=${1:?usage: $0 PROMPT}

governance -q audit log --kind agent.prompt --model gpt-4o-mini --input "$prompt"

# The agent's real work goes here; its output is hashed, not stored.
result=$(printf 'echo: %s\n' "$prompt")

printf '%s' "$result" | governance -q audit log --kind llm.result --output - \
    --metadata "{\"bytes\": ${#result}}"

echo "$result"
echo "session $GOVERNANCE_SESSION_ID: $(governance audit verify --session "$GOVERNANCE_SESSION_ID")" >&2
