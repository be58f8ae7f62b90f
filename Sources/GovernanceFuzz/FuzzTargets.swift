import GovernanceCore

/// The entry points of the coverage-guided fuzz targets (fuzz/, `make fuzz`) and of the test that
/// replays their seeds and the inputs they once broke on (Tests/Fixtures/fuzz-regressions/).
/// Each takes any bytes: a parser may refuse them, but only with a GovernanceError of an expected
/// kind and a short message; what it accepts must keep the target's property. A broken property
/// throws `FuzzFailure` (the fuzz driver then traps, so libFuzzer keeps the input).
public enum FuzzTargets {
    public struct FuzzFailure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Target name (the folder under fuzz/corpus/ and the executable `fuzz-NAME`) and entry point.
    public static let all: [(name: String, run: @Sendable ([UInt8]) throws -> Void)] = [
        ("json", json),
        ("batch-line", batchLine),
        ("policy", policy),
        ("pricing", pricing),
        ("response-usage", responseUsage),
        ("gate-token", gateToken),
        ("api-url", apiURL),
        ("mcp-message", mcpMessage),
    ]

    public static func entryPoint(_ name: String) -> (@Sendable ([UInt8]) throws -> Void)? {
        all.first { $0.name == name }?.run
    }

    /// libFuzzer's `LLVMFuzzerTestOneInput` for target `name`: a broken property traps, so that
    /// libFuzzer saves the input (fuzz/README.md says where to keep it).
    public static func drive(_ name: String, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        guard let run = entryPoint(name) else { fatalError("no fuzz target \(name)") }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do { try run(bytes) } catch { fatalError("fuzz-\(name): \(error)") }
        return 0
    }

    /// A message that quotes input stays short (issue: a 1 MiB number gave a 1 MB message).
    static let maxMessageBytes = 4_096

    /// A refusal is fine when it is of one of `kinds` and its message is bounded.
    static func refusal(_ error: any Error, kinds: Set<GovernanceError.Kind> = [.invalidInput, .usage]) throws {
        guard let error = error as? GovernanceError else { throw FuzzFailure("threw \(error), not a GovernanceError") }
        guard kinds.contains(error.kind) else { throw FuzzFailure("refused with kind \(error.kind.rawValue): \(error.message.prefix(300))") }
        for text in [error.message, error.recoveryHint ?? ""] where text.utf8.count > maxMessageBytes {
            throw FuzzFailure("a message of \(text.utf8.count) bytes: \(text.prefix(200))...")
        }
    }

    // MARK: JSON and RFC 8785

