#!/usr/bin/env python3
"""Verify a `governance audit export` independently of governance.

Uses only the `rfc8785` package (pip install rfc8785) and Python's hmac module.
The secret comes from GOVERNANCE_AUDIT_SECRET or the file named by
GOVERNANCE_AUDIT_SECRET_FILE (one trailing newline dropped).

    governance audit export | python3 docs/verify_chain.py
    python3 docs/verify_chain.py audit.jsonl

Exit status: 0 when every session's chain verifies, 1 when one does not, 2 on bad input.
"""
import hashlib
import hmac
import json
import os
import sys

import rfc8785

CHAIN_FIELDS = ("session_id", "seq", "agent_id", "kind", "model", "input_hash",
                "output_hash", "metadata", "created_at", "prev_hash")


def load_secret():
    if os.environ.get("GOVERNANCE_AUDIT_SECRET"):
        return os.environ["GOVERNANCE_AUDIT_SECRET"].encode("utf-8")
    path = os.environ.get("GOVERNANCE_AUDIT_SECRET_FILE")
    if not path:
        sys.exit("verify_chain: set GOVERNANCE_AUDIT_SECRET or GOVERNANCE_AUDIT_SECRET_FILE")
    with open(path, "rb") as f:
        data = f.read()
    return data[:-1] if data.endswith(b"\n") else data


def main():
    secret = load_secret()
    chain_key = hmac.new(secret, b"governance/audit-chain/v1", hashlib.sha256).digest()
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    sessions = {}
    for number, line in enumerate(source, 1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as error:
                print(f"line {number}: not JSON: {error}", file=sys.stderr)
                return 2
            sessions.setdefault(row["session_id"], []).append(row)

    failures = 0
    rows = 0
    for session, chain in sorted(sessions.items()):
        chain.sort(key=lambda r: r["seq"])
        previous = "0" * 64
        for expected_seq, row in enumerate(chain, 1):
            link = {name: row[name] for name in CHAIN_FIELDS}
            link["v"] = 1
            mac = hmac.new(chain_key, rfc8785.dumps(link), hashlib.sha256).hexdigest()
            problem = None
            if row["seq"] != expected_seq:
                problem = f"expected seq {expected_seq}"
            elif row["prev_hash"] != previous:
                problem = "prev_hash does not link"
            elif not hmac.compare_digest(mac, row["hmac"]):
                problem = "hmac mismatch"
            if problem:
                print(f"FAILED: session {session} seq {row['seq']}: {problem}")
                failures += 1
                break
            previous = row["hmac"]
            rows += 1
    if failures:
        return 1
    print(f"verified: {rows} rows in {len(sessions)} sessions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
