/// The model and token usage of one LLM call, read from the vendor's response as the agent got it
/// (`cost track-usage --from-response`). Six shapes are read, nothing else:
///
/// - OpenAI Chat Completions: `object: chat.completion` with `usage.prompt_tokens`,
///   `completion_tokens` and `prompt_tokens_details.cached_tokens`; streamed, the chunk that carries
///   a non-null `usage` (sent when the request set `stream_options.include_usage`).
/// - OpenAI Responses: `object: response` with `usage.input_tokens`, `output_tokens` and
///   `input_tokens_details.cached_tokens`; streamed, the `response.completed` event's `response`.
/// - Anthropic Messages: `type: message` with `usage.input_tokens`, `output_tokens`,
///   `cache_read_input_tokens` and `cache_creation_input_tokens`; streamed, `message_start` (model
///   and input usage) then `message_delta` (cumulative `output_tokens`).
///
/// Token counts follow the pricing table's convention: `inputTokens` are the uncached input tokens.
/// OpenAI counts cached tokens inside `prompt_tokens`/`input_tokens`, so they are subtracted.
/// Anthropic cache WRITES (`cache_creation_input_tokens`) are counted as input tokens at the input
/// price (the table has no cache-write price; the vendor bills writes at a premium, so USD is a lower
/// bound for such calls) and reported separately as `cacheWriteTokens`.
///
/// Every input is hostile: a token count must be a whole number from 0 to 2^53−1, keys are unique
/// (the strict JSON parser), reads are bounded, and anything ambiguous (two usage-bearing events,
/// two shapes in one stream, a body or event with both `object` and `type`, a cumulative count
/// that goes down) is refused rather than guessed.
public struct ResponseUsage: Sendable, Equatable {
    public enum Shape: String, Sendable, CaseIterable {
        case openAIChat = "openai-chat-completions"
        case openAIChatStream = "openai-chat-completions-stream"
        case openAIResponses = "openai-responses"
        case openAIResponsesStream = "openai-responses-stream"
        case anthropicMessages = "anthropic-messages"
        case anthropicMessagesStream = "anthropic-messages-stream"
    }

    public var shape: Shape
    public var model: String
    /// Uncached input tokens (including Anthropic cache writes).
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cachedInputTokens: Int64
    /// Anthropic cache writes, already counted in `inputTokens`.
    public var cacheWriteTokens: Int64

    /// A JSON response is read up to 1 MiB; a server-sent-event stream, which repeats the content
    /// in many small events, up to 16 MiB. Past either bound the read stops and exits 2.
    public static let maxJSONBytes = 1 << 20
    public static let maxStreamBytes = 16 << 20
    /// What an audit event can carry as its model (`AuditEventInput.maxModelLength`): a longer name
    /// read from a response would be refused only when the call is tracked.
    static let maxModelBytes = AuditEventInput.maxModelLength

    public static let acceptedShapes = """
        accepted: an OpenAI Chat Completions response (object "chat.completion", or its stream of "chat.completion.chunk" \
        events with stream_options.include_usage), an OpenAI Responses API response (object "response", or its stream \
        ending in "response.completed"), or an Anthropic Messages response (type "message", or its stream of \
        "message_start" and "message_delta")
        """

    /// Reads a file, or stdin for `-`, with the bounds above.
    public static func read(_ path: String) throws(GovernanceError) -> ResponseUsage {
        let what = path == "-" ? "the response" : "the response file"
        return try parse(bytes: try DocumentFile.read(path, what: what, limit: maxStreamBytes, purpose: "a response stream"))
    }

