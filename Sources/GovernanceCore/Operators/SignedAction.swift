import Synchronization

/// An operator action's proof: a document (RFC 8785 JSON naming the action, the operator, the
/// agent, the time and what was decided) and the operator's Ed25519 signature over
/// `"governance/operator-action/v1\n" + document`. The row the action changes stores both; the
/// enforcement path and the reports accept the row only when the signature verifies against a
/// registered operator's key and the document names what the row says.
public struct SignedAction: Sendable, Equatable {
    public var document: String
    /// Lowercase hex of the 64-byte signature.
    public var signature: String

    public init(document: String, signature: String) {
        self.document = document
        self.signature = signature
    }

    static let domain = "governance/operator-action/v1\n"

    static func message(_ document: String) -> [UInt8] { Array((domain + document).utf8) }

    static func document(action: String, operator name: String, agentID: String, fields: [(String, JSONValue)], at time: Timestamp) -> String {
        JSONWriter.canonical(.object([("v", .int(1)), ("action", .string(action)), ("operator", .string(name)),
                                      ("agent_id", .string(agentID)), ("at", .string(time.iso8601))] + fields))
    }

    /// The fields an audit event of the action carries, so a report can check it from the chain alone.
    public var auditFields: [(String, JSONValue)] {
        let name = (try? JSONParser.parse(document))?["operator"] ?? .null
        return [("by", name), ("operator_document", .string(document)), ("operator_signature", .string(signature))]
    }

    /// Why a stored action was not accepted.
    public enum Rejection: String, Sendable, Error {
        case unsigned, malformed, unknownOperator = "unknown_operator", removedOperator = "removed_operator", forged, mismatched
    }

    /// The verified document's fields, or why it is refused. `expect` lists what the document must
    /// say (action, agent_id, and the row's own values).
    public static func verify(_ db: SQLConnection, document: String?, signature: String?,
                              expect: [(String, JSONValue)]) throws -> Result<[(String, JSONValue)], Rejection> {
        var lookupError: Error?
        let result = verify(document: document, signature: signature, registered: { name in
            do { return try Operators.find(db, name: name) } catch { lookupError = error; return nil }
        }, expect: expect)
        if let lookupError { throw lookupError }
        return result
    }

    /// The same, with the registry looked up through `registered`.
    static func verify(document: String?, signature: String?, registered: (String) -> RegisteredOperator?,
                       expect: [(String, JSONValue)]) -> Result<[(String, JSONValue)], Rejection> {
        guard let document, let signature else { return .failure(.unsigned) }
        let action = SignedAction(document: document, signature: signature)
        guard let read = action.read() else { return .failure(.malformed) }
        // The registry is asked on every read: a removed or replaced key counts at once.
        guard let operatorRow = registered(read.name) else { return .failure(.unknownOperator) }
        if let removed = operatorRow.removedAt, removed <= read.at { return .failure(.removedOperator) }
        if read.verifiedKey != operatorRow.publicKey {
            guard OperatorKey.verify(signature: read.signatureBytes, message: message(document), publicKey: operatorRow.publicKey) else {
                return .failure(.forged)
            }
            var verified = read
            verified.verifiedKey = operatorRow.publicKey
            if RememberedReads.enabled, read.signatureBytes.count == 64 { Self.reads.withLock { $0.remember(verified, for: action) } }
        }
        for (key, value) in expect where read.parsed[key] != value { return .failure(.mismatched) }
        return .success(read.fields)
    }

    /// A document parsed, and the key its signature was found valid under.
    struct Read: Sendable {
        var parsed: JSONValue
        var fields: [(String, JSONValue)]
        var name: String
        var at: Timestamp
        var signatureBytes: [UInt8]
        var verifiedKey: [UInt8]?
    }

    /// Parsing a document and checking its signature are pure functions of the document, the
    /// signature and the key, and the enforcement path reads the same policy on every call: the
    /// last few are remembered (the operator is still looked up on every read).
    private static let reads = Mutex(RecentResults<SignedAction, Read>(capacity: 16))

    private func read() -> Read? {
        let remembered = RememberedReads.enabled
        if remembered, let known = Self.reads.withLock({ $0[self] }) { return known }
        guard document.utf8.count <= 70_000, let parsed = try? JSONParser.parse(document), let fields = parsed.objectMembers,
              let name = parsed["operator"]?.stringValue, let at = parsed["at"]?.stringValue.flatMap(Timestamp.init(parsing:)),
              let signatureBytes = Hex.decode(signature) else {
            return nil
        }
        let read = Read(parsed: parsed, fields: fields, name: name, at: at, signatureBytes: signatureBytes, verifiedKey: nil)
        // Only what a signature can be is kept (64 bytes): a row edited to hold megabytes is not.
        if remembered, signatureBytes.count == 64 { Self.reads.withLock { $0.remember(read, for: self) } }
        return read
    }

}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
