import Glibc
import GovernanceCore

/// Registered operators for tests: one Ed25519 key per name, registered in a store on first use
/// (the first without a signature, the others signed by one already there), so that tests of
/// operator actions say who acts as they did before actions were signed.
public enum TestOperators {
    nonisolated(unsafe) private static var keys: [String: OperatorKey] = [:]
    private static let lock = Mutex()

    public static func key(_ name: String) throws -> OperatorKey {
        try lock.run {
            if let key = keys[name] { return key }
            let key = try OperatorKey.generate()
            keys[name] = key
            return key
        }
    }

    /// `name`'s credential, registered in `db` if it is not yet. `audited: false` registers it
    /// with a bare INSERT, for fixtures whose event counts must not include the registration.
    public static func credential(_ name: String, db: SQLConnection, keys auditKeys: PurposeKeys, audited: Bool = true) throws -> OperatorCredential {
        let key = try key(name)
        if !audited, try Operators.find(db, name: name) == nil {
            try db.execute("INSERT INTO governance_operators (name, public_key, added_at_us) VALUES (?, ?, 0)",
                           [.text(name), .text(Hex.encode(key.publicKey))])
        }
        if try Operators.find(db, name: name) == nil {
            let signer = try Operators.list(db).first { $0.removedAt == nil }.map { OperatorCredential(name: $0.name, key: try self.key($0.name)) }
            do {
                try Operators.add(db, keys: auditKeys, name: name, publicKey: key.publicKey, by: signer)
            } catch {
                // Two test threads may register the same operator at once: the other one won.
                guard try Operators.find(db, name: name) != nil else { throw error }
            }
        }
        return OperatorCredential(name: name, key: key)
    }
}

/// A plain lock for the key cache (tests run in parallel).
final class Mutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func run<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

// The operator actions as tests call them: by an identity whose name is a test operator.
extension PolicyStore {
    @discardableResult
    public func apply(_ documents: [PolicyDocument], keys: PurposeKeys, at time: Timestamp = .now()) throws -> [Applied] {
        try apply(documents, keys: keys, by: try TestOperators.credential("policy-admin", db: db, keys: keys),
                  identity: OperatorIdentity(name: "policy-admin", osUser: "test", host: "test-host"), at: time)
    }

    @discardableResult
    public func delete(_ agentID: String, keys: PurposeKeys, at time: Timestamp = .now()) throws -> Bool {
        try delete(agentID, keys: keys, by: try TestOperators.credential("policy-admin", db: db, keys: keys),
                   identity: OperatorIdentity(name: "policy-admin", osUser: "test", host: "test-host"), at: time)
    }
}

extension Gates {
    @discardableResult
    public static func decide(_ db: SQLConnection, keys: PurposeKeys, token: String, decision: Decision, by identity: OperatorIdentity,
                              reason: String? = nil, expectedRequestID: String? = nil, at time: Timestamp = .now()) throws -> GateRequest {
        try decide(db, keys: keys, token: token, decision: decision, by: try TestOperators.credential(identity.name, db: db, keys: keys),
                   identity: identity, reason: reason, expectedRequestID: expectedRequestID, at: time)
    }
}

extension OperatorKill {
    @discardableResult
    public static func kill(_ db: SQLConnection, keys: PurposeKeys, agentID: String, reason: String, by identity: OperatorIdentity,
                            at time: Timestamp = .now()) throws -> KillMarker {
        try kill(db, keys: keys, agentID: agentID, reason: reason, by: try TestOperators.credential(identity.name, db: db, keys: keys),
                 identity: identity, at: time)
    }

    @discardableResult
    public static func revive(_ db: SQLConnection, keys: PurposeKeys, agentID: String, by identity: OperatorIdentity,
                              at time: Timestamp = .now()) throws -> KillMarker? {
        try revive(db, keys: keys, agentID: agentID, by: try TestOperators.credential(identity.name, db: db, keys: keys),
                   identity: identity, at: time)
    }
}
