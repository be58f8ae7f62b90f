#!/usr/bin/env bash
# A CI step: prove the audit trail untouched, and keep an export that anyone holding the secret
# can check again later without governance (docs/verify_chain.py).
# Needs GOVERNANCE_DATABASE_URL and GOVERNANCE_AUDIT_SECRET_FILE in the job's environment.
set -euo pipefail

governance --json audit verify > audit-verify.json || status=$?
case "${status:-0}" in
    0) echo "audit chain verified: $(grep -o '"rows_verified":[0-9]*' audit-verify.json)" ;;
    20) echo "audit chain integrity failure:" >&2; cat audit-verify.json >&2; exit 20 ;;
    *) echo "could not verify the audit chain (exit ${status})" >&2; exit "${status}" ;;
esac

governance audit export > audit-export.jsonl
if command -v python3 >/dev/null && python3 -c 'import rfc8785' 2>/dev/null; then
    python3 "$(dirname "$0")/../docs/verify_chain.py" audit-export.jsonl
fi
