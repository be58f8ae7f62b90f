/// The audit secret: the root of the chain key and the gate key. Its bytes are the UTF-8 bytes of
/// the value; a file's content loses one trailing newline. It is never printed.
public struct AuditSecret: Sendable {
    let bytes: [UInt8]
    /// Where it came from, for messages: "GOVERNANCE_AUDIT_SECRET", a file path, ...
    public let source: String

    public static let minimumBytes = 32
    public static let minimumDistinctBytes = 10

    /// Fragments of well-known placeholder values; a secret containing one is rejected.
    static let placeholders = [
        "changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me",
        "your-secret", "your_secret", "yoursecret", "placeholder", "example-secret",
        "secret-key-here", "insert-secret", "todo-secret", "default-secret", "supersecret",
        "0123456789abcdef0123456789abcdef", "abcdefghijklmnopqrstuvwxyz",
    ]

    /// Checks the value and wraps it; a weak value is a configuration error (exit 3).
    public init(value: String, source: String) throws(GovernanceError) {
        let bytes = Array(value.utf8)
        let hint = "run `governance secret generate` and store its output in a file named by GOVERNANCE_AUDIT_SECRET_FILE"
        if bytes.isEmpty {
            throw .config("the audit secret from \(source) is empty", hint: hint)
        }
        if bytes.count < Self.minimumBytes {
            throw .config("the audit secret from \(source) is too weak: \(bytes.count) bytes, at least \(Self.minimumBytes) needed", hint: hint)
        }
        if Set(bytes).count < Self.minimumDistinctBytes {
            throw .config("the audit secret from \(source) is too weak: fewer than \(Self.minimumDistinctBytes) distinct bytes", hint: hint)
        }
        let lowered = value.lowercased()
        if let found = Self.placeholders.first(where: { lowered.contains($0) }) {
            throw .config("the audit secret from \(source) looks like a placeholder (contains \"\(found)\")", hint: hint)
        }
        self.bytes = bytes
        self.source = source
    }

    /// Reads a secret file: its content less one trailing newline.
    public static func load(file path: String) throws(GovernanceError) -> AuditSecret {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(path, what: "audit secret file")
        } catch {
            throw .config(error.message, hint: "check GOVERNANCE_AUDIT_SECRET_FILE or --audit-secret-file")
        }
        var content = bytes
        if content.last == 0x0A { content.removeLast() }
        guard let value = String(validating: content, as: UTF8.self) else {
            throw .config("the audit secret file \(path) is not UTF-8 text", hint: "run `governance secret generate` to make a new one")
        }
        return try AuditSecret(value: value, source: path)
    }

    /// A new random secret: 32 random bytes as 64 hexadecimal characters.
    public static func generate() throws(GovernanceError) -> String {
        Hex.encode(try SecureRandom.bytes(32))
    }

    /// Purpose keys, so that a key leaked from one use cannot forge another.
    public var keys: PurposeKeys { PurposeKeys(secret: bytes) }
}

/// Keys derived from the secret, one per purpose: `HMAC-SHA256(secret, label)`.
public struct PurposeKeys: Sendable {
    public static let chainLabel = "governance/audit-chain/v1"
    public static let gateLabel = "governance/gate-token/v1"
    public static let spoolLabel = "governance/spool/v1"

    public let chainKey: [UInt8]
    public let gateKey: [UInt8]
    /// Authenticates each spooled event, so a spool file edited by hand is not replayed.
    public let spoolKey: [UInt8]

    public init(secret: [UInt8]) {
        let root = HMACKey(key: secret)
        chainKey = root.mac(Array(Self.chainLabel.utf8))
        gateKey = root.mac(Array(Self.gateLabel.utf8))
        spoolKey = root.mac(Array(Self.spoolLabel.utf8))
    }
}
