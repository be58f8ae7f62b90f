/// Stores, lists, shows, deletes and exports agent policies. Applying and deleting are operator
/// actions: each is audited in the agent's own chain, in the same transaction as the change, so
/// a change is never stored without its audit event.
public struct PolicyStore {
    public let db: SQLConnection

    public init(db: SQLConnection) { self.db = db }

    /// A stored policy and where it came from.
    public struct Stored: Sendable, Equatable {
        public var policy: AgentPolicy
        public var sha256: String
        public var source: String
        public var appliedAt: Timestamp

        public var json: JSONValue {
            .object([("agent_id", .string(policy.agentID)), ("sha256", .string(sha256)), ("source", .string(source)),
                     ("applied_at", .string(appliedAt.iso8601)), ("policy", policy.json)])
        }
    }

    /// What `apply` did for one agent.
    public struct Applied: Sendable, Equatable {
        public var agentID: String
        public var sha256: String
        public var source: String
        /// False when the same policy was already stored (it is audited again all the same).
        public var changed: Bool

        public var json: JSONValue {
            .object([("agent_id", .string(agentID)), ("sha256", .string(sha256)), ("source", .string(source)), ("changed", .bool(changed))])
        }
    }

    /// The most policies `list` and `export` read.
    public static let maxListed = 100_000

    @discardableResult
    /// Validates nothing (the documents already are) and refuses an agent defined twice; stores
    /// every agent of every document in ONE transaction, auditing each as `policy.applied`.
    public func apply(_ documents: [PolicyDocument], keys: PurposeKeys, at time: Timestamp = .now()) throws -> [Applied] {
        var firstSource: [String: String] = [:]
        for document in documents {
            for agent in document.agents {
                if let earlier = firstSource[agent.agentID] {
                    throw GovernanceError(.invalidInput, "\(document.source): agents.\(agent.agentID): is also defined in \(earlier)",
                                          hint: "define each agent once across the files applied together",
                                          details: [("file", .string(document.source)), ("path", .string("agents." + agent.agentID))])
                }
                firstSource[agent.agentID] = document.source
            }
        }
        let log = AuditLog(db: db, keys: keys)
        return try db.writeTransaction {
            var applied: [Applied] = []
            var events: [PendingEvent] = []
            for document in documents {
                for agent in document.agents {
                    let canonical = agent.canonicalJSON
                    let sha = Digest.sha256Hex(canonical)
                    let previous = try db.queryFirst("SELECT sha256 FROM governance_policies WHERE agent_id = ?", [.text(agent.agentID)])?.text(0)
                    try db.execute("""
                        INSERT INTO governance_policies (agent_id, policy, sha256, source, applied_at_us) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (agent_id) DO UPDATE SET policy = excluded.policy, sha256 = excluded.sha256,
                            source = excluded.source, applied_at_us = excluded.applied_at_us
                        """, [.text(agent.agentID), .text(canonical), .text(sha), .text(document.source), .int(time.microseconds)])
                    applied.append(Applied(agentID: agent.agentID, sha256: sha, source: document.source, changed: previous != sha))
                    events.append(try PendingEvent(validating: AuditEventInput(
                        sessionID: AgentChain.sessionID(for: agent.agentID), agentID: agent.agentID, kind: EventKind.policyApplied,
                        metadata: .object([("sha256", .string(sha)), ("source", .string(document.source)),
                                           ("previous_sha256", .optional(previous))])), at: time))
                }
            }
            _ = try log.appendInTransaction(events, returningIDs: false)
            return applied
        }
    }

    /// The agent's policy, checked again as it is read; nil when none is stored.
    public func policy(for agentID: String) throws -> AgentPolicy? {
        try stored(agentID)?.policy
    }

    public func stored(_ agentID: String) throws -> Stored? {
        guard let row = try db.queryFirst("SELECT policy, sha256, source, applied_at_us FROM governance_policies WHERE agent_id = ?",
                                          [.text(agentID)]) else { return nil }
        return try Self.stored(agentID: agentID, row: row)
    }

    private static func stored(agentID: String, row: SQLRow) throws -> Stored {
        let text = try row.text(0)
        return Stored(policy: try PolicyParser.stored(agentID: agentID, canonicalJSON: text), sha256: Digest.sha256Hex(text),
                      source: try row.text(2), appliedAt: Timestamp(microseconds: try row.int(3)))
    }

    /// Every stored policy, by agent id.
    public func list() throws -> [Stored] {
        var out: [Stored] = []
        try db.forEachRow("SELECT agent_id, policy, sha256, source, applied_at_us FROM governance_policies ORDER BY agent_id LIMIT ?",
                          [.int(Int64(Self.maxListed))]) { row in
            out.append(try Self.stored(agentID: try row.text(0), row: SQLRow(Array(row.values.dropFirst()))))
        }
        return out
    }

    /// Removes the agent's policy (it is then denied everything) and audits `policy.deleted`.
    /// Returns false, auditing nothing, when there was none.
    @discardableResult
    public func delete(_ agentID: String, keys: PurposeKeys, at time: Timestamp = .now()) throws -> Bool {
        try Identifier.check(agentID, field: "agent")
        let log = AuditLog(db: db, keys: keys)
        return try db.writeTransaction {
            guard let sha = try db.queryFirst("SELECT sha256 FROM governance_policies WHERE agent_id = ?", [.text(agentID)])?.text(0) else {
                return false
            }
            try db.execute("DELETE FROM governance_policies WHERE agent_id = ?", [.text(agentID)])
            let event = try PendingEvent(validating: AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.policyDeleted,
                metadata: .object([("sha256", .string(sha))])), at: time)
            _ = try log.appendInTransaction([event], returningIDs: false)
            return true
        }
    }

    /// Every stored policy as one YAML policy file that `apply` takes back unchanged.
    public func exportYAML() throws -> String {
        PolicyYAML.emit(try list().map(\.policy))
    }
}