    /// The parser and the canonical writer: what parses, written canonically, parses to the same
    /// value and is written to the same bytes (a fixed point); as metadata, the chain codec's
    /// record bytes agree with the generic writer and give the value back.
    public static func json(_ bytes: [UInt8]) throws {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes: bytes) } catch { return try refusal(error) }
        let canonical = JSONWriter.canonical(value)
        let again: JSONValue
        do { again = try JSONParser.parse(canonical) } catch {
            throw FuzzFailure("the canonical form does not parse: \(error) in \(canonical.prefix(200))")
        }
        guard again == value else { throw FuzzFailure("the canonical form changes the value: \(canonical.prefix(200))") }
        guard JSONWriter.canonical(again) == canonical else { throw FuzzFailure("canonical form is not a fixed point: \(canonical.prefix(200))") }
        guard case .object = value else { return }
        let record = AuditRecord(id: 0, sessionID: "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90", seq: 1, agentID: "fuzz", kind: "fuzz",
                                 model: nil, inputHash: nil, outputHash: nil, metadataJSON: canonical,
                                 createdAt: Timestamp(microseconds: 0), prevHash: String(repeating: "0", count: 64), hmac: "")
        let chained = ChainCodec.canonical(record)
        guard let parsed = try? JSONParser.parse(chained) else { throw FuzzFailure("the record's canonical bytes do not parse") }
        guard JSONWriter.canonical(parsed) == chained else { throw FuzzFailure("the chain codec and the canonical writer disagree") }
        guard parsed["metadata"] == value else { throw FuzzFailure("the record does not give the metadata back") }
    }

    /// RFC 8785 text of a JSON document, for comparing with the chain vectors.
    public static func canonical(_ bytes: [UInt8]) throws -> String {
        JSONWriter.canonical(try JSONParser.parse(bytes: bytes))
    }

    // MARK: audit log --batch

    /// Lines as `audit log --batch` reads them (chunks of the fuzzer's choosing: the first byte
    /// sets the chunk size), each decoded: a refusal is a line's reason; an accepted line is an
    /// event within the format's limits.
    public static func batchLine(_ bytes: [UInt8]) throws {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 64) + 1
        var rest = bytes.dropFirst()[...]
        var reader = LineReader(maxLineBytes: 4_096) {
            guard !rest.isEmpty else { return nil }
            defer { rest = rest.dropFirst(chunk) }
            return Array(rest.prefix(chunk))
        }
        let defaults = BatchInput.Defaults(sessionID: SessionID("5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90"), agentID: "fuzz")
        var lines = 0
        while let line = try reader.nextLine() {
            lines += 1
            guard lines == reader.lineNumber else { throw FuzzFailure("line \(lines) numbered \(reader.lineNumber)") }
            guard case .line(let text) = line else { continue }
            if text.contains(0x0A) { throw FuzzFailure("a line holds a newline") }
            do {
                let event = try BatchInput.event(fromLine: text, defaults: defaults)
                guard event.metadata.utf8.count <= AuditEventInput.maxMetadataBytes else { throw FuzzFailure("metadata over the limit") }
                guard (try? JSONParser.parse(event.metadata)).map({ JSONWriter.canonical($0) == event.metadata }) == true else {
                    throw FuzzFailure("stored metadata is not canonical JSON: \(event.metadata.prefix(200))")
                }
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                try refusal(error)
            }
        }
    }

    // MARK: YAML: policies and prices

    /// A policy file: refused with a short message, or a document whose policies survive being
    /// stored (canonical JSON) and read back.
    public static func policy(_ bytes: [UInt8]) throws {
        let document: PolicyDocument
        do { document = try PolicyParser.parse(bytes, source: "fuzz.yaml") } catch { return try refusal(error) }
        for policy in document.agents {
            let stored = policy.canonicalJSON
            let back: AgentPolicy
            do { back = try PolicyParser.stored(agentID: policy.agentID, canonicalJSON: stored) } catch {
                throw FuzzFailure("an accepted policy does not read back from the store: \(error)")
            }
            guard back.canonicalJSON == stored else { throw FuzzFailure("a stored policy changes when read back") }
        }
    }

    /// A pricing file over the built-in table: refused with a short message, or a table whose
    /// every price costs a call without overflowing silently.
    public static func pricing(_ bytes: [UInt8]) throws {
        let table: PricingTable
        do { table = try PricingTable.builtIn.overriding(file: bytes, source: "fuzz.yaml") } catch { return try refusal(error) }
        for price in table.all {
            do {
                let (usd, found) = try table.cost(model: price.model, inputTokens: 1_000, outputTokens: 1_000, cachedInputTokens: 10)
                guard found != nil, usd.nanos >= 0 else { throw FuzzFailure("\(price.model) costs \(usd.nanos) nano-dollars") }
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                try refusal(error)
            }
        }
    }

    // MARK: LLM responses

    /// A response body, JSON or server-sent events: refused with a short message, or usage with
    /// counts that are whole and not negative.
    public static func responseUsage(_ bytes: [UInt8]) throws {
        let usage: ResponseUsage
        do { usage = try ResponseUsage.parse(bytes: bytes) } catch { return try refusal(error) }
        guard usage.inputTokens >= 0, usage.outputTokens >= 0, usage.cachedInputTokens >= 0, usage.cacheWriteTokens >= 0 else {
            throw FuzzFailure("negative token counts: \(usage)")
        }
        guard !usage.model.isEmpty, usage.model.utf8.count <= AuditEventInput.maxModelLength else {
            throw FuzzFailure("model name of \(usage.model.utf8.count) bytes")
        }
    }

    // MARK: gate tokens

    /// A token is parsed only from its one canonical spelling.
    public static func gateToken(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let token = GateToken.parse(text) else { return }
        guard token.text == text else { throw FuzzFailure("token \(text.debugDescription) parses as \(token.text.debugDescription)") }
        guard GateToken.parse(token.text) == token else { throw FuzzFailure("a token does not parse back") }
    }

    // MARK: MCP message framing

    /// The MCP proxy's reading of a stream (MCPProxy.readMessages): lines as the proxy frames
    /// them, chunks and bound of the fuzzer's choosing (the first byte: 1-4,096-byte chunks, a
    /// bound of 16, 300 or 4,096 bytes or the proxy's own 4 MiB), each line classified.
    /// - Framing: a line is the bytes between newlines without its line ending (one `\r` before
    ///   the `\n`, or at the end of the stream); a line longer than the bound is refused and
    ///   every other is given whole, whatever the chunks.
    /// - A message accepted is written again (JSONWriter) and read again as the same message:
    ///   the same kind, method, id (by its key), params, result and error.
    /// - A refusal's reason is bounded and its id, when it has one, is the line's own, valid id;
    ///   a line with a valid id is never refused without it (the proxy could not answer it), and
    ///   the proxy's answer to it reads as the response to that id.
    public static func mcpMessage(_ bytes: [UInt8]) throws {
        guard let first = bytes.first else { return }
        let chunk = [1, 7, 64, 4_096][Int(first & 3)]
        let bound = [16, 300, 4_096, MCPMessage.maxBytes][Int(first >> 2 & 3)]
        let input = Array(bytes.dropFirst())
        var rest = input[...]
        var reader = LineReader(maxLineBytes: bound) {
            guard !rest.isEmpty else { return nil }
            defer { rest = rest.dropFirst(chunk) }
            return Array(rest.prefix(chunk))
        }
        // The lines as the framing is documented, split independently.
        var expected = input.split(separator: 0x0A, omittingEmptySubsequences: false)
        if expected.last?.isEmpty == true { expected.removeLast() }
        var index = 0
        while let line = try reader.nextLine() {
            guard index < expected.count else { throw FuzzFailure("line \(index + 1) read beyond the \(expected.count) in the input") }
            var want = expected[index]
            if want.last == 0x0D { want = want.dropLast() }
            index += 1
            switch line {
            case .tooLong:
                guard want.count > bound else { throw FuzzFailure("line \(index) of \(want.count) bytes refused under a bound of \(bound)") }
            case .line(let got):
                guard want.count <= bound else { throw FuzzFailure("line \(index) of \(want.count) bytes given under a bound of \(bound)") }
                guard Array(got) == Array(want) else { throw FuzzFailure("line \(index) read as \(got.count) other bytes") }
                if !got.isEmpty { try mcpLine(got) }
            }
        }
        guard index == expected.count else { throw FuzzFailure("\(index) lines read of \(expected.count)") }
    }

    /// One line through `MCPMessage.classify`, and the properties above.
    static func mcpLine(_ line: ArraySlice<UInt8>) throws {
        let parsed = try? JSONParser.parse(bytes: Array(line))
        let lineID = parsed.flatMap { $0.objectMembers != nil ? $0["id"] : nil }
        let validID = lineID.map(isMCPID) ?? false
        switch MCPMessage.classify(line) {
        case .failure(let rejection):
            guard [MCPMessage.parseError, MCPMessage.invalidRequest].contains(rejection.code) else {
                throw FuzzFailure("refused with code \(rejection.code)")
            }
            guard rejection.reason.utf8.count <= maxMessageBytes else {
                throw FuzzFailure("a reason of \(rejection.reason.utf8.count) bytes: \(rejection.reason.prefix(200))...")
            }
            if let id = rejection.id {
                guard validID, let lineID, id == lineID else { throw FuzzFailure("refused with id \(MCPMessage.key(id)), not the line's valid id") }
                let answer = MCPMessage.errorResponse(id: id, code: rejection.code, message: rejection.reason)
                guard answer.last == 0x0A, case .success(.response(let answerID, .none, .some(_))) = MCPMessage.classify(answer.dropLast()),
                      MCPMessage.key(answerID) == MCPMessage.key(id) else {
                    throw FuzzFailure("the answer to a refused message does not read as the response to its id")
                }
            } else if validID {
                throw FuzzFailure("a message with a valid id refused without it: \(rejection.reason.prefix(200))")
            }
        case .success(let message):
            guard let parsed else { throw FuzzFailure("accepted a line the parser refuses") }
            if let id = messageID(message) {
                guard isMCPID(id), id == lineID else { throw FuzzFailure("accepted with id \(MCPMessage.key(id)), not the line's") }
            }
            var again: [UInt8] = []
            JSONWriter.write(parsed, canonical: false, into: &again)
            guard case .success(let reread) = MCPMessage.classify(again[...]) else {
                throw FuzzFailure("an accepted message, written again, is refused: \(String(decoding: again.prefix(200), as: UTF8.self))")
            }
            guard same(message, reread) else { throw FuzzFailure("an accepted message, written again, reads differently") }
        }
    }

    /// MCP ids: a string or an integer.
    static func isMCPID(_ id: JSONValue) -> Bool {
        switch id {
        case .string: return true
        case .number(let n): return n.isFinite && n == n.rounded(.towardZero)
        default: return false
        }
    }

    static func messageID(_ message: MCPMessage) -> JSONValue? {
        switch message {
        case .request(let id, _, _), .response(let id, _, _): return id
        case .notification: return nil
        }
    }

    static func same(_ a: MCPMessage, _ b: MCPMessage) -> Bool {
        switch (a, b) {
        case let (.request(i, m, p), .request(j, n, q)): return MCPMessage.key(i) == MCPMessage.key(j) && m == n && p == q
        case let (.notification(m, p), .notification(n, q)): return m == n && p == q
        case let (.response(i, r, e), .response(j, s, f)): return MCPMessage.key(i) == MCPMessage.key(j) && r == s && e == f
        default: return false
        }
    }

    // MARK: API URLs

    /// Each pattern, and what a normalised path inside it looks like.
    static let patterns: [(pattern: String, inside: @Sendable ([String]) -> Bool)] = [
        ("GET https://api.example.com/v1/*", { $0.first == "v1" }),
        ("GET https://api.example.com/v1/items/*/read", { $0.count == 4 && $0[0] == "v1" && $0[1] == "items" && $0[3] == "read" }),
    ]

    /// No path a pattern allows may mean, to a server that decodes and normalises it, a path
    /// outside the pattern. The bytes are the request's path (and query); the property is checked
    /// against an independent normaliser that decodes percent escapes until none are left, reads
    /// overlong UTF-8 as what it spells, drops `;parameters` and resolves dot segments. A path
    /// that normaliser cannot read (a malformed escape, NUL) must be denied.
    public static func apiURL(_ bytes: [UInt8]) throws {
        var path = String(decoding: bytes, as: UTF8.self)
        if !path.hasPrefix("/") { path = "/" + path }
        for (text, inside) in patterns {
            let pattern = try APIPattern.parse(text)
            for method in ["GET", "get"] {
                let request: APIRequest
                do { request = try APIRequest.parse("\(method) https://api.example.com\(path)") } catch { try refusal(error); continue }
                guard pattern.matches(request) else { continue }
                guard let segments = normalisedPath(path) else {
                    throw FuzzFailure("\(text) allows \(path.debugDescription), which a server may read differently")
                }
                guard inside(segments) else {
                    throw FuzzFailure("\(text) allows \(path.debugDescription), which normalises to /\(segments.joined(separator: "/"))")
                }
            }
        }
    }

    /// The path's segments as the most lenient server would read them; nil when it cannot be read
    /// one way only.
    static func normalisedPath(_ path: String) -> [String]? {
        var bytes = Array(path.utf8)
        if let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { bytes = Array(bytes[..<end]) }
        // Decode until no escape is left (a server or a proxy may decode once more than we do).
        for _ in 0..<8 {
            guard bytes.contains(UInt8(ascii: "%")) else { break }
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "%") {
                    guard i + 2 < bytes.count, let high = Hex.digitValue(bytes[i + 1]), let low = Hex.digitValue(bytes[i + 2]) else { return nil }
                    out.append(high << 4 | low)
                    i += 3
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            bytes = out
        }
        if bytes.contains(UInt8(ascii: "%")) || bytes.contains(0) { return nil }
        // Overlong two-byte forms of ASCII (0xC0/0xC1 lead bytes) read as the ASCII they spell.
        var plain: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if (bytes[i] == 0xC0 || bytes[i] == 0xC1), i + 1 < bytes.count, bytes[i + 1] & 0xC0 == 0x80 {
                plain.append((bytes[i] & 0x1F) << 6 | (bytes[i + 1] & 0x3F))
                i += 2
            } else {
                plain.append(bytes[i])
                i += 1
            }
        }
        if plain.contains(0) { return nil }
        // Backslashes are slashes to some servers; `;...` is a parameter to others.
        let text = String(decoding: plain.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
        var out: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: true) {
            let segment = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            switch segment {
            case "", ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default: out.append(segment)
            }
        }
        return out
    }
}
