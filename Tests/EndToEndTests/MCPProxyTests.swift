import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `governance mcp proxy` between the reference Python MCP SDK (`mcp` from PyPI, installed by
/// `make test`) as the agent's client and a real server written with it
/// (Tests/Fixtures/mcp/server.py), on both stores. The chain verifies after every scenario.
@Suite struct MCPProxyTests {
    static let policy = """
    agents:
      bot:
        scope:
          allowed_tools: [echo, slow, crash, ask_model, garbage, add_tool, secret_tool, late_allowed, charge]
          hidden_tools: [secret_tool]
        contracts:
          charge:
            pre:
              - {check: hitl_approved, message: "Charges need approval", params: {kind: charge.customer}}
          late_allowed:
            post:
              - {check: custom, message: "Late results are withheld", params: {command: [/bin/false]}}
    """

    static let fixtures = packageRoot() + "/Tests/Fixtures/mcp"

    static func python() throws -> String {
        let python = try #require(findInPath("python3"), "python3 is needed for the MCP tests (`make test` installs the mcp package)")
        let probe = try runProcess(python, ["-c", "import mcp"], environment: ProcessInfo.processInfo.environment)
        #expect(probe.status == 0, "the mcp Python package is missing: `make test` installs it (scripts/deps.sh --python)")
        return python
    }

    /// Runs a client script of the fixtures for `scenario`; its JSON document and its stderr
    /// (where the proxy's own stderr goes).
    static func client(_ gov: Governance, _ script: String, _ scenario: String?, session: String,
                       extra: [String: String] = [:]) throws -> (JSONValue, String) {
        var env = gov.environment
        env["GOVERNANCE_BIN"] = governanceBinary()
        env["MCP_AGENT"] = "bot"
        env["MCP_SESSION"] = session
        env["MCP_FIXTURE_DIR"] = fixtures
        for (key, value) in extra { env[key] = value }
        let r = try runProcess(try python(), [fixtures + "/" + script] + (scenario.map { [$0] } ?? []), environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let document = try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        return (document, r.stderr)
    }

    static func events(_ gov: Governance, _ session: String) throws -> [JSONValue] {
        try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    static func kinds(_ events: [JSONValue]) -> [String] { events.compactMap { $0["kind"]?.stringValue } }

    static func verified(_ gov: Governance) throws {
        let verify = try gov.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test(arguments: Backend.allCases)
    func listsFilteredCallsGovernedAndTheRestPassedThrough(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let (out, stderr) = try Self.client(gov, "client.py", "basic", session: session)
        #expect(out["protocol"] == .string("2025-11-25"))
        // Neither the hidden tool nor the one the policy does not allow is ever shown.
        #expect(out["tools"] == .array(["add_tool", "ask_model", "charge", "crash", "echo", "garbage", "slow"].map(JSONValue.string)))
        #expect(out["echo"]?["is_error"] == .bool(false) && out["echo"]?["text"] == .string("echo: hi"))
        for refused in ["not_allowed", "hidden"] {
            #expect(out[refused]?["is_error"] == .bool(true))
            #expect(out[refused]?["text"]?.stringValue?.contains("scope_violation, exit code 10") == true, "\(out)")
        }
        // A server-initiated sampling request reached the client and its answer the server.
        #expect(out["sampling"]?["text"] == .string("model said: forty-two"))
        #expect(out["ping"] == .bool(true))
        // list_changed passed through, and the next list was filtered again.
        #expect(out["tools_after_change"] == .array(["add_tool", "ask_model", "charge", "crash", "echo", "garbage", "late_allowed", "slow"].map(JSONValue.string)))
        // A line of garbage from the server is refused, said and audited; the session goes on.
        #expect(out["server_garbage"]?["text"] == .string("after garbage"))
        #expect(stderr.contains("refused a message from the MCP server: invalid JSON"), "\(stderr)")

        let events = try Self.events(gov, session)
        let calls = events.filter { $0["kind"] == .string(EventKind.toolCall) }
        let results = events.filter { $0["kind"] == .string(EventKind.toolResult) }
        #expect(calls.compactMap { $0["metadata"]?["tool"]?.stringValue } == ["echo", "ask_model", "add_tool", "garbage", "late_allowed"])
        // A failed post-condition withholds the result: the client gets the refusal instead.
        #expect(out["post_violation"]?["is_error"] == .bool(true))
        #expect(out["post_violation"]?["text"]?.stringValue?.contains("contract_violation, exit code 14") == true, "\(out)")
        #expect(events.contains { $0["kind"] == .string(EventKind.contractPostViolation) && $0["metadata"]?["tool"] == .string("late_allowed") })
        #expect(results.count == calls.count)
        let echo = try #require(calls.first)
        #expect(echo["metadata"]?["arguments_sha256"] == .string(Digest.sha256Hex(#"{"text":"hi"}"#)))
        #expect(echo["metadata"]?["request_id"]?.stringValue != nil)
        let echoResult = try #require(results.first)
        #expect(echoResult["metadata"]?["call_seq"] == echo["seq"])
        #expect(echoResult["metadata"]?["ended_by"] == .string("result"))
        #expect(echoResult["metadata"]?["is_error"] == .bool(false))
        #expect(echoResult["metadata"]?["result_sha256"]?.stringValue?.count == 64)
        let violations = events.filter { $0["kind"] == .string(EventKind.scopeViolation) }
        #expect(violations.compactMap { $0["metadata"]?["tool"]?.stringValue } == ["not_allowed", "secret_tool"])
        #expect(violations.allSatisfy { $0["metadata"]?["action"] == .string("mcp.tools_call") })
        let rejected = try #require(events.first { $0["kind"] == .string(EventKind.mcpMessageRejected) })
        #expect(rejected["metadata"]?["from"] == .string("server"))
        try Self.verified(gov)
        // The proxied calls count like any other governed call.
        let report = try gov.json(["compliance", "report", "--kind", "article12", "--no-record"])
        let actions = report["sections"]?.arrayValue?.compactMap { $0["data"]?["actions"] } ?? []
        #expect(!actions.isEmpty && actions.allSatisfy { $0 == .number(Double(calls.count)) }, "\(actions)")
    }

    /// A priced tool's calls are charged when they are passed on, and refused (an `isError`
    /// result naming the cap) once the next price would take the cap past its limit.
    @Test(arguments: Backend.allCases)
    func aPricedToolIsRefusedOnceItsPriceWouldPassTheCap(backend: Backend) throws {
        let gov = try Governance.applying("""
            agents:
              bot:
                scope: {allowed_tools: [echo, slow]}
                budget: {per_session_usd: 0.05, tool_prices: {echo: 0.02}}
            """, backend: backend)
        let session = try SessionID.random().value
        let (out, _) = try Self.client(gov, "client.py", "priced", session: session)
        let calls = try #require(out["calls"]?.arrayValue)
        #expect(calls.count == 3)
        #expect(calls.prefix(2).allSatisfy { $0["is_error"] == .bool(false) }, "\(calls)")
        #expect(calls.prefix(2).map { $0["text"] } == [.string("echo: 0"), .string("echo: 1")])
        #expect(calls.last?["is_error"] == .bool(true))
        let refusal = calls.last?["text"]?.stringValue ?? ""
        #expect(refusal.contains("budget_exceeded, exit code 12") && refusal.contains("per_session_usd"), "\(refusal)")
        #expect(out["unpriced"]?["is_error"] == .bool(false) && out["unpriced"]?["text"] == .string("slept"), "an unpriced tool costs nothing")

        let events = try Self.events(gov, session)
        #expect(events.filter { $0["kind"] == .string(EventKind.toolCall) }.compactMap { $0["metadata"]?["tool"]?.stringValue } == ["echo", "echo", "slow"],
                "the refused call never reached the server")
        let charges = events.filter { $0["kind"] == .string(EventKind.costTracked) }
        #expect(charges.count == 2 && charges.allSatisfy { $0["metadata"]?["tool"] == .string("echo") }, "\(charges)")
        #expect(charges.allSatisfy { $0["metadata"]?[CostLedger.metadataKey]?["usd"] == .string("0.02") })
        #expect(events.contains { $0["kind"] == .string(EventKind.budgetExceeded) && $0["metadata"]?["action"] == .string("mcp.tools_call") })
        let snapshot = try gov.json(["cost", "snapshot", "-a", "bot", "-s", session])
        #expect(snapshot["session_usd_used"] == .string("0.04") && snapshot["session_usd_reserved"] == .string("0"), "\(snapshot)")
        try Self.verified(gov)
        let check = try gov.run(["db", "check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test(arguments: Backend.allCases)
    func hostileInputFromTheClientNeverCrashesTheProxy(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let (out, _) = try Self.client(gov, "raw_client.py", nil, session: session)
        let probes = ["malformed", "batch", "no_method", "duplicate_key", "control_char_name", "oversized", "hidden", "null_id", "after"]
        for probe in probes { #expect(out[probe]?["alive"] == .bool(true), "the proxy answered the next ping after \(probe)") }
        // No id could be read: nothing to answer (the reference SDK drops a connection on a null id).
        for unanswered in ["malformed", "batch", "duplicate_key", "oversized", "null_id"] { #expect(out[unanswered]?["answer"] == .null, "\(unanswered)") }
        #expect(out["no_method"]?["answer"]?["error"]?["code"] == .number(-32600))
        #expect(out["control_char_name"]?["answer"]?["error"]?["code"] == .number(-32602))
        #expect(out["hidden"]?["answer"]?["result"]?["isError"] == .bool(true))
        #expect(out["after"]?["answer"]?["result"]?["isError"] == .bool(false))
        #expect(out["status"] == .number(0))
        #expect(out["stderr"]?.stringValue?.contains("refused a message from the client") == true)

        let events = try Self.events(gov, session)
        let rejected = events.filter { $0["kind"] == .string(EventKind.mcpMessageRejected) }
        // malformed, batch, no method, duplicate key, control character, oversized, null id.
        #expect(rejected.count == 7, "\(Self.kinds(events))")
        #expect(rejected.allSatisfy { $0["metadata"]?["from"] == .string("client") })
        #expect(rejected.contains { $0["metadata"]?["bytes_over"] == .number(Double(MCPMessage.maxBytes)) })
        // Only the one valid allowed call reached the server.
        #expect(events.filter { $0["kind"] == .string(EventKind.toolCall) }.count == 1)
        try Self.verified(gov)
    }

    /// The approvals a call asks for first are learned from the stored row as written; a row
    /// edited by hand (its approval and its post-condition taken out, or an approval put in)
    /// never gets a call passed on: the check reads the row signature-checked and refuses it.
    @Test(arguments: Backend.allCases)
    func aHandEditedPolicyGetsEveryCallRefusedNotPassedOn(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let raw = try #require(gov.database).rawConnection()
        let stored = try #require(try raw.queryFirst("SELECT policy FROM governance_policies WHERE agent_id = 'bot'")?.text(0))
        var policy = try JSONParser.parse(stored)
        let calls = #"[["charge", {"amount": 5}], ["late_allowed", {}], ["echo", {"text": "x"}]]"#
        for edit in ["contracts removed", "an approval for echo added"] {
            let members = policy.objectMembers ?? []
            if edit == "contracts removed" {
                policy = .object(members.filter { $0.0 != "contracts" })
            } else {
                let approval = JSONValue.object([("check", .string("hitl_approved")), ("message", .string("m")),
                                                 ("params", .object([("kind", .string("echo.ok"))]))])
                policy = .object(members + [("contracts", .object([("echo", .object([("pre", .array([approval]))]))]))])
            }
            try raw.execute("UPDATE governance_policies SET policy = ? WHERE agent_id = 'bot'", [.text(JSONWriter.canonical(policy))])
            let session = try SessionID.random().value
            let (out, _) = try Self.client(gov, "raw_client.py", "calls", session: session, extra: ["MCP_CALLS": calls])
            for tool in ["charge", "late_allowed", "echo"] {
                #expect(out[tool]?["result"]?["isError"] == .bool(true), "\(edit): \(tool): \(out)")
                #expect(out[tool]?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("exit code 20") == true, "\(edit): \(tool): \(out)")
            }
            let events = try Self.events(gov, session)
            #expect(!events.contains { $0["kind"] == .string(EventKind.toolCall) }, "\(edit): nothing was passed on")
            let requests = try gov.run(["--json", "gates", "list"])
            #expect(requests.status == 0, "\(requests.stderr)")
            #expect(!requests.stdout.contains("echo.ok"), "\(edit): no approval was asked for")
        }
    }

    @Test(arguments: Backend.allCases)
    func aKillCancelsTheCallInFlightStopsTheServerAndRefusesLaterCalls(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let killArgs = try gov.asOperator(["presence", "kill", "bot", "--reason", "mid-session test", "--by", "dave"])
        let kill = JSONWriter.ordered(.array(killArgs.map(JSONValue.string)))
        let (out, stderr) = try Self.client(gov, "client.py", "kill", session: session,
                                            extra: ["MCP_KILL_ARGS": kill, "MCP_MARKER": gov.home + "/slow-started"])
        #expect(out["kill_status"] == .number(0))
        #expect(out["in_flight"]?["is_error"] == .bool(true))
        #expect(out["in_flight"]?["text"]?.stringValue?.contains("agent_killed, exit code 15") == true, "\(out)")
        #expect(out["later"]?["text"]?.stringValue?.contains("agent_killed, exit code 15") == true, "\(out)")
        #expect(out["server_alive"] == nil, "the server was stopped within the grace period")
        if case .number(let seconds)? = out["server_stopped_seconds"] { #expect(seconds < 4, "kill grace is 2 s") }
        #expect(stderr.contains("was killed by an operator; the MCP server was stopped"), "\(stderr)")

        let events = try Self.events(gov, session)
        let result = try #require(events.first { $0["kind"] == .string(EventKind.toolResult) })
        #expect(result["metadata"]?["ended_by"] == .string("killed"))
        #expect(result["metadata"]?["tool"] == .string("slow"))
        #expect(events.contains { $0["kind"] == .string(EventKind.killEnforced) && $0["metadata"]?["tool"] == .string("echo") })
        #expect(events.filter { $0["kind"] == .string(EventKind.toolCall) }.count == 1, "the later call never reached the server")
        try Self.verified(gov)
    }

    @Test(arguments: Backend.allCases)
    func aCallThatNeedsApprovalIsHeldUntilAnOperatorDecides(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let decide = try gov.asOperator(["gates", "grant", "REQUEST", "--by", "dave"])
        let (out, stderr) = try Self.client(gov, "client.py", "approval", session: session,
                                            extra: ["MCP_DECIDE_ARGS": JSONWriter.ordered(.array(decide.map(JSONValue.string)))])
        #expect(out["grant_held"] == .bool(true) && out["deny_held"] == .bool(true), "held until decided: \(out)")
        #expect(out["grant_status"] == .number(0) && out["deny_status"] == .number(0))
        #expect(out["grant"]?["is_error"] == .bool(false) && out["grant"]?["text"] == .string("charged 10"))
        #expect(out["deny"]?["is_error"] == .bool(true))
        #expect(out["deny"]?["text"]?.stringValue?.contains("approval_denied, exit code 16") == true, "\(out)")
        if case .number(let progress)? = out["progress"] { #expect(progress >= 1, "progress notifications while held") } else { Issue.record("no progress count") }
        #expect(stderr.contains("needs approval"), "\(stderr)")

        let events = try Self.events(gov, session)
        let kinds = Self.kinds(events)
        #expect(kinds.filter { $0 == EventKind.gateRequested }.count == 2)
        #expect(kinds.contains(EventKind.contractApprovalUsed))
        // The operator was shown the call itself: the tool and its canonical arguments.
        guard case .array(let requests)? = try gov.json(["gates", "list"])["requests"] else { Issue.record("no requests listed"); return }
        #expect(requests.count == 2 && requests.allSatisfy { $0["payload"]?["governed_step"]?["tool"] == .string("charge") })
        #expect(requests.allSatisfy { r in
            if case .array(let argv)? = r["payload"]?["governed_step"]?["argv"], argv.count == 1, let text = argv[0].stringValue {
                return (try? JSONParser.parse(text)) != nil
            }
            return false
        }, "\(requests)")
        // Only the granted call reached the server.
        let calls = events.filter { $0["kind"] == .string(EventKind.toolCall) }
        #expect(calls.count == 1 && calls.first?["metadata"]?["tool"] == .string("charge"))
        try Self.verified(gov)
    }

    @Test(arguments: Backend.allCases)
    func aServerCrashAnswersTheCallsInFlightAndEndsTheProxy(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let (out, stderr) = try Self.client(gov, "client.py", "crash", session: session)
        #expect(out["in_flight"]?["is_error"] == .bool(true), "\(out)")
        #expect(out["in_flight"]?["text"]?.stringValue?.contains("ended before it answered") == true)
        #expect(stderr.contains("the MCP server exited with status 3 while the client was connected"), "\(stderr)")
        let results = try Self.events(gov, session).filter { $0["kind"] == .string(EventKind.toolResult) }
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0["metadata"]?["ended_by"] == .string("server_crash") && $0["metadata"]?["is_error"] == .bool(true) })
        try Self.verified(gov)
    }

    @Test(arguments: Backend.allCases)
    func sigtermStopsTheServerAndTheProxyExitsWithItsStatus(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let marker = gov.home + "/server-pid"
        let proxy = try SpawnedProcess(governanceBinary(), ["mcp", "proxy", "-a", "bot", "--", "/bin/sh", "-c", "echo $$ > \"$0\"; exec sleep 600", marker],
                                       environment: gov.environment)
        #expect(waitUntil(10) { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let pid = try #require(Int32(((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        proxy.signal(SIGTERM)
        let r = proxy.finish()
        #expect(r.status == 128 + SIGTERM, "\(r.stderr)")
        #expect(r.stderr.contains("was ended by signal 15"), "\(r.stderr)")
        #expect(kill(pid, 0) != 0, "the server is gone")
    }

    @Test(arguments: Backend.allCases)
    func aKilledAgentsRequestsAreAnsweredNotLeftHanging(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "before the session", "--by", "dave"]).status == 0)
        let proxy = try SpawnedProcess(governanceBinary(), ["mcp", "proxy", "-a", "bot", "--kill-grace", "1", "--", try Self.python(), Self.fixtures + "/server.py"],
                                       environment: gov.environment)
        let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        let call = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}"#
        proxy.feed(initialize + "\n")
        Thread.sleep(forTimeInterval: 1)
        proxy.send(call + "\n")
        let r = proxy.finish()
        #expect(r.status == 15, "\(r.stderr)")
        let answers = try r.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        // Whether the server saw it or not, the initialize is answered; the call is refused.
        #expect(answers.contains { $0["id"] == .number(1) }, "\(r.stdout)")
        let refused = try #require(answers.first { $0["id"] == .number(2) })
        #expect(refused["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("agent_killed, exit code 15") == true, "\(r.stdout)")
        #expect(try Self.events(gov, AgentChain.resolve(nil, agentID: "bot").value).allSatisfy { $0["kind"] != .string(EventKind.toolCall) })
        try Self.verified(gov)
    }

    @Test(arguments: Backend.allCases)
    func aServerThatCannotStartOrNoServerAtAll(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let missing = try gov.run(["mcp", "proxy", "-a", "bot", "--", gov.home + "/no-such-server"], stdin: "")
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("was not found"), "\(missing.stderr)")
        let none = try gov.run(["mcp", "proxy", "-a", "bot"], stdin: "")
        #expect(none.status == 2)
        try Self.verified(gov)
    }

    @Test(arguments: Backend.allCases)
    func wrapRewritesAConfigurationWhoseServersThenRunGoverned(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let path = gov.home + "/claude_desktop_config.json"
        let python = try Self.python()
        let original = """
        {"mcpServers": {"fixture": {"command": "\(python)", "args": ["\(Self.fixtures)/server.py"], "env": {"KEEP": "1"}},
                        "remote": {"url": "https://example.com/mcp"}},
         "theme": "dark"}
        """
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o640)

        let dry = try gov.run(["mcp", "wrap", "--config", path, "--agent", "bot", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("+        \"proxy\","), "\(dry.stdout)")
        #expect(dry.stdout.contains("not stdio  remote"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == original, "a dry run writes nothing")
        #expect(!FileManager.default.fileExists(atPath: path + ".bak"))

        let wrote = try gov.run(["--json", "mcp", "wrap", "--config", path, "--agent", "bot"])
        #expect(wrote.status == 0, "\(wrote.stderr)")
        let report = try JSONParser.parse(wrote.stdout)
        #expect(report["backup"] == .string(path + ".bak"))
        #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == original)
        #expect(FileSystem.permissions(path) == 0o640 && FileSystem.permissions(path + ".bak") == 0o640)
        let config = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        let fixture = try #require(config["mcpServers"]?["fixture"])
        #expect(fixture["args"]?.arrayValue?.prefix(5) == ["mcp", "proxy", "--agent", "bot", "--"].map(JSONValue.string)[...])
        #expect(fixture["env"]?["KEEP"] == .string("1"))
        #expect(config["mcpServers"]?["remote"] == .object([("url", .string("https://example.com/mcp"))]))
        #expect(config["theme"] == .string("dark"))

        // Twice changes nothing and keeps no second backup.
        let again = try gov.run(["--json", "mcp", "wrap", "--config", path, "--agent", "bot"])
        #expect(try JSONParser.parse(again.stdout)["changed"] == .bool(false))
        #expect(!FileManager.default.fileExists(atPath: path + ".bak.1"))

        // The rewritten entry, started as a client would, is the governed server.
        let session = try SessionID.random().value
        let (out, _) = try Self.client(gov, "client.py", "config", session: session, extra: ["MCP_CONFIG": path])
        #expect(out["tools"]?.arrayValue?.contains(.string("not_allowed")) == false)
        #expect(out["echo"]?["text"] == .string("echo: wrapped"))
        let calls = try Self.events(gov, AgentChain.resolve(nil, agentID: "bot").value).filter { $0["kind"] == .string(EventKind.toolCall) }
        #expect(calls.count == 1, "the call is in the agent's own chain (no --session in the configuration)")
        try Self.verified(gov)
    }

    @Test func wrapRefusesWhatItCannotReadAndWritesNothing() throws {
        let gov = try Governance()
        let path = gov.home + "/mcp.json"
        let commented = "{\"mcpServers\": {\"a\": {\"command\": \"x\"}}, // a comment\n}"
        try commented.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try gov.run(["mcp", "wrap", "--config", path, "--agent", "bot"]).status == 2)
        try #"{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try gov.run(["mcp", "wrap", "--config", path, "--agent", "bot"]).status == 2, "duplicate keys")
        try #"{"other": {}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try gov.run(["mcp", "wrap", "--config", path, "--agent", "bot"]).status == 2)
        try #"{"mcpServers": {"a": {"command": "x"}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try gov.run(["mcp", "wrap", "--config", path, "--agent", "b\u{07}ot"]).status == 2)
        #expect(try gov.run(["mcp", "wrap", "--config", gov.home, "--agent", "bot"]).status == 3, "a directory (as every file the project reads)")
        #expect(!FileManager.default.fileExists(atPath: path + ".bak"))
    }
}
