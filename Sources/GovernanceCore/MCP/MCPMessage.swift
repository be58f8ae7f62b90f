/// One JSON-RPC 2.0 message of the MCP stdio transport (one line), as the proxy reads it: only
/// what governance acts on is interpreted; the line's own bytes are what is passed on.
public enum MCPMessage: Sendable {
    case request(id: JSONValue, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    /// A response: `result` or `error` (exactly one).
    case response(id: JSONValue, result: JSONValue?, error: JSONValue?)

    /// The most bytes one message may take (the line without its newline).
    public static let maxBytes = 4 << 20

    /// JSON-RPC 2.0 error codes.
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let invalidParams = -32602
    /// Implementation-defined (server error range): the agent was killed, the server is gone.
    public static let unavailable = -32000

    /// Why a line is not a message the proxy can pass on; `id` when the line named a usable one.
    public struct Rejection: Error, Sendable {
        public var code: Int
        public var reason: String
        public var id: JSONValue?
    }

    /// Reads one line. The project's strict parser is used on purpose: a duplicate key or an
    /// integer beyond 2^53 could be read one way here and another way by the server, so such a
    /// line is refused rather than passed on.
    public static func classify(_ bytes: ArraySlice<UInt8>) -> Result<MCPMessage, Rejection> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes: Array(bytes))
        } catch {
            return .failure(Rejection(code: parseError, reason: error.message, id: nil))
        }
        guard case .object = value else {
            // Batches were removed from MCP (2025-06-18): an array is not a message.
            return .failure(Rejection(code: invalidRequest, reason: "a message is a JSON object (batches are not part of MCP)", id: nil))
        }
        let id = value["id"]
        let usableID: JSONValue? = id.flatMap(isValidID) == true ? id : nil
        guard value["jsonrpc"] == .string("2.0") else {
            return .failure(Rejection(code: invalidRequest, reason: "\"jsonrpc\" is not \"2.0\"", id: usableID))
        }
        if let method = value["method"] {
            guard case .string(let name) = method else {
                return .failure(Rejection(code: invalidRequest, reason: "\"method\" is not a string", id: usableID))
            }
            let params = value["params"]
            if let params, params.objectMembers == nil {
                return .failure(Rejection(code: invalidRequest, reason: "\"params\" is not an object", id: usableID))
            }
            guard let id else { return .success(.notification(method: name, params: params)) }
            guard usableID != nil else {
                return .failure(Rejection(code: invalidRequest, reason: "a request id is a string or an integer, never \(describe(id))", id: nil))
            }
            return .success(.request(id: id, method: name, params: params))
        }
        let result = value["result"], error = value["error"]
        guard let usableID, (result == nil) != (error == nil) else {
            return .failure(Rejection(code: invalidRequest, reason: "neither a request, a notification nor a response", id: usableID))
        }
        return .success(.response(id: usableID, result: result, error: error))
    }

    /// MCP ids: a string or an integer (JSON-RPC's null is not allowed).
    static func isValidID(_ id: JSONValue) -> Bool {
        switch id {
        case .string: return true
        case .number(let n): return n == n.rounded(.towardZero)
        default: return false
        }
    }

    /// What an invalid id is, in a few words: never its text, which may be megabytes long.
    static func describe(_ id: JSONValue) -> String {
        switch id {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return JSONWriter.formatNumber(n)  // at most 24 characters
        case .string: return "a string"
        case .array(let items): return "an array (of \(items.count))"
        case .object(let members): return "an object (of \(members.count) members)"
        }
    }

    /// The key an id is matched by (a string "1" and a number 1 are different ids).
    public static func key(_ id: JSONValue) -> String { JSONWriter.canonical(id) }

    // MARK: messages the proxy writes

    /// Only for a message whose id is known: the reference SDK refuses a response whose id is
    /// JSON-RPC's null.
    public static func errorResponse(id: JSONValue, code: Int, message: String) -> [UInt8] {
        line(.object([("jsonrpc", .string("2.0")), ("id", id),
                      ("error", .object([("code", .int(code)), ("message", .string(message))]))]))
    }

    /// A tool result the model can read: a call governance refused or ended (`isError: true`).
    public static func toolError(id: JSONValue, text: String) -> [UInt8] {
        line(.object([("jsonrpc", .string("2.0")), ("id", id),
                      ("result", .object([("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
                                          ("isError", .bool(true))]))]))
    }

    public static func cancelled(requestID: JSONValue, reason: String) -> [UInt8] {
        line(.object([("jsonrpc", .string("2.0")), ("method", .string("notifications/cancelled")),
                      ("params", .object([("requestId", requestID), ("reason", .string(reason))]))]))
    }

    public static func progress(token: JSONValue, progress: Int, message: String) -> [UInt8] {
        line(.object([("jsonrpc", .string("2.0")), ("method", .string("notifications/progress")),
                      ("params", .object([("progressToken", token), ("progress", .int(progress)), ("message", .string(message))]))]))
    }

    /// A response with its result replaced (a filtered `tools/list`).
    public static func response(id: JSONValue, result: JSONValue) -> [UInt8] {
        line(.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]))
    }

    static func line(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.write(value, canonical: false, into: &out)
        out.append(0x0A)
        return out
    }

    /// The text a refused call carries: the reason, and what the exit code of the same refusal
    /// from the command line would mean.
    public static func refusalText(_ error: GovernanceError) -> String {
        var text = "governance refused this tool call (\(error.kind.rawValue), exit code \(error.exitCode): \(error.kind.meaning)): \(error.message)"
        if let hint = error.recoveryHint { text += "\nhint: \(hint)" }
        return text
    }
}
