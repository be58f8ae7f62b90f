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
    public func apply(_ documents: [PolicyDocument], keys: PurposeKeys, by credential: OperatorCredential, identity: OperatorIdentity,
                      at time: Timestamp = .now()) throws -> [Applied] {
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
                    let signed = try credential.sign(EventKind.policyApplied, agentID: agent.agentID, fields: [("sha256", .string(sha))], at: time)
                    try db.execute("""
                        INSERT INTO governance_policies (agent_id, policy, sha256, source, applied_at_us, document, signature) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (agent_id) DO UPDATE SET policy = excluded.policy, sha256 = excluded.sha256,
                            source = excluded.source, applied_at_us = excluded.applied_at_us, document = excluded.document,
                            signature = excluded.signature
                        """, [.text(agent.agentID), .text(canonical), .text(sha), .text(document.source), .int(time.microseconds),
                              .text(signed.document), .text(signed.signature)])
                    applied.append(Applied(agentID: agent.agentID, sha256: sha, source: document.source, changed: previous != sha))
                    events.append(try PendingEvent(validating: AuditEventInput(
                        sessionID: AgentChain.sessionID(for: agent.agentID), agentID: agent.agentID, kind: EventKind.policyApplied,
                        metadata: .object([("sha256", .string(sha)), ("source", .string(document.source)),
                                           ("previous_sha256", .optional(previous))] + signed.auditFields + identity.hostFields)), at: time))
                }
            }
            _ = try log.appendInTransaction(events, returningIDs: false)
            return applied
        }
    }

    /// The agent's policy, checked again as it is read; nil when none is stored. A policy that no
    /// registered operator signed for this agent and this content (a row written by hand) is not
    /// acted on: an integrity failure (exit 20), never a looser policy or none.
    public func policy(for agentID: String) throws -> AgentPolicy? {
        try stored(agentID)?.policy
    }

    static func unsigned(_ agentID: String, _ why: SignedAction.Rejection) -> GovernanceError {
        GovernanceError(.integrityFailure, "the stored policy of agent \(quoted(agentID)) carries no valid operator signature (\(why.rawValue)); it is not acted on",
                        hint: "an operator re-applies the agent's policy with `governance policy apply`; `governance audit events --kind policy.applied` shows what was applied",
                        details: [("reason", .string(why.rawValue))])
    }

    public func verified(_ agentID: String) throws -> (policy: Stored?, ignored: SignedAction.Rejection?) {
        guard let row = try db.queryFirst("SELECT policy, sha256, source, applied_at_us, document, signature FROM governance_policies WHERE agent_id = ?",
                                          [.text(agentID)]) else { return (nil, nil) }
        let sha = Digest.sha256Hex(try row.text(0))
        switch try SignedAction.verify(db, document: row.optionalText(4), signature: row.optionalText(5),
                                       expect: [("action", .string(EventKind.policyApplied)), ("agent_id", .string(agentID)),
                                                ("sha256", .string(sha))]) {
        case .success: return (try Self.stored(agentID: agentID, row: row, sha256: sha), nil)
        case .failure(let why): return (nil, why)
        }
    }

    /// The stored policy as written, its signature not checked: only for learning that there is
    /// nothing to do (a policy without the setting a caller acts on). Whatever is acted on is read
    /// with `verified`; an edited row fails that check, so skipping on this read changes no outcome.
    func unverified(_ agentID: String) throws -> AgentPolicy? {
        guard let row = try db.queryFirst("SELECT policy FROM governance_policies WHERE agent_id = ?", [.text(agentID)]) else { return nil }
        return try? PolicyParser.stored(agentID: agentID, canonicalJSON: try row.text(0))
    }

    /// The stored policy; an unsigned or tampered one is an integrity failure (exit 20).
    public func stored(_ agentID: String) throws -> Stored? {
        let read = try verified(agentID)
        if let why = read.ignored { throw Self.unsigned(agentID, why) }
        return read.policy
    }

    private static func stored(agentID: String, row: SQLRow, sha256: String) throws -> Stored {
        let text = try row.text(0)
        return Stored(policy: try PolicyParser.stored(agentID: agentID, canonicalJSON: text), sha256: sha256,
                      source: try row.text(2), appliedAt: Timestamp(microseconds: try row.int(3)))
    }

    /// Every stored policy that a registered operator signed, by agent id.
    public func list() throws -> [Stored] {
        var agents: [String] = []
        try db.forEachRow("SELECT agent_id FROM governance_policies ORDER BY agent_id LIMIT ?", [.int(Int64(Self.maxListed))]) { row in
            agents.append(try row.text(0))
        }
        return try agents.compactMap { try verified($0).policy }
    }

    /// Removes the agent's policy (it is then denied everything) and audits `policy.deleted`.
    /// Returns false, auditing nothing, when there was none.
    @discardableResult
    public func delete(_ agentID: String, keys: PurposeKeys, by credential: OperatorCredential, identity: OperatorIdentity,
                       at time: Timestamp = .now()) throws -> Bool {
        try Identifier.check(agentID, field: "agent")
        let log = AuditLog(db: db, keys: keys)
        return try db.writeTransaction {
            guard let sha = try db.queryFirst("SELECT sha256 FROM governance_policies WHERE agent_id = ?", [.text(agentID)])?.text(0) else {
                return false
            }
            try db.execute("DELETE FROM governance_policies WHERE agent_id = ?", [.text(agentID)])
            let signed = try credential.sign(EventKind.policyDeleted, agentID: agentID, fields: [("sha256", .string(sha))], at: time)
            let event = try PendingEvent(validating: AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.policyDeleted,
                metadata: .object([("sha256", .string(sha))] + signed.auditFields + identity.hostFields)), at: time)
            _ = try log.appendInTransaction([event], returningIDs: false)
            return true
        }
    }

    /// Every stored policy as one YAML policy file that `apply` takes back unchanged.
    public func exportYAML() throws -> String {
        PolicyYAML.emit(try list().map(\.policy))
    }
}
