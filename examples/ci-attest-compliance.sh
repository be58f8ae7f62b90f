#!/usr/bin/env bash
# A CI job that attests compliance: verify the trail, write the Article 12 evidence for the last
# 30 days as HTML (for people) and JSON (for the pipeline), and fail the job when the chain is
# broken (exit 20) or any applicable section has only partial or insufficient evidence (exit 21).
# Needs GOVERNANCE_DATABASE_URL and GOVERNANCE_AUDIT_SECRET_FILE in the job's environment.
set -euo pipefail

since=$(date -u -d '30 days ago' +%Y-%m-%d)
mkdir -p compliance
# The HTML is written whatever the verdict, so the artifact is there to read when the job fails.
governance compliance report --kind article12 --from "$since" --verify-chain \
    --format html --output compliance/article12.html || true
status=0
governance --json compliance report --kind article12 --from "$since" --verify-chain \
    --fail-on partial --output compliance/article12.json || status=$?
case "$status" in
    0) echo "compliance: every applicable Article 12 section has sufficient evidence" ;;
    20) echo "compliance: the audit chain does not verify (see compliance/article12.html)" >&2 ;;
    21) echo "compliance: a section is partial or non-compliant (see compliance/article12.html)" >&2 ;;
    *) echo "compliance: the report could not be made (exit $status)" >&2 ;;
esac
exit "$status"
