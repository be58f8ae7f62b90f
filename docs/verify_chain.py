#!/usr/bin/env python3
"""Verify a `governance audit export` independently of governance.

Uses only the `rfc8785` package (python3 -m pip install rfc8785) and Python's hmac module.
The secret comes from GOVERNANCE_AUDIT_SECRET or the file named by
GOVERNANCE_AUDIT_SECRET_FILE (one trailing "\\n" or "\\r\\n" dropped).

    governance audit export | python3 docs/verify_chain.py
    python3 docs/verify_chain.py audit.jsonl

Exit status (the same numbers governance uses, so a CI step can treat both alike):
  0  every session's chain verifies
  2  bad input (not JSON lines of an export, missing fields)
  3  configuration: no secret, or the rfc8785 package is not installed
  20 a chain does not verify (the first bad seq of each session is printed)
A Python traceback (exit 1) is a bug in this script.
"""
import hashlib
import hmac
import json
import os
import sys

try:
    import rfc8785
except ImportError:
    print("verify_chain: the rfc8785 package is not installed; install it with:\n"
          "  python3 -m pip install rfc8785", file=sys.stderr)
    sys.exit(3)

CHAIN_FIELDS = ("session_id", "seq", "agent_id", "kind", "model", "input_hash",
                "output_hash", "metadata", "created_at", "prev_hash")


def fail(code, message):
    print(f"verify_chain: {message}", file=sys.stderr)
    sys.exit(code)


def load_secret():
    if os.environ.get("GOVERNANCE_AUDIT_SECRET"):
        return os.environ["GOVERNANCE_AUDIT_SECRET"].encode("utf-8")
    path = os.environ.get("GOVERNANCE_AUDIT_SECRET_FILE")
    if not path:
        fail(3, "set GOVERNANCE_AUDIT_SECRET or GOVERNANCE_AUDIT_SECRET_FILE")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        fail(3, f"cannot read the secret file: {error}")
    for ending in (b"\r\n", b"\n"):
        if data.endswith(ending):
            return data[:-len(ending)]
    return data


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def main():
    secret = load_secret()
    chain_key = hmac.new(secret, b"governance/audit-chain/v1", hashlib.sha256).digest()
    try:
        source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    except OSError as error:
        fail(2, f"cannot read {sys.argv[1]}: {error}")
    sessions = {}
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [name for name in CHAIN_FIELDS + ("hmac",) if name not in row]
        except (ValueError, TypeError) as error:
            fail(2, f"line {number}: not an exported event: {error}")
        if missing:
            fail(2, f"line {number}: not an exported event: missing {', '.join(missing)}")
        sessions.setdefault(row["session_id"], []).append(row)

    failures = 0
    events = 0
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
            elif not isinstance(row["hmac"], str) or not hmac.compare_digest(mac, row["hmac"]):
                problem = "hmac mismatch"
            if problem:
                print(f"FAILED: session {session} seq {row['seq']}: {problem}")
                failures += 1
                break
            previous = row["hmac"]
            events += 1
    if failures:
        return 20
    print(f"verified: {plural(events, 'event')} in {plural(len(sessions), 'session')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
