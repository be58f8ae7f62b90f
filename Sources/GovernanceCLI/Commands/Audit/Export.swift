import GovernanceCore

extension Audit {
    enum Export {
        static let command = CommandSpec(
            "export", "Write every stored field of every event as JSON lines",
            doc: """
            Writes one JSON object per line, in chain order (session, then seq), with every stored field, \
            metadata exactly as it was hashed. Anyone holding the secret can verify the result independently \
            with any RFC 8785 library and HMAC-SHA256: docs/CHAIN.md shows how.
            """,
            flags: [SharedFlags.sessionFilter],
            examples: ["governance audit export > audit.jsonl", "governance audit export --session $GOVERNANCE_SESSION_ID | python3 docs/verify_chain.py"],
            needs: .read
        ) { args, run in
            let query = AuditQuery(db: try run.store.connection)
            if let session = try args[SharedFlags.sessionFilter] {
                try query.chain(session) { run.console.line($0.jsonLine) }
            } else {
                try query.all { run.console.line($0.jsonLine) }
            }
            return 0
        }
    }
}
