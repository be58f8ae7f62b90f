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

    /// Limits in UTF-8 bytes.
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
        try Identifier.check(agentID, field: "agent", maxBytes: Self.maxIdentifierLength)
        try Identifier.check(kind, field: "kind", maxBytes: Self.maxIdentifierLength)
        if let model { try Identifier.check(model, field: "model", maxBytes: Self.maxModelLength) }
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

    /// The stored metadata when it is what an append writes: a JSON object in canonical form.
    /// Anything else (a hand-edited row) is reported as a string with `metadata_invalid`, never
    /// spliced into output.
    public var canonicalMetadata: JSONValue? {
        guard let value = try? JSONParser.parse(metadataJSON), case .object = value,
              JSONWriter.canonical(value) == metadataJSON else { return nil }
        return value
    }

    /// The record as a JSON object with stable snake_case names (`audit export`, `--json`).
    /// Every stored field, in storage order, spelt once: its column and its name in JSON output
    /// (`audit export`, `--json`). Selects, inserts and the consistency tests follow this list.
    public static let storedFields: [(column: String, json: String)] = [
        ("id", "id"), ("session_id", "session_id"), ("seq", "seq"), ("agent_id", "agent_id"), ("kind", "kind"),
        ("model", "model"), ("input_hash", "input_hash"), ("output_hash", "output_hash"), ("metadata", "metadata"),
        ("created_at_us", "created_at"), ("prev_hash", "prev_hash"), ("hmac", "hmac"),
    ]

    /// The fields a caller chooses (the rest are assigned when the event enters its chain): what
    /// the spool keeps of an event and what a batch line may carry.
    public static let chosenFields: Set<String> = ["session_id", "agent_id", "kind", "model", "input_hash", "output_hash", "metadata", "created_at"]

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .int64(id)),
            ("session_id", .string(sessionID)),
            ("seq", .int64(seq)),
            ("agent_id", .string(agentID)),
            ("kind", .string(kind)),
            ("model", .optional(model)),
            ("input_hash", .optional(inputHash)),
            ("output_hash", .optional(outputHash)),
        ]
        if let metadata = canonicalMetadata {
            members.append(("metadata", metadata))
        } else {
            members += [("metadata", .string(metadataJSON)), ("metadata_invalid", .bool(true))]
        }
        members += [
            ("created_at", .string(createdAt.iso8601)),
            ("prev_hash", .string(prevHash)),
            ("hmac", .string(hmac)),
        ]
        return .object(members)
    }

    /// `json` as one line of text. Every stored field goes through the JSON writer; metadata is
    /// written as stored, byte for byte, only once it is known to be canonical JSON.
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
        out += ",\"metadata\":"
        if canonicalMetadata != nil {
            out += metadataJSON
        } else {
            JSONWriter.writeString(metadataJSON, into: &out)
            out += ",\"metadata_invalid\":true"
        }
        out += ",\"created_at\":"
        JSONWriter.writeString(createdAt.iso8601, into: &out)
        out += ",\"prev_hash\":"
        JSONWriter.writeString(prevHash, into: &out)
        out += ",\"hmac\":"
        JSONWriter.writeString(hmac, into: &out)
        out += "}"
        return out
    }
}

func writeOptional(_ value: String?, into out: inout String) {
    if let value { JSONWriter.writeString(value, into: &out) } else { out += "null" }
}