    public static func parse(bytes: [UInt8]) throws(GovernanceError) -> ResponseUsage {
        guard let first = bytes.first(where: { !isSpace($0) }) else { throw .invalid("the response is empty; \(acceptedShapes)") }
        if first == UInt8(ascii: "{") {
            guard bytes.count <= maxJSONBytes else { throw .invalid("the response is over \(maxJSONBytes) bytes (1 MiB), the limit for a JSON response") }
            return try fromJSON(try JSONParser.parse(bytes: bytes))
        }
        return try fromStream(try ServerSentEvents.dataPayloads(bytes))
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    // MARK: JSON

    static func fromJSON(_ value: JSONValue) throws(GovernanceError) -> ResponseUsage {
        try oneShape(value, "the response")
        switch (value["object"]?.stringValue, value["type"]?.stringValue) {
        case ("chat.completion", _): return try openAIChat(value, shape: .openAIChat)
        case ("response", _): return try openAIResponses(value, shape: .openAIResponses)
        case (nil, "message"): return try anthropic(message: value, shape: .anthropicMessages)
        default: throw .invalid("the response is not of a known shape; \(acceptedShapes)")
        }
    }

    /// OpenAI names its shapes with `object`, Anthropic with `type`; a body with both could be
    /// read as either, so it is read as neither.
    static func oneShape(_ value: JSONValue, _ what: String) throws(GovernanceError) {
        if value["object"] != nil, value["type"] != nil {
            throw .invalid("\(what) has both an \"object\" and a \"type\" member, so it could be read as two shapes; refusing to guess")
        }
    }

    static func openAIChat(_ value: JSONValue, shape: Shape) throws(GovernanceError) -> ResponseUsage {
        try openAI(value, shape: shape, input: "prompt_tokens", output: "completion_tokens")
    }

    static func openAIResponses(_ value: JSONValue, shape: Shape) throws(GovernanceError) -> ResponseUsage {
        try openAI(value, shape: shape, input: "input_tokens", output: "output_tokens")
    }

    /// OpenAI's two APIs name the same counts differently: `usage.<input>` with its cached part
    /// in `usage.<input>_details.cached_tokens`, and `usage.<output>`.
    private static func openAI(_ value: JSONValue, shape: Shape, input inputKey: String, output outputKey: String) throws(GovernanceError) -> ResponseUsage {
        let usage = try object(value["usage"], "usage")
        let input = try count(usage[inputKey], "usage.\(inputKey)")
        let cachedPath = "usage.\(inputKey)_details.cached_tokens"
        let cached = try count(usage["\(inputKey)_details"]?["cached_tokens"], cachedPath, optional: true)
        guard cached <= input else { throw .invalid("\(cachedPath) (\(cached)) is more than usage.\(inputKey) (\(input))") }
        return ResponseUsage(shape: shape, model: try model(value["model"]), inputTokens: input - cached,
                             outputTokens: try count(usage[outputKey], "usage.\(outputKey)"),
                             cachedInputTokens: cached, cacheWriteTokens: 0)
    }

    static func anthropic(message: JSONValue, shape: Shape) throws(GovernanceError) -> ResponseUsage {
        let usage = try object(message["usage"], "usage")
        let input = try count(usage["input_tokens"], "usage.input_tokens")
        let writes = try count(usage["cache_creation_input_tokens"], "usage.cache_creation_input_tokens", optional: true)
        let (sum, overflow) = input.addingReportingOverflow(writes)
        guard !overflow else { throw .invalid("the input token count overflows") }
        return ResponseUsage(shape: shape, model: try model(message["model"]), inputTokens: sum,
                             outputTokens: try count(usage["output_tokens"], "usage.output_tokens"),
                             cachedInputTokens: try count(usage["cache_read_input_tokens"], "usage.cache_read_input_tokens", optional: true),
                             cacheWriteTokens: writes)
    }

    // MARK: Streams

    static func fromStream(_ payloads: [[UInt8]]) throws(GovernanceError) -> ResponseUsage {
        var shapes = Set<Shape>()
        var found: ResponseUsage?
        var anthropicStart: ResponseUsage?
        var anthropicOutput: Int64?
        func once(_ usage: ResponseUsage, _ what: String) throws(GovernanceError) {
            guard found == nil else { throw .invalid("the stream has more than one \(what); refusing to guess which one to count") }
            found = usage
        }
        for payload in payloads {
            if payload == Array("[DONE]".utf8) { continue }
            let event = try JSONParser.parse(bytes: payload)
            try oneShape(event, "a stream event")
            if event["object"]?.stringValue == "chat.completion.chunk" {
                shapes.insert(.openAIChatStream)
                if let usage = event["usage"], usage != .null { try once(try openAIChat(event, shape: .openAIChatStream), "chunk with usage") }
                continue
            }
            guard let type = event["type"]?.stringValue else { continue }
            switch type {
            case "response.completed":
                shapes.insert(.openAIResponsesStream)
                guard let response = event["response"] else { throw .invalid("the response.completed event has no response") }
                try once(try openAIResponses(response, shape: .openAIResponsesStream), "response.completed event")
            case let t where t.hasPrefix("response."):
                shapes.insert(.openAIResponsesStream)
            case "message_start":
                shapes.insert(.anthropicMessagesStream)
                guard anthropicStart == nil else { throw .invalid("the stream has more than one message_start event; refusing to guess which one to count") }
                guard let message = event["message"] else { throw .invalid("the message_start event has no message") }
                anthropicStart = try anthropic(message: message, shape: .anthropicMessagesStream)
            case "message_delta":
                shapes.insert(.anthropicMessagesStream)
                let usage = try object(event["usage"], "message_delta usage")
                // Cumulative: the last delta holds the call's output tokens, and no count goes down.
                let output = try count(usage["output_tokens"], "message_delta usage.output_tokens")
                if let previous = anthropicOutput, output < previous {
                    throw .invalid("message_delta usage.output_tokens went down from \(previous) to \(output); the counts are cumulative, so the stream is refused")
                }
                anthropicOutput = output
                // Later API versions also repeat cumulative input counts here; they win when present.
                if var start = anthropicStart {
                    // A count the delta leaves out keeps its earlier value; one it repeats may only grow.
                    func cumulative(_ key: String, _ earlier: Int64) throws(GovernanceError) -> Int64 {
                        guard let value = usage[key], value != .null else { return earlier }
                        let now = try count(value, "message_delta usage.\(key)")
                        guard now >= earlier else {
                            throw .invalid("message_delta usage.\(key) went down from \(earlier) to \(now); the counts are cumulative, so the stream is refused")
                        }
                        return now
                    }
                    let writes = try cumulative("cache_creation_input_tokens", start.cacheWriteTokens)
                    let (sum, overflow) = try cumulative("input_tokens", start.inputTokens - start.cacheWriteTokens).addingReportingOverflow(writes)
                    guard !overflow else { throw .invalid("the input token count overflows") }
                    start.inputTokens = sum
                    start.cacheWriteTokens = writes
                    start.cachedInputTokens = try cumulative("cache_read_input_tokens", start.cachedInputTokens)
                    anthropicStart = start
                }
            default:
                if type.hasPrefix("content_block_") || type == "message_stop" || type == "ping" || type == "error" {
                    shapes.insert(.anthropicMessagesStream)
                }
            }
        }
        guard shapes.count <= 1 else {
            throw .invalid("the stream mixes events of \(shapes.map(\.rawValue).sorted().joined(separator: " and ")); refusing to guess")
        }
        switch shapes.first {
        case .openAIChatStream?:
            guard let found else {
                throw .invalid("the Chat Completions stream has no chunk with usage", hint: "send the request with stream_options: {include_usage: true}")
            }
            return found
        case .openAIResponsesStream?:
            guard let found else { throw .invalid("the Responses API stream has no response.completed event (was it cut off?)") }
            return found
        case .anthropicMessagesStream?:
            guard var start = anthropicStart else { throw .invalid("the Anthropic stream has no message_start event") }
            guard let output = anthropicOutput else { throw .invalid("the Anthropic stream has no message_delta event with the output tokens (was it cut off?)") }
            start.outputTokens = output
            return start
        default:
            throw .invalid("the response is not of a known shape; \(acceptedShapes)")
        }
    }

    // MARK: Fields

    static func object(_ value: JSONValue?, _ name: String) throws(GovernanceError) -> JSONValue {
        guard let value, case .object = value else { throw .invalid("the response has no \(name) object") }
        return value
    }

    /// A token count: a whole number from 0 to 2^53−1 (what a JSON number holds exactly).
    static func count(_ value: JSONValue?, _ name: String, optional: Bool = false) throws(GovernanceError) -> Int64 {
        guard let value, value != .null else {
            if optional { return 0 }
            throw .invalid("the response has no \(name)")
        }
        guard case .number(let n) = value, n >= 0, n <= JSONParser.maxSafeInteger, n == n.rounded(.towardZero) else {
            throw .invalid("\(name) must be a whole number from 0 to \(Int64(JSONParser.maxSafeInteger))")
        }
        return Int64(n)
    }

    static func model(_ value: JSONValue?) throws(GovernanceError) -> String {
        guard let model = value?.stringValue, !model.isEmpty, model.utf8.count <= maxModelBytes else {
            throw .invalid("the response has no model name (a string of 1 to \(maxModelBytes) bytes)")
        }
        return model
    }
}

/// The `data` payloads of a server-sent-event stream (the WHATWG event-stream format): lines end
/// with LF, CRLF or CR; `data:` lines of one event are joined with LF; a blank line ends an event;
/// comments and other fields (`event:`, `id:`, `retry:`) are skipped, since each vendor repeats the
/// event type inside the JSON payload.
enum ServerSentEvents {
    static func dataPayloads(_ bytes: [UInt8]) throws(GovernanceError) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        var current: [UInt8]?
        var start = 0
        var i = 0
        func line(_ l: ArraySlice<UInt8>) {
            if l.isEmpty {
                if let c = current { payloads.append(c) }
                current = nil
                return
            }
            guard l.first != UInt8(ascii: ":") else { return }
            let colon = l.firstIndex(of: UInt8(ascii: ":")) ?? l.endIndex
            guard l[l.startIndex..<colon].elementsEqual("data".utf8) else { return }
            var value = l[colon...].dropFirst()
            if value.first == 0x20 { value = value.dropFirst() }
            if current == nil { current = Array(value) } else { current! += [0x0A] + value }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A || b == 0x0D {
                line(bytes[start..<i])
                if b == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        line(bytes[start..<bytes.count])
        line([])
        guard !payloads.isEmpty else { throw .invalid("the response is neither JSON nor a server-sent-event stream; \(ResponseUsage.acceptedShapes)") }
        return payloads
    }
}
