/// One line of `audit log --batch`: a JSON object with the fields of `audit log`.
public enum BatchInput {
    /// Values used when a line leaves a field out (from flags and the environment).
    public struct Defaults: Sendable {
        public var sessionID: SessionID?
        public var agentID: String?
        public var kind: String?
        public var model: String?

        public init(sessionID: SessionID? = nil, agentID: String? = nil, kind: String? = nil, model: String? = nil) {
            self.sessionID = sessionID
            self.agentID = agentID
            self.kind = kind
            self.model = model
        }
    }

    /// The keys a line may have. `input` and `output` are texts stored as their SHA-256.
    public static let fields: Set<String> = ["session_id", "agent_id", "kind", "model", "metadata",
                                             "input_hash", "output_hash", "input", "output"]

    /// Decodes and validates one line; the error says what is wrong with it.
    public static func event(fromLine line: ArraySlice<UInt8>, defaults: Defaults) throws -> PendingEvent {
        let value = try JSONParser.parse(bytes: Array(line))
        guard let members = value.objectMembers else { throw GovernanceError.invalid("the line is not a JSON object") }
        if let unknown = members.first(where: { !fields.contains($0.0) }) {
            throw GovernanceError.invalid("unknown field \(quoted(unknown.0, limit: 64)) (fields: \(fields.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            switch value[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw GovernanceError.invalid("\(key) must be a string")
            }
        }
        guard let sessionText = try string("session_id") ?? defaults.sessionID?.value else {
            throw GovernanceError.invalid("missing session_id (or give --session)")
        }
        guard let agent = try string("agent_id") ?? defaults.agentID else { throw GovernanceError.invalid("missing agent_id (or give --agent)") }
        guard let kind = try string("kind") ?? defaults.kind else { throw GovernanceError.invalid("missing kind (or give --kind)") }
        try EventKind.checkLoggable(kind)
        func hash(_ text: String, _ hashKey: String) throws -> String? {
            let plain = try string(text), given = try string(hashKey)
            if plain != nil && given != nil { throw GovernanceError.invalid("give \(text) or \(hashKey), not both") }
            return plain.map(Digest.sha256Hex) ?? given
        }
        let metadata = value["metadata"] ?? .object([])
        let event = AuditEventInput(sessionID: try SessionID.parse(sessionText), agentID: agent, kind: kind,
                                    model: try string("model") ?? defaults.model,
                                    inputHash: try hash("input", "input_hash"), outputHash: try hash("output", "output_hash"),
                                    metadata: metadata == .null ? .object([]) : metadata)
        return try PendingEvent(validating: event)
    }
}
