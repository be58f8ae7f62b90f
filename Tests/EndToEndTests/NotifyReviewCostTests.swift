import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What an operator meets day to day: `gates review` at a terminal, the notification hook, the
/// budget's soft alert, and fleet spend (`cost report`, the summary report's USD).
@Suite struct NotifyReviewCostTests {
    /// Runs argv under a pseudo-terminal, typing each answer after the next prompt appears.
    static let ptyDriver = """
    import json, os, pty, select, sys, time
    argv, answers = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out, sent, deadline = b"", 0, time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if sent < len(answers) and out.count(b"[g/d/s/q] ") + out.count(b"reason (optional): ") > sent:
            os.write(fd, answers[sent].encode() + b"\\n")
            sent += 1
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 99)
    """

    static func atTerminal(_ gov: Governance, _ arguments: [String], answers: [String]) throws -> ProcessResult {
        let python = try #require(findInPath("python3"))
        let argv = [governanceBinary()] + (try gov.asOperator(arguments))
        func json(_ value: [String]) -> String { JSONWriter.canonical(.array(value.map(JSONValue.string))) }
        return try runProcess(python, ["-c", ptyDriver, json(argv), json(answers)], environment: gov.environment)
    }

    static func request(_ gov: Governance, kind: String, agent: String = "bot", payload: String = "{}") throws -> String {
        let r = try gov.run(["--json", "gates", "request", "--kind", kind, "--agent", agent, "--payload", payload])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONParser.parse(r.stdout)["request_id"]?.stringValue)
    }

    static func status(_ gov: Governance, _ id: String) throws -> String? {
        try gov.json(["gates", "show", id])["status"]?.stringValue
    }

    static func events(_ gov: Governance, agent: String, kind: String) throws -> [JSONValue] {
        try gov.run(["--json", "audit", "events", "--agent", agent, "--kind", kind]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    static let policy = """
    agents:
      bot:
        scope: {allowed_tools: [charge]}
        budget: {per_session_usd: "1.00", per_agent_tokens_daily: 1000, alert_at: 80%}
    """

    // MARK: gates review

    /// A flood of newer requests cannot push an older one out of the review: the oldest come
    /// first, and the review says when more are pending than it shows.
    @Test func reviewShowsTheOldestFirstAndSaysWhenMoreArePending() throws {
        let gov = try Governance.applying(Self.policy, backend: .sqlite)
        let wire = try Self.request(gov, kind: "wire.transfer")
        let floods = try (0..<3).map { _ in try Self.request(gov, kind: "noop") }
        let r = try Self.atTerminal(gov, ["gates", "review", "--limit", "2", "--by", "alice"], answers: ["s", "s"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains(wire) && r.stdout.contains(floods[0]) && !r.stdout.contains(floods[2]), "\(r.stdout)")
        #expect(r.stdout.contains("more than 2 requests are pending"), "\(r.stdout)")
    }

    @Test(arguments: Backend.allCases)
    func reviewAtATerminalGrantsDeniesAndSkipsAndAuditsEachDecision(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let first = try Self.request(gov, kind: "charge.customer", payload: #"{"amount":"120.00","note":"\u001b[2Jwiped"}"#)
        let second = try Self.request(gov, kind: "refund")
        let third = try Self.request(gov, kind: "delete.account")

        let r = try Self.atTerminal(gov, ["--json", "gates", "review", "--by", "alice"], answers: ["g", "d", "too risky", "s"])
        #expect(r.status == 0, "\(r.stdout)")
        // Shown: id, agent, kind, payload (its escape sequence escaped, not sent to the terminal), digest and age.
        #expect(r.stdout.contains(first) && r.stdout.contains("charge.customer") && r.stdout.contains("digest ") && r.stdout.contains("age "))
        #expect(!r.stdout.contains("\u{1B}[2J"))
        #expect(try Self.status(gov, first) == "granted")
        #expect(try Self.status(gov, second) == "denied")
        #expect(try gov.json(["gates", "show", second])["reason"] == .string("too risky"))
        #expect(try Self.status(gov, third) == "pending")
        #expect(try Self.events(gov, agent: "bot", kind: "gate.granted").count == 1)
        let denial = try #require(try Self.events(gov, agent: "bot", kind: "gate.denied").first)
        #expect(denial["metadata"]?["reason"] == .string("too risky"))
        #expect(denial["metadata"]?["by"] == .string("alice"))

        // The summary (the last line under --json) is the documented document.
        let summary = try #require(r.stdout.split(whereSeparator: \.isNewline).last(where: { $0.hasPrefix("{") }))
        if let python = try JSONSchemaTests.python() {
            let v = try JSONSchemaTests.validate(python, String(summary), "gates-review")
            #expect(v.status == 0, "\(v.stderr)\n\(summary)")
        }
        let decisions = try JSONParser.parse(String(summary))["decisions"]
        #expect(decisions == .array([
            .object([("request_id", .string(first)), ("decision", .string("grant")), ("reason", .null)]),
            .object([("request_id", .string(second)), ("decision", .string("deny")), ("reason", .string("too risky"))]),
            .object([("request_id", .string(third)), ("decision", .string("skip"))]),
        ]))
    }

    @Test(arguments: Backend.allCases)
    func reviewRefusesTheAgentsOwnOperatorAndGoesOn(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "bot", "--operator", "alice"]).status == 0)
        let id = try Self.request(gov, kind: "charge.customer")
        let r = try Self.atTerminal(gov, ["gates", "review", "--by", "alice"], answers: ["g"])
        #expect(r.status == 22, "\(r.stdout)")
        #expect(r.stdout.contains("cannot grant"))
        #expect(try Self.status(gov, id) == "pending")
        #expect(try Self.events(gov, agent: "bot", kind: "gate.self_approval_refused").count == 1)
    }

    @Test func reviewRefusesWithoutATerminalAndDecidesNothing() throws {
        let gov = try Governance.applying(Self.policy, backend: .sqlite)
        let id = try Self.request(gov, kind: "charge.customer")
        let r = try gov.run(["gates", "review", "--by", "alice"], stdin: "g\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("gates list --pending") && r.stderr.contains("gates grant ID"), "\(r.stderr)")
        #expect(try Self.status(gov, id) == "pending")
    }

    // MARK: the notification hook

    /// A store with `bot`'s policy sending its events to `hook` (an sh command).
    static func withHook(_ backend: Backend, hook: String, timeout: Int? = nil) throws -> Governance {
        let gov = try Governance(backend: backend)
        let command = hook.replacingOccurrences(of: "$HOME_DIR", with: gov.home)
        let policy = Self.policy + "\n    notify: {command: \(JSONWriter.canonical(.string(command)))\(timeout.map { ", timeout_seconds: \($0)" } ?? "")}\n"
        try policy.write(toFile: gov.home + "/policy.yaml", atomically: true, encoding: .utf8)
        let applied = try gov.run(["policy", "apply", "-f", gov.home + "/policy.yaml"])
        #expect(applied.status == 0, "\(applied.stderr)")
        return gov
    }

    static func hookLines(_ gov: Governance) throws -> [String] {
        let text = (try? String(contentsOfFile: gov.home + "/hook.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// The Swift API notifies through the same core call as the commands: a program (the proxies,
    /// the console) that requests an approval, tracks spend, sweeps or kills reaches the hook too.
    @Test(arguments: Backend.allCases)
    func theSwiftAPINotifiesAsTheCommandsDo(backend: Backend) async throws {
        let gov = try Self.withHook(backend, hook: "cat >> '$HOME_DIR/hook.jsonl'")
        let api = try SwiftAPITests.api(gov)
        let session = try SessionID.random()
        let issued = try api.gates.request(agentID: "bot", sessionID: session, kind: "charge.customer")
        for usd in ["0.50", "0.35"] {
            _ = try api.cost.track(agentID: "bot", sessionID: session, usage: CostLedger.Usage(tokens: 10, usd: try Money.parse(usd)))
        }
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        try await Task.sleep(nanoseconds: 1_200_000_000)
        #expect(try api.presence.sweep(timeout: 1).map(\.agentID) == ["bot"])
        let admin = try api.operators.credential(keyFile: try gov.operatorKey("admin"))
        try api.presence.kill(agentID: "bot", reason: "runaway", by: admin)

        let documents = try Self.hookLines(gov).map { try JSONParser.parse($0) }
        #expect(documents.map { $0["event"]?.stringValue ?? "?" } == ["gate.requested", "budget.alert", "presence.unresponsive", "presence.kill"])
        #expect(documents.first?["request_id"] == .string(issued.value?.request.requestID ?? "?"))
        #expect(documents.count == 4 && documents[1]["used"] == .string("0.85") && documents[3]["reason"] == .string("runaway"))
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func eachTriggerSendsOneValidDocumentAndTheAlertOnlyOnce(backend: Backend) throws {
        let gov = try Self.withHook(backend, hook: "cat >> '$HOME_DIR/hook.jsonl'")
        let session = try SessionID.random().value
        _ = try Self.request(gov, kind: "charge.customer")
        for usd in ["0.50", "0.35", "0.10"] {  // 0.85 crosses 80% of 1.00; 0.95 does not alert again
            #expect(try gov.run(["cost", "track", "--agent", "bot", "--session", session, "--tokens", "10", "--usd", usd]).status == 0)
        }
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        Thread.sleep(forTimeInterval: 1.2)
        #expect(try gov.run(["presence", "sweep", "--timeout", "1"]).status == 0)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "runaway"]).status == 0)

        let lines = try Self.hookLines(gov)
        let documents = try lines.map { try JSONParser.parse($0) }
        #expect(documents.map { $0["event"]?.stringValue ?? "?" } == ["gate.requested", "budget.alert", "presence.unresponsive", "presence.kill"])
        if let python = try JSONSchemaTests.python() {
            let v = try JSONSchemaTests.validate(python, lines.joined(separator: "\n"), "notify-event", lines: true)
            #expect(v.status == 0, "\(v.stderr)\n\(lines)")
        }
        #expect(documents.allSatisfy { $0["version"] == .int(1) && $0["agent_id"] == .string("bot") })
        #expect(documents[1]["cap"] == .string("per_session_usd") && documents[1]["used"] == .string("0.85"))
        #expect(documents[3]["reason"] == .string("runaway") && documents[3]["by"] == .string("admin"))
        // The alert is audited once, in the session's chain.
        let alerts = try Self.events(gov, agent: "bot", kind: "budget.alert")
        #expect(alerts.count == 1)
        #expect(alerts.first?["session_id"] == .string(session))
    }

    @Test(arguments: Backend.allCases)
    func theDailyTokenCapAlertsOncePerDayAcrossSessions(backend: Backend) throws {
        let gov = try Self.withHook(backend, hook: "cat >> '$HOME_DIR/hook.jsonl'")
        for _ in 0..<3 {  // 500, 1,000 (the alert, at 800), 1,500: one alert, whichever session
            let session = try SessionID.random().value
            #expect(try gov.run(["cost", "track", "--agent", "bot", "--session", session, "--tokens", "500", "--usd", "0"]).status == 0)
        }
        let alerts = try Self.events(gov, agent: "bot", kind: "budget.alert")
        #expect(alerts.count == 1)
        #expect(alerts.first?["metadata"]?["cap"] == .string("per_agent_tokens_daily"))
        #expect(try Self.hookLines(gov).count == 1)
    }

    @Test func aHangingFailingOrNoisyHookChangesNeitherExitCodeNorOutput() throws {
        let hung = try Self.withHook(.sqlite, hook: "echo noise; sleep 30", timeout: 1)
        let started = Date()
        let r = try hung.run(["--json", "gates", "request", "--kind", "charge.customer", "--agent", "bot"])
        #expect(r.status == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try JSONParser.parse(r.stdout)["request_id"] != nil, "stdout stays the command's: \(r.stdout)")
        #expect(r.stderr.contains("warning: the notification hook") && r.stderr.contains("was killed"))

        let failing = try Self.withHook(.sqlite, hook: "exit 3")
        let kill = try failing.run(["presence", "kill", "bot", "--reason", "test"])
        #expect(kill.status == 0)
        #expect(kill.stderr.contains("exited 3"))
        // The kill itself stands.
        #expect(try failing.run(["scope", "check", "--agent", "bot", "--tool", "charge"]).status == 15)
    }

    @Test func theAgentsEnvironmentAddsAHookButCannotReplaceThePolicysOrReadTheSecret() throws {
        var gov = try Self.withHook(.sqlite, hook: "env > '$HOME_DIR/hook.env'; cat >> '$HOME_DIR/hook.jsonl'")
        gov.environment["GOVERNANCE_NOTIFY_COMMAND"] = "cat > '\(gov.home)/agent.jsonl'"
        _ = try Self.request(gov, kind: "charge.customer")
        #expect(try Self.hookLines(gov).count == 1, "the policy's hook ran")
        #expect(FileManager.default.fileExists(atPath: gov.home + "/agent.jsonl"), "the environment's hook ran too")
        let env = try String(contentsOfFile: gov.home + "/hook.env", encoding: .utf8)
        #expect(!env.contains("GOVERNANCE_AUDIT_SECRET=") && !env.contains("GOVERNANCE_NOTIFY_COMMAND="))
        #expect(env.contains("GOVERNANCE_NOTIFY_EVENT=gate.requested"))
    }

    @Test func policyNotifyAndAlertAtAreChecked() throws {
        let gov = try Governance(backend: .sqlite)
        for (body, message) in [("budget: {per_session_usd: 1, alert_at: 120%}", "alert_at"), ("budget: {per_session_usd: 1, alert_at: 0.8}", "alert_at"),
                                ("budget: {alert_at: 80%}", "sets no cap"), ("notify: {timeout_seconds: 5}", "has no command"),
                                ("notify: {command: x, timeout_seconds: 600}", "timeout_seconds")] {
            try "agents:\n  bot:\n    \(body)\n".write(toFile: gov.home + "/p.yaml", atomically: true, encoding: .utf8)
            let r = try gov.run(["policy", "apply", "-f", gov.home + "/p.yaml"])
            #expect(r.status == 2, "\(body)")
            #expect(r.stderr.contains(message), "\(body): \(r.stderr)")
        }
    }

    // MARK: fleet spend

    @Test(arguments: Backend.allCases)
    func costReportGroupsFleetSpendByAgentModelAndDay(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        #expect(try gov.run(["cost", "track-usage", "--agent", "bot", "-m", "gpt-4o", "--input-tokens", "1000", "--output-tokens", "500"]).status == 0)
        #expect(try gov.run(["cost", "track-usage", "--agent", "bot", "-m", "gpt-4o", "--input-tokens", "1000", "--output-tokens", "500"]).status == 0)
        #expect(try gov.run(["cost", "track", "--agent", "helper", "--tokens", "100", "--usd", "0.25"]).status == 0)

        let byAgent = try gov.json(["cost", "report", "--by", "agent", "--since", "7d"])
        #expect(byAgent["rows"] == .array([
            .object([("agent_id", .string("helper")), ("calls", .int(1)), ("usd", .string("0.25")), ("tokens", .int(100)), ("input_tokens", .int(0)),
                     ("output_tokens", .int(0)), ("cached_input_tokens", .int(0)), ("unpriced_calls", .int(0))]),
            .object([("agent_id", .string("bot")), ("calls", .int(2)), ("usd", .string("0.015")), ("tokens", .int(3000)), ("input_tokens", .int(2000)),
                     ("output_tokens", .int(1000)), ("cached_input_tokens", .int(0)), ("unpriced_calls", .int(0))]),
        ]))
        #expect(byAgent["total"]?["usd"] == .string("0.265"))
        let byModel = try gov.json(["cost", "report", "--by", "model"])
        #expect(byModel["rows"]?.arrayValue?.map { $0["model"] ?? .null } == [.null, .string("gpt-4o")])
        let byDay = try gov.json(["cost", "report", "--by", "day", "--agent", "bot"])
        #expect(byDay["rows"]?.arrayValue?.count == 1)
        #expect(byDay["total"]?["calls"] == .int(2))
        let tomorrow = String(Timestamp(microseconds: Timestamp.now().microseconds + 86_400_000_000).iso8601.prefix(10))
        #expect(try gov.json(["cost", "report", "--since", tomorrow])["rows"] == .array([]))

        let text = try gov.run(["cost", "report", "--by", "agent"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("AGENT    CALLS   USD"))
        #expect(lines[4].hasPrefix("TOTAL    3       0.265"))
        #expect(try gov.run(["cost", "report", "--by", "week"]).status == 2)
        #expect(try gov.run(["cost", "report", "--since", "1h", "--until", "2h"]).status == 2)

        if let python = try JSONSchemaTests.python() {
            for by in ["agent", "model", "day"] {
                _ = try JSONSchemaTests.check(gov, python, "cost-report", ["cost", "report", "--by", by, "--since", "7d"])
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func theSummaryReportShowsSpendPerAgentAndInTotal(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        #expect(try gov.run(["cost", "track", "--agent", "bot", "--tokens", "100", "--usd", "1.25"]).status == 0)
        #expect(try gov.run(["cost", "track", "--agent", "helper", "--tokens", "100", "--usd", "0.5"]).status == 0)
        let report = try gov.json(["compliance", "report", "--kind", "summary", "--no-record"])
        let overview = try #require(report["sections"]?.arrayValue?.first { $0["id"] == .string("agent_overview") })
        #expect(overview["data"]?["usd"] == .string("1.75"))
        let agents = overview["data"]?["agents"]?.arrayValue ?? []
        #expect(agents.first { $0["agent_id"] == .string("bot") }?["usd"] == .string("1.25"))
        for format in ["text", "markdown", "html"] {
            let r = try gov.run(["compliance", "report", "--kind", "summary", "--no-record", "--format", format])
            #expect(r.stdout.contains("Spend (USD)") && r.stdout.contains("1.75"), "\(format)")
        }
    }
}
