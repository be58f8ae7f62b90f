/// Reads the evidence for a report from the audit chain: one streaming pass in chain order that,
/// with `verifyChain`, is also the chain verification (ChainVerifier hands each row to the
/// aggregator); a filtered report reads each agent's history (newest response, policy) in one
/// more query.
public struct EvidenceReader {
    public let db: SQLConnection
    public let keys: PurposeKeys

    /// Rows read by the history query at most: a hostile log with millions of agents stays bounded
    /// (agents past it count as having no response and no policy).
    static let maxHistoryRows = Evidence.maxAgents * 8

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.keys = keys
    }

    public struct Result: Sendable {
        public var evidence: Evidence
        public var integrity: ChainIntegrityStatus
        public var failures: [ChainFailure]
    }

    public func read(_ options: ReportOptions, progress: ((Int) -> Void)? = nil) throws -> Result {
        let filters = options.filters
        let sessions = Array(Set(filters.sessionIDs.map(\.value))).sorted().compactMap(SessionID.init)
        let signatures = OperatorSignatures(db: db)
        let aggregator = EvidenceAggregator(filters: filters, annexIII1a: options.annexIII1a, authenticate: signatures.authentic)
        var failures: [ChainFailure] = []
        var rows = 0
        let observe: (AuditRecord) -> Void = { record in
            aggregator.add(record)
            rows += 1
            if let progress, rows % 100_000 == 0 { progress(rows) }
        }
        if options.verifyChain {
            let verifier = ChainVerifier(db: db, keys: keys)
            // Each session filtered on is verified whole; otherwise every chain (an agent's events
            // may sit in any session, and the chain is only evidence when all of it verifies).
            for scope in sessions.isEmpty ? [VerificationScope()] : sessions.map({ VerificationScope(sessionID: $0) }) {
                failures += try verifier.verify(scope, observe: observe).failures
            }
        } else {
            let query = AuditQuery(db: db)
            if sessions.isEmpty, let agent = filters.agentID {
                try db.forEachRow("""
                    SELECT \(AuditLog.columns) FROM governance_audit_events
                    WHERE session_id IN (SELECT DISTINCT session_id FROM governance_audit_events WHERE agent_id = ?)
                    ORDER BY session_id, seq, id
                    """, [.text(agent)]) { observe(try AuditLog.record(from: $0)) }
            } else if sessions.isEmpty {
                try query.all(observe)
            } else {
                for session in sessions { try query.chain(session, observe) }
            }
        }
        // Unfiltered, the stream saw every response and policy; filtered, the rest of each agent's
        // history is read in one more query.
        let filtered = filters.agentID != nil || !sessions.isEmpty || filters.from != nil || filters.to != nil
        let evidence = aggregator.finish(oldestRetained: try oldestEvent(agentID: filters.agentID, sessions: sessions),
                                         history: filtered ? try history(agentID: filters.agentID) : nil)
        let integrity: ChainIntegrityStatus = !failures.isEmpty ? .failed : rows == 0 ? .empty : options.verifyChain ? .verified : .unverified
        return Result(evidence: evidence, integrity: integrity, failures: failures)
    }

    /// Per agent: the newest response of any kind, and whether a policy was ever applied. Read
    /// without the session and time filters: a kill logged in the agent's own chain, or after
    /// --to, still answers an anomaly.
    func history(agentID: String?) throws -> EvidenceAggregator.AgentHistory {
        let kinds = EvidenceKinds.responses.sorted()
        var sql = "SELECT agent_id, kind, created_at_us, metadata FROM governance_audit_events WHERE kind IN ("
            + kinds.map { _ in "?" }.joined(separator: ", ") + ")"
        var parameters: [SQLValue] = kinds.map(SQLValue.text)
        if let agentID { sql += " AND agent_id = ?"; parameters.append(.text(agentID)) }
        sql += " ORDER BY created_at_us DESC LIMIT ?"
        parameters.append(.int(Int64(Self.maxHistoryRows)))
        var rows: [(agent: String, kind: String, at: Timestamp, metadata: String)] = []
        try db.forEachRow(sql, parameters) { row in
            rows.append((try row.text(0), try row.text(1), Timestamp(microseconds: try row.int(2)), try row.text(3)))
        }
        // Operator responses count only when an operator signed them (read after the stream: the
        // connection is busy while rows stream).
        let signatures = OperatorSignatures(db: db)
        var history = EvidenceAggregator.AgentHistory()
        for row in rows {
            if EvidenceKinds.signedResponses.contains(row.kind), !signatures.authentic(kind: row.kind, agentID: row.agent, metadataJSON: row.metadata) {
                continue
            }
            if history.lastResponse[row.agent].map({ $0 < row.at }) ?? true { history.lastResponse[row.agent] = row.at }
            if row.kind == EventKind.policyApplied { history.policyAgents.insert(row.agent) }
        }
        return history
    }

    /// The oldest event kept for the agent and sessions, for the retention check (--from aside).
    func oldestEvent(agentID: String?, sessions: [SessionID]) throws -> Timestamp? {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        if let agentID { conditions.append("agent_id = ?"); parameters.append(.text(agentID)) }
        if !sessions.isEmpty {
            conditions.append("session_id IN (" + sessions.map { _ in "?" }.joined(separator: ", ") + ")")
            parameters += sessions.map { .text($0.value) }
        }
        let sql = "SELECT MIN(created_at_us) FROM governance_audit_events" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
        return try db.queryFirst(sql, parameters)?.optionalInt(0).map(Timestamp.init(microseconds:))
    }
}

/// Checks the operator signature an audit event carries, against the operators registered in the
/// store. The registry is read once, before any row streams.
final class OperatorSignatures: @unchecked Sendable {
    private let registered: [String: RegisteredOperator]

    init(db: SQLConnection) {
        registered = Dictionary(((try? Operators.list(db, limit: 100_000)) ?? []).map { ($0.name, $0) }) { first, _ in first }
    }

    func authentic(_ r: AuditRecord) -> Bool {
        authentic(kind: r.kind, agentID: r.agentID, metadataJSON: r.metadataJSON)
    }

    func authentic(kind: String, agentID: String, metadataJSON: String) -> Bool {
        guard let metadata = try? JSONParser.parse(metadataJSON) else { return false }
        return SignedAction.verify(document: metadata["operator_document"]?.stringValue, signature: metadata["operator_signature"]?.stringValue,
                                   registered: { self.registered[$0] },
                                   expect: [("action", .string(kind)), ("agent_id", .string(agentID))]).isSuccess
    }
}
