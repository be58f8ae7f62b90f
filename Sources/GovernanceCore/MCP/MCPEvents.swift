/// The audit events of a proxied MCP session. `tool.call` and `tool.result` are the kinds a
/// governed `exec` step writes, so reports count proxied calls like any other.
public enum MCPEvents {
    /// How a proxied call ended, in its `tool.result`.
    public enum Ending: String, Sendable {
        case result, error, cancelled, killed
        case serverCrash = "server_crash"
    }

    /// SHA-256 (hex) of a JSON value's RFC 8785 encoding.
    public static func hash(_ value: JSONValue) -> String { Digest.sha256Hex(JSONWriter.canonical(value)) }

    public static func call(agentID: String, sessionID: SessionID, tool: String, callID: String, argumentsHash: String,
                            requestID: JSONValue) -> AuditEventInput {
        AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.toolCall, inputHash: argumentsHash, metadata: .object([
            ("tool", .string(tool)), ("call_id", .string(callID)), ("transport", .string("mcp")),
            ("arguments_sha256", .string(argumentsHash)), ("request_id", .string(MCPMessage.key(requestID)))]))
    }

    public static func result(agentID: String, sessionID: SessionID, tool: String, callID: String, callSeq: Int64?, requestID: JSONValue,
                              ending: Ending, isError: Bool, resultHash: String?, durationMicroseconds: Int64) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("tool", .string(tool)), ("call_id", .string(callID))]
        if let callSeq { metadata.append(("call_seq", .int64(callSeq))) }
        metadata += [("transport", .string("mcp")), ("request_id", .string(MCPMessage.key(requestID))),
                     ("ended_by", .string(ending.rawValue)), ("is_error", .bool(isError)),
                     ("duration_us", .int64(durationMicroseconds))]
        if let resultHash { metadata.append(("result_sha256", .string(resultHash))) }
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.toolResult, outputHash: resultHash,
                               metadata: .object(metadata))
    }

    /// A line the proxy could not pass on: who sent it, why, its size and hash (never its text).
    public static func rejected(agentID: String, sessionID: SessionID, from side: String, reason: String,
                                bytes: ArraySlice<UInt8>?) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("from", .string(side)), ("reason", .string(String(reason.prefix(512))))]
        if let bytes {
            metadata += [("bytes", .int(bytes.count)), ("sha256", .string(Hex.encode(Digest.sha256(bytes))))]
        } else {
            metadata.append(("bytes_over", .int(MCPMessage.maxBytes)))
        }
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.mcpMessageRejected, metadata: .object(metadata))
    }
}
