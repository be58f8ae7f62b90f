import Glibc

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
        // A byte search: String.contains(String) goes through the regex engine, whose set-up was
        // a tenth of a short command's start.
        let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        if let found = Self.placeholders.first(where: { Self.contains(lowered, Array($0.utf8)) }) {
            throw .config("the audit secret from \(source) looks like a placeholder (contains \"\(found)\")", hint: hint)
        }
        self.bytes = bytes
        self.source = source
    }

    /// The most a secret file may hold: a secret is a line of text, not a document.
    public static let maximumFileBytes = 4096

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    /// Reads a secret file: its content less one trailing `\n` or `\r\n`. Only a regular file
    /// is read (opened non-blocking: a FIFO cannot hang the process), and, as ssh and
    /// PostgreSQL do for keys, only one that no other user can read or write: group read
    /// access stays allowed (mounted secrets and root-owned keys use it). The check looks at
    /// the mode bits, not at access(2), because root passes every access check.
    public static func load(file path: String) throws(GovernanceError) -> AuditSecret {
        let hint = "check GOVERNANCE_AUDIT_SECRET_FILE or --audit-secret-file"
        let bytes: [UInt8]
        let status: FileSystem.Status
        do {
            (bytes, status) = try FileSystem.readRegularFile(path, limit: maximumFileBytes, what: "audit secret file")
        } catch {
            throw .config(error.message, hint: error.recoveryHint ?? hint)
        }
        try checkPermissions(path, status.permissions)
        let content = bytes[...].droppingOneLineEnding
        guard let value = String(validating: content, as: UTF8.self) else {
            throw .config("the audit secret file \(path) is not UTF-8 text", hint: "run `governance secret generate` to make a new one")
        }
        return try AuditSecret(value: value, source: path)
    }

    /// Refuses a secret file that another user can read, or that anyone but its owner can write.
    static func checkPermissions(_ path: String, _ mode: mode_t, what: String = "audit secret file") throws(GovernanceError) {
        let others: String
        if mode & 0o002 != 0 || mode & 0o020 != 0 {
            others = mode & 0o002 != 0 ? "every user can write it" : "its group can write it"
        } else if mode & 0o004 != 0 {
            others = "every user can read it"
        } else {
            return
        }
        let quoted = FileSystem.shellQuoted(path)
        throw .config("the \(what) \(path) is not private: \(others) (mode \(octal(mode)))",
                      hint: "run `chmod 600 \(quoted)` (or `chmod go-w,o-rwx \(quoted)` to keep the group's read access)")
    }

    static func octal(_ mode: mode_t) -> String {
        var digits = String(mode & 0o7777, radix: 8)
        while digits.count < 4 { digits = "0" + digits }
        return digits
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
