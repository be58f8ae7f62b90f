/// What a caller asks to log: the chain fields it chooses. `seq`, `created_at`, `prev_hash` and
/// `hmac` are assigned by the append.
public struct AuditEventInput: Sendable {
    public var sessionID: SessionID
    public var agentID: String
    public var kind: String
    public var model: String?
    public var inputHash: String?
    public var outputHash: String?
    /// A JSON object; `{}` when there is none.
    public var metadata: JSONValue

    public static let maxIdentifierLength = 256
    public static let maxModelLength = 128
    public static let maxMetadataBytes = 64 * 1024

    public init(sessionID: SessionID, agentID: String, kind: String, model: String? = nil,
                inputHash: String? = nil, outputHash: String? = nil, metadata: JSONValue = .object([])) {
        self.sessionID = sessionID
        self.agentID = agentID
        self.kind = kind
        self.model = model
        self.inputHash = inputHash
        self.outputHash = outputHash
        self.metadata = metadata
    }

    /// Checks the limits of format v1 and returns the metadata's canonical text.
    public func validated() throws -> String {
        try Self.checkIdentifier(agentID, name: "agent")
        try Self.checkIdentifier(kind, name: "kind")
        if let model {
            guard !model.isEmpty, model.count <= Self.maxModelLength else {
                throw GovernanceError.invalid("model must be 1 to \(Self.maxModelLength) characters (got \(model.count))")
            }
        }
        try Self.checkHash(inputHash, name: "input hash")
        try Self.checkHash(outputHash, name: "output hash")
        guard case .object = metadata else {
            throw GovernanceError.invalid("metadata must be a JSON object", hint: "for example --metadata '{\"tokens\": 150}'")
        }
        let canonical = JSONWriter.canonical(metadata)
        guard canonical.utf8.count <= Self.maxMetadataBytes else {
            throw GovernanceError.invalid("metadata is \(canonical.utf8.count) bytes encoded; the limit is \(Self.maxMetadataBytes) (64 KiB)",
                                          hint: "store large payloads elsewhere and log their SHA-256 with --input-hash/--output-hash")
        }
        return canonical
    }

    static func checkIdentifier(_ value: String, name: String) throws {
        guard !value.isEmpty else {
            throw GovernanceError.invalid("\(name) must not be empty")
        }
        guard value.count <= maxIdentifierLength else {
            throw GovernanceError.invalid("\(name) is \(value.count) characters; the limit is \(maxIdentifierLength)")
        }
    }

    static func checkHash(_ value: String?, name: String) throws {
        guard let value else { return }
        guard Hex.isLowercaseHex(value, length: 64) else {
            throw GovernanceError.invalid("\(name) must be 64 lowercase hexadecimal characters (a SHA-256)",
                                          hint: "use --input/--output to have governance hash the text for you")
        }
    }
}

/// One stored link of a session's chain: every field that is stored.
public struct AuditRecord: Sendable, Equatable {
    public var id: Int64
    public var sessionID: String
    public var seq: Int64
    public var agentID: String
    public var kind: String
    public var model: String?
    public var inputHash: String?
    public var outputHash: String?
    /// The metadata's RFC 8785 text, as hashed.
    public var metadataJSON: String
    public var createdAt: Timestamp
    public var prevHash: String
    public var hmac: String

    public init(id: Int64, sessionID: String, seq: Int64, agentID: String, kind: String, model: String?,
                inputHash: String?, outputHash: String?, metadataJSON: String, createdAt: Timestamp,
                prevHash: String, hmac: String) {
        self.id = id
        self.sessionID = sessionID
        self.seq = seq
        self.agentID = agentID
        self.kind = kind
        self.model = model
        self.inputHash = inputHash
        self.outputHash = outputHash
        self.metadataJSON = metadataJSON
        self.createdAt = createdAt
        self.prevHash = prevHash
        self.hmac = hmac
    }

    /// The record as a JSON object with stable snake_case names (`audit export`, `--json`).
    public var json: JSONValue {
        let metadata = (try? JSONParser.parse(metadataJSON)) ?? .string(metadataJSON)
        return .object([
            ("id", .int64(id)),
            ("session_id", .string(sessionID)),
            ("seq", .int64(seq)),
            ("agent_id", .string(agentID)),
            ("kind", .string(kind)),
            ("model", .optional(model)),
            ("input_hash", .optional(inputHash)),
            ("output_hash", .optional(outputHash)),
            ("metadata", metadata),
            ("created_at", .string(createdAt.iso8601)),
            ("prev_hash", .string(prevHash)),
            ("hmac", .string(hmac)),
        ])
    }

    /// `json` as one line of text; metadata is spliced in as stored, byte for byte.
    public var jsonLine: String {
        var out = "{\"id\":\(id),\"session_id\":"
        JSONWriter.writeString(sessionID, into: &out)
        out += ",\"seq\":\(seq),\"agent_id\":"
        JSONWriter.writeString(agentID, into: &out)
        out += ",\"kind\":"
        JSONWriter.writeString(kind, into: &out)
        out += ",\"model\":"
        writeOptional(model, into: &out)
        out += ",\"input_hash\":"
        writeOptional(inputHash, into: &out)
        out += ",\"output_hash\":"
        writeOptional(outputHash, into: &out)
        out += ",\"metadata\":" + metadataJSON
        out += ",\"created_at\":\"" + createdAt.iso8601 + "\",\"prev_hash\":\"" + prevHash + "\",\"hmac\":\"" + hmac + "\"}"
        return out
    }
}

func writeOptional(_ value: String?, into out: inout String) {
    if let value { JSONWriter.writeString(value, into: &out) } else { out += "null" }
}
