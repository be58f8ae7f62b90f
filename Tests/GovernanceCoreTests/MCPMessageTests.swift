import GovernanceCore
import Testing

/// How the MCP proxy reads one line: what it acts on, what it refuses, and what it writes back.
@Suite struct MCPMessageTests {
    static func classify(_ text: String) -> Result<MCPMessage, MCPMessage.Rejection> {
        MCPMessage.classify(Array(text.utf8)[...])
    }

    @Test func requestsNotificationsAndResponsesAreToldApart() throws {
        guard case .success(.request(let id, "tools/call", let params)) = Self.classify(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}"#) else {
            Issue.record("not a request"); return
        }
        #expect(id == .number(7) && params?["name"] == .string("echo"))
        guard case .success(.notification("notifications/tools/list_changed", nil)) = Self.classify(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#) else {
            Issue.record("not a notification"); return
        }
        guard case .success(.response(.string("a"), let result, nil)) = Self.classify(#"{"jsonrpc":"2.0","id":"a","result":{}}"#) else {
            Issue.record("not a response"); return
        }
        #expect(result == .object([]))
        // "1" and 1 are different ids.
        #expect(MCPMessage.key(.string("1")) != MCPMessage.key(.number(1)))
    }

    @Test func whatCannotBeReadUnambiguouslyIsRefused() {
        let cases: [(String, Int, Bool)] = [
            ("{not json", MCPMessage.parseError, false),
            (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, MCPMessage.invalidRequest, false),
            (#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, MCPMessage.invalidRequest, true),
            (#"{"jsonrpc":"2.0","id":1,"method":7}"#, MCPMessage.invalidRequest, true),
            (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, MCPMessage.invalidRequest, false),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, MCPMessage.invalidRequest, false),
            (#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#, MCPMessage.invalidRequest, true),
            (#"{"jsonrpc":"2.0","id":1,"result":{},"error":{}}"#, MCPMessage.invalidRequest, true),
            // A duplicate key could name one tool to the proxy and another to the server.
            (#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}"#, MCPMessage.parseError, false),
            (#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}"#, MCPMessage.parseError, false),
        ]
        for (text, code, hasID) in cases {
            guard case .failure(let rejection) = Self.classify(text) else {
                Issue.record("accepted: \(text)"); continue
            }
            #expect(rejection.code == code, "\(text)")
            #expect((rejection.id != nil) == hasID, "\(text)")
        }
    }

    /// An invalid id is described, never quoted: an id may be megabytes of hostile text (terminal
    /// escapes included) that would otherwise travel into the error the proxy writes and its log.
    @Test func aRefusalNamesAnInvalidIDWithoutQuotingIt() {
        // JSON escapes: the parsed id holds the raw ESC and BEL.
        let hostile = #"\u001b]0;pwned\u0007"# + String(repeating: "z", count: 100_000)
        let cases: [(String, String)] = [
            (#"{"jsonrpc":"2.0","id":{"k":"\#(hostile)"},"method":"ping"}"#, "an object (of 1 members)"),
            (#"{"jsonrpc":"2.0","id":["\#(hostile)","b"],"method":"ping"}"#, "an array (of 2)"),
            (#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, "true"),
            (#"{"jsonrpc":"2.0","id":2.5,"method":"ping"}"#, "2.5"),
        ]
        for (text, description) in cases {
            guard case .failure(let rejection) = Self.classify(text) else { Issue.record("accepted"); continue }
            #expect(rejection.id == nil)
            #expect(rejection.reason.hasSuffix(description), "\(rejection.reason)")
            #expect(!rejection.reason.contains("pwned") && !rejection.reason.contains("zzz"))
            #expect(rejection.reason.utf8.count < 200)
        }
    }

    @Test func whatTheProxyWritesIsOneLineOfValidJSONRPC() throws {
        let refusal = MCPMessage.toolError(id: .string("x"), text: "no\nway")
        #expect(refusal.last == 0x0A && refusal.dropLast().firstIndex(of: 0x0A) == nil)
        let parsed = try JSONParser.parse(bytes: Array(refusal.dropLast()))
        #expect(parsed["result"]?["isError"] == .bool(true))
        #expect(parsed["result"]?["content"]?.arrayValue?.first?["text"] == .string("no\nway"))
        let text = MCPMessage.refusalText(GovernanceError(.scopeViolation, "tool \"x\" is not allowed", hint: "add it"))
        #expect(text.contains("scope_violation, exit code 10") && text.hasSuffix("hint: add it"))
    }
}
