/// Appends links to session chains. Each append reads the session's last `(seq, hmac)` and inserts
/// the next row in one write transaction under the chain lock, so concurrent writers on any number
/// of processes or hosts produce one contiguous chain.
public struct AuditLog {
    public let db: SQLConnection
    public let key: HMACKey

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.key = HMACKey(key: keys.chainKey)
    }

    static let columns = "id, session_id, seq, agent_id, kind, model, input_hash, output_hash, metadata, created_at_us, prev_hash, hmac"

    static func record(from row: SQLRow) throws -> AuditRecord {
        AuditRecord(id: try row.int(0), sessionID: try row.text(1), seq: try row.int(2), agentID: try row.text(3),
                    kind: try row.text(4), model: row.optionalText(5), inputHash: row.optionalText(6),
                    outputHash: row.optionalText(7), metadataJSON: try row.text(8),
                    createdAt: Timestamp(microseconds: try row.int(9)), prevHash: try row.text(10), hmac: try row.text(11))
    }

    /// Validates and appends one event; returns the stored record.
    @discardableResult
    public func append(_ event: AuditEventInput, at time: Timestamp? = nil) throws -> AuditRecord {
        let metadata = try event.validated()
        return try db.writeTransaction {
            try appendInTransaction([(event, metadata)], at: time ?? .now())[0]
        }
    }

    /// Appends already validated events inside the caller's write transaction, in order.
    /// Events may belong to several sessions; each session's chain is locked once.
    func appendInTransaction(_ events: [(AuditEventInput, String)], at time: Timestamp) throws -> [AuditRecord] {
        var heads: [SessionID: (seq: Int64, hmac: String, first: Bool)] = [:]
        var records: [AuditRecord] = []
        records.reserveCapacity(events.count)
        for (event, metadata) in events {
            var head: (seq: Int64, hmac: String, first: Bool)
            if let known = heads[event.sessionID] {
                head = known
            } else {
                try db.lockChain(event.sessionID.value)
                if let row = try db.queryFirst(
                    "SELECT seq, hmac FROM governance_audit_events WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                    [.text(event.sessionID.value)]) {
                    head = (try row.int(0), try row.text(1), false)
                } else {
                    head = (0, ChainCodec.genesisHash, true)
                }
            }
            var record = AuditRecord(id: 0, sessionID: event.sessionID.value, seq: head.seq + 1, agentID: event.agentID,
                                     kind: event.kind, model: event.model, inputHash: event.inputHash,
                                     outputHash: event.outputHash, metadataJSON: metadata, createdAt: time,
                                     prevHash: head.hmac, hmac: "")
            record.hmac = ChainCodec.hmac(record, key: key)
            let inserted = try db.queryFirst("""
                INSERT INTO governance_audit_events
                    (session_id, seq, agent_id, kind, model, input_hash, output_hash, metadata, created_at_us, prev_hash, hmac)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.text(record.sessionID), .int(record.seq), .text(record.agentID), .text(record.kind),
                      .optional(record.model), .optional(record.inputHash), .optional(record.outputHash),
                      .text(record.metadataJSON), .int(record.createdAt.microseconds), .text(record.prevHash),
                      .text(record.hmac)])
            record.id = try inserted?.int(0) ?? 0
            heads[event.sessionID] = (record.seq, record.hmac, head.first)
            records.append(record)
        }
        // The head table remembers where each chain ends, so verification can tell a chain cut
        // short from one that was never longer.
        for (session, head) in heads {
            try db.execute("""
                INSERT INTO governance_audit_sessions (session_id, last_seq, last_hmac, first_at_us, last_at_us)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (session_id) DO UPDATE SET last_seq = excluded.last_seq, last_hmac = excluded.last_hmac,
                    last_at_us = excluded.last_at_us
                """, [.text(session.value), .int(head.seq), .text(head.hmac), .int(time.microseconds), .int(time.microseconds)])
        }
        return records
    }
}
