/// The registered operators: a name and an Ed25519 public key each. The first operator of a
/// store is added without a signature (someone has to be first: on PostgreSQL only the operator
/// role may insert here, `governance db roles`); every later change is signed by an operator
/// already registered.
public struct RegisteredOperator: Sendable, Equatable {
    public var name: String
    public var publicKey: [UInt8]
    public var addedAt: Timestamp
    public var addedBy: String?
    public var removedAt: Timestamp?

    public var json: JSONValue {
        .object([("name", .string(name)), ("public_key", .string(Hex.encode(publicKey))), ("added_at", .string(addedAt.iso8601)),
                 ("added_by", .optional(addedBy)), ("removed_at", removedAt.map { .string($0.iso8601) } ?? .null)])
    }
}

/// An operator able to act: its registered name and its private key.
public struct OperatorCredential: Sendable {
    public let name: String
    public let key: OperatorKey

    /// A key and the name it is registered under (`load` finds the name for a key file).
    public init(name: String, key: OperatorKey) {
        self.name = name
        self.key = key
    }

    /// The registered operator whose public key matches the key file's.
    public static func load(keyFile path: String, db: SQLConnection) throws -> OperatorCredential {
        let key = try OperatorKey.load(privateKeyFile: path)
        guard let registered = try Operators.find(db, publicKey: key.publicKey), registered.removedAt == nil else {
            throw GovernanceError(.operatorNotPermitted, "the key in \(path) belongs to no registered operator",
                                  hint: "an operator registers it with `governance operator add NAME --public-key PUBLIC.pem`")
        }
        return OperatorCredential(name: registered.name, key: key)
    }

    /// Signs an operator action (`SignedAction`).
    public func sign(_ action: String, agentID: String, fields: [(String, JSONValue)], at time: Timestamp) throws -> SignedAction {
        let document = SignedAction.document(action: action, operator: name, agentID: agentID, fields: fields, at: time)
        return SignedAction(document: document, signature: Hex.encode(try key.sign(SignedAction.message(document))))
    }
}

public enum Operators {
    static let columns = "name, public_key, added_at_us, added_by, removed_at_us"

    static func row(_ row: SQLRow) throws -> RegisteredOperator {
        RegisteredOperator(name: try row.text(0), publicKey: Hex.decode(try row.text(1)) ?? [], addedAt: Timestamp(microseconds: try row.int(2)),
                           addedBy: row.optionalText(3), removedAt: try row.optionalInt(4).map(Timestamp.init(microseconds:)))
    }

    public static func find(_ db: SQLConnection, name: String) throws -> RegisteredOperator? {
        try db.queryFirst("SELECT \(columns) FROM governance_operators WHERE name = ?", [.text(name)]).map(row)
    }

    public static func find(_ db: SQLConnection, publicKey: [UInt8]) throws -> RegisteredOperator? {
        try db.queryFirst("SELECT \(columns) FROM governance_operators WHERE public_key = ?", [.text(Hex.encode(publicKey))]).map(row)
    }

    public static func list(_ db: SQLConnection, limit: Int = 10_000) throws -> [RegisteredOperator] {
        try db.query("SELECT \(columns) FROM governance_operators ORDER BY name LIMIT ?", [.int(Int64(limit))]).map(row)
    }

    /// Registers an operator. With no operator registered yet (and only then) `by` may be nil.
    /// Audited as `operator.added` in the chain of the pseudo-agent `governance`.
    @discardableResult
    public static func add(_ db: SQLConnection, keys: PurposeKeys, name: String, publicKey: [UInt8], by credential: OperatorCredential?,
                           at time: Timestamp = .now()) throws -> RegisteredOperator {
        try Identifier.check(name, field: "operator")
        guard publicKey.count == 32 else { throw GovernanceError.invalid("an operator's public key is 32 bytes of Ed25519") }
        return try db.writeTransaction {
            let anyone = try db.queryFirst("SELECT COUNT(*) FROM governance_operators")?.int(0) ?? 0
            if anyone > 0 && credential == nil {
                throw GovernanceError(.operatorNotPermitted, "operators are registered already: adding one needs an operator's key",
                                      hint: "give --operator-key FILE (or GOVERNANCE_OPERATOR_KEY_FILE) of a registered operator")
            }
            if try find(db, name: name) != nil { throw GovernanceError.invalid("operator \(quoted(name)) is registered already") }
            if let other = try find(db, publicKey: publicKey) {
                throw GovernanceError.invalid("that public key is registered already, as operator \(quoted(other.name))")
            }
            let signed = try credential?.sign(EventKind.operatorAdded, agentID: auditAgent,
                                               fields: [("name", .string(name)), ("public_key", .string(Hex.encode(publicKey)))], at: time)
            try db.execute("INSERT INTO governance_operators (name, public_key, added_at_us, added_by, document, signature) VALUES (?, ?, ?, ?, ?, ?)",
                           [.text(name), .text(Hex.encode(publicKey)), .int(time.microseconds), .optional(credential?.name),
                            .optional(signed?.document), .optional(signed?.signature)])
            var metadata: [(String, JSONValue)] = [("name", .string(name)), ("public_key", .string(Hex.encode(publicKey))),
                                                   ("first", .bool(anyone == 0))]
            metadata += signed?.auditFields ?? [("by", .null)]
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(sessionID: AgentChain.sessionID(for: auditAgent), agentID: auditAgent,
                                                                       kind: EventKind.operatorAdded, metadata: .object(metadata)), at: time)
            return RegisteredOperator(name: name, publicKey: publicKey, addedAt: time, addedBy: credential?.name)
        }
    }

    /// Marks an operator removed: its key signs nothing from now on; what it signed before stays valid.
    public static func remove(_ db: SQLConnection, keys: PurposeKeys, name: String, by credential: OperatorCredential,
                              at time: Timestamp = .now()) throws {
        try Identifier.check(name, field: "operator")
        let signed = try credential.sign(EventKind.operatorRemoved, agentID: auditAgent, fields: [("name", .string(name))], at: time)
        try db.writeTransaction {
            guard try db.execute("UPDATE governance_operators SET removed_at_us = ? WHERE name = ? AND removed_at_us IS NULL",
                                 [.int(time.microseconds), .text(name)]) == 1 else {
                throw GovernanceError.invalid("no registered operator \(quoted(name))", hint: "`governance operator list` shows them")
            }
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(sessionID: AgentChain.sessionID(for: auditAgent), agentID: auditAgent,
                                                                       kind: EventKind.operatorRemoved,
                                                                       metadata: .object([("name", .string(name))] + signed.auditFields)), at: time)
        }
    }

    /// The chain operator registrations are audited in.
    public static let auditAgent = "governance"
}
