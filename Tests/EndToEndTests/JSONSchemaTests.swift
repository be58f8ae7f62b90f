import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// docs/schemas/ is the contract of --json: every command's real output validates against its
/// schema (Python's jsonschema, draft 2020-12), and a member no schema describes fails.
@Suite struct JSONSchemaTests {
    static let policy = """
    agents:
      billing-agent:
        scope:  {allowed_tools: [charge_customer, send_email], allowed_apis: ["GET https://api.example.com/*"], hidden_tools: [secret_tool]}
        budget: {per_session_usd: 0.10, per_session_tokens: 100000, alert_at: 90%, tool_prices: {send_email: 0.001}}
        loop:   {max_calls: 2, window_seconds: 60, action: raise}
        contracts:
          charge_customer:
            pre:
              - {check: scope_allowed, message: "Must be in scope"}
            post:
              - {check: audit_logged, message: "Charge must be audit-logged"}
      other-agent:
        scope:  {allowed_tools: [send_email]}
        notify: {command: "cat > /dev/null", timeout_seconds: 2}
    """

    /// The python3 with jsonschema (scripts/deps.sh installs it), or nil with a failed expectation.
    static func python() throws -> String? {
        guard let python = findInPath("python3") else {
            Issue.record("python3 is needed to validate the JSON Schemas (scripts/deps.sh)")
            return nil
        }
        let probe = try runProcess(python, ["-c", "import jsonschema"], environment: ProcessInfo.processInfo.environment)
        #expect(probe.status == 0, "the jsonschema package is missing: scripts/deps.sh installs it (python3 -m pip install jsonschema)")
        return probe.status == 0 ? python : nil
    }

    /// Validates `text` against docs/schemas/`schema`.json (every line of it with `lines`).
    static func validate(_ python: String, _ text: String, _ schema: String, lines: Bool = false) throws -> ProcessResult {
        let root = packageRoot()
        return try runProcess(python, [root + "/scripts/validate-json.py", root + "/docs/schemas", schema] + (lines ? ["--lines"] : []),
                              environment: ProcessInfo.processInfo.environment, stdin: text)
    }

    /// Runs `arguments` with --json, expects `status`, and validates stdout against `schema` and,
    /// on a failure, stderr against error.json (`answer`: the status is the answer, as `loop check`'s
    /// 13, and there is no error).
    static func check(_ gov: Governance, _ python: String, _ schema: String, _ arguments: [String], status: Int32 = 0,
                      lines: Bool = false, stdin: String? = nil, stdout: Bool = true, answer: Bool = false,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let r = try gov.run(["--json"] + arguments, stdin: stdin)
        #expect(r.status == status, "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        if stdout {
            #expect(!r.stdout.isEmpty, "\(arguments) wrote nothing", sourceLocation: sourceLocation)
            let v = try validate(python, r.stdout, schema, lines: lines)
            #expect(v.status == 0, "\(arguments) against \(schema).json: \(v.stderr)\n\(r.stdout)", sourceLocation: sourceLocation)
        }
        if status != 0 && !answer {
            let v = try validate(python, r.stderr, "error")
            #expect(v.status == 0, "\(arguments) error document: \(v.stderr)\n\(r.stderr)", sourceLocation: sourceLocation)
        }
        return r
    }

    static func requestID(_ r: ProcessResult) throws -> String {
        try #require(try JSONParser.parse(r.stdout)["request_id"]?.stringValue)
    }

    @Test(arguments: Backend.allCases)
    func everyCommandsOutputValidates(backend: Backend) throws {
        guard let python = try Self.python() else { return }
        let gov = try Governance.applying(Self.policy, backend: backend)
        let s = try SessionID.random().value
        func c(_ schema: String, _ arguments: [String], status: Int32 = 0, lines: Bool = false, stdin: String? = nil,
               stdout: Bool = true, answer: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
            try Self.check(gov, python, schema, arguments, status: status, lines: lines, stdin: stdin, stdout: stdout,
                           answer: answer, sourceLocation: sourceLocation)
        }
        let agent = ["-a", "billing-agent"]
        let session = agent + ["-s", s]
        // An agent that goes silent, for `presence sweep --kill-after` at the end.
        _ = try c("presence-heartbeat", ["presence", "heartbeat", "silent-agent"])

        // Set-up and meta.
        _ = try c("db-migrate", ["db", "migrate"])
        _ = try c("db-status", ["db", "status"])
        _ = try c("secret-generate", ["secret", "generate"])
        _ = try c("secret-generate", ["secret", "generate", "--output", gov.home + "/new.secret"])
        _ = try c("session-new", ["session", "new"])
        _ = try c("help", ["help", "exit-codes"])
        let help = try c("help", ["help", "scope", "check"])
        #expect(try JSONParser.parse(help.stdout)["schema"] == .string("docs/schemas/scope-check.json"))
        _ = try c("help", ["help", "scope"])

        // Operators and policies.
        let key = gov.home + "/bob.pem"
        let keygen = try c("operator-keygen", ["operator", "keygen", "--out", key])
        let pub = try #require(try JSONParser.parse(keygen.stdout)["public_key_pem"]?.stringValue)
        _ = try c("operator-add", ["operator", "add", "bob", "--public-key", "-", "--operator-key", try gov.operatorKey("admin")], stdin: pub)
        _ = try c("operator-list", ["operator", "list"])
        _ = try c("operator-remove", ["operator", "remove", "bob", "--operator-key", try gov.operatorKey("admin")])
        let file = gov.home + "/policy.yaml"
        _ = try c("policy-apply", ["policy", "apply", "-f", file])
        _ = try c("policy-diff", ["policy", "diff", "-f", file])
        _ = try c("policy-list", ["policy", "list"])
        _ = try c("policy-show", ["policy", "show", "billing-agent"])
        _ = try c("policy-show", ["policy", "show", "other-agent"])
        _ = try c("policy-delete", ["policy", "delete", "other-agent"])
        _ = try c("error", ["policy", "show", "other-agent"], status: 11, stdout: false)
        _ = try c("policy-diff", ["policy", "diff", "-f", file], status: 1, answer: true)
        _ = try c("policy-apply", ["policy", "apply", "--dry-run", "-f", file])
        let example = packageRoot() + "/examples/policy-test"
        _ = try c("policy-test", ["policy", "test", "-f", example + "/policies.yaml", "--cases", example + "/cases.yaml"])
        _ = try c("policy-test", ["policy", "test", "-f", file, "--cases", example + "/cases.yaml"], status: 1, answer: true)
        _ = try c("complete", ["complete", "agents"])
        _ = try c("complete", ["complete", "requests"])

        // Enforcement: allowed, denied, and allowed without a check.
        _ = try c("scope-check", ["scope", "check"] + agent + ["-t", "send_email"])
        _ = try c("scope-check", ["scope", "check"] + agent + ["--api", "GET https://api.example.com/x"])
        _ = try c("scope-check", ["scope", "check"] + agent + ["-t", "rm_rf"], status: 10, stdout: false)
        _ = try c("scope-check", ["scope", "check"] + agent + ["--api", "POST https://evil.example/"], status: 10, stdout: false)
        _ = try c("scope-check", ["scope", "check", "-a", "nobody", "-t", "x"], status: 11, stdout: false)
        _ = try c("scope-filter-tools", ["scope", "filter-tools"] + agent, stdin: "send_email\nsecret_tool\n")
        _ = try c("cost-check", ["cost", "check"] + session + ["--projected-tokens", "100", "--model", "gpt-4o"])
        _ = try c("cost-check", ["cost", "check"] + session)
        _ = try c("cost-track", ["cost", "track"] + session + ["--tokens", "10", "--usd", "0.01"])
        _ = try c("cost-track-usage", ["cost", "track-usage"] + session + ["-m", "gpt-4o", "--input-tokens", "10", "--output-tokens", "5"])
        _ = try c("cost-snapshot", ["cost", "snapshot"] + session)
        _ = try c("cost-breakdown", ["cost", "breakdown"] + agent)
        _ = try c("cost-report", ["cost", "report", "--by", "agent", "--since", "7d"])
        _ = try c("cost-report", ["cost", "report", "--by", "model"] + agent)
        _ = try c("cost-report", ["cost", "report", "--by", "day", "--until", "2099-01-01"])
        _ = try c("cost-models", ["cost", "models"])
        _ = try c("cost-models", ["cost", "models", "--unpriced"])
        _ = try c("cost-check", ["cost", "check"] + session + ["--projected-tokens", "10000000", "--model", "gpt-4o"], status: 12, stdout: false)
        _ = try c("loop-check", ["loop", "check"] + session)
        _ = try c("loop-record", ["loop", "record"] + session + ["-t", "send_email"])
        _ = try c("loop-record", ["loop", "record"] + session + ["-t", "send_email"])
        _ = try c("loop-record", ["loop", "record"] + session + ["-t", "send_email"], status: 13, stdout: false)
        _ = try c("loop-check", ["loop", "check"] + session, status: 13, answer: true)
        _ = try c("contract-check-pre", ["contract", "check-pre"] + session + ["-t", "charge_customer"])
        _ = try c("contract-check-post", ["contract", "check-post"] + session + ["-t", "charge_customer"], status: 14, stdout: false)
        _ = try c("exec", ["exec"] + session + ["-t", "charge_customer", "--", "true"], stdout: false)
        _ = try c("contract-check-post", ["contract", "check-post"] + session + ["-t", "charge_customer"])

        // Presence and the kill switch.
        _ = try c("presence-heartbeat", ["presence", "heartbeat", "billing-agent"])
        _ = try c("presence-idle", ["presence", "idle", "billing-agent"])
        let seen = try c("presence-idle", ["presence", "idle", "billing-agent"])
        #expect(try JSONParser.parse(seen.stdout)["status"] == .string("seen"), "an idle of an Idle agent is state only")
        _ = try c("presence-list", ["presence", "list"])
        _ = try c("presence-status", ["presence", "status", "billing-agent"])
        _ = try c("presence-status", ["presence", "status", "nobody"])
        _ = try c("presence-sweep", ["presence", "sweep"])
        _ = try c("presence-kill", ["presence", "kill", "other-agent", "--reason", "test"])
        _ = try c("presence-is-killed", ["presence", "is-killed", "other-agent"])
        _ = try c("presence-is-killed", ["presence", "is-killed", "billing-agent"])
        _ = try c("presence-status", ["presence", "status", "other-agent"], status: 15)
        _ = try c("scope-check", ["scope", "check", "-a", "other-agent", "-t", "send_email"], status: 15, stdout: false)
        _ = try c("presence-revive", ["presence", "revive", "other-agent"])
        _ = try c("presence-close", ["presence", "close", "billing-agent"])

        // Approval gates.
        let request = try c("gates-request", ["gates", "request", "-k", "charge.customer"] + session + ["--payload", #"{"amount":5}"#])
        let id = try Self.requestID(request)
        _ = try c("gates-show", ["gates", "show", id])
        _ = try c("gates-list", ["gates", "list"])
        _ = try c("gates-wait", ["gates", "wait", id, "--no-wait"], status: 18)
        _ = try c("gates-grant", ["gates", "grant", id])
        _ = try c("gates-wait", ["gates", "wait", id])
        let denied = try Self.requestID(try c("gates-request", ["gates", "request", "-k", "x"] + agent))
        _ = try c("gates-deny", ["gates", "deny", denied])
        _ = try c("gates-wait", ["gates", "wait", denied], status: 16)
        let cancelled = try Self.requestID(try c("gates-request", ["gates", "request", "-k", "x"] + agent))
        _ = try c("gates-cancel", ["gates", "cancel", cancelled])

        // The audit trail.
        _ = try c("audit-log", ["audit", "log"] + session + ["-k", "agent.step", "--metadata", #"{"a":1}"#])
        _ = try c("audit-log", ["audit", "log", "--batch"] + session, stdin: #"{"kind":"agent.step"}"# + "\n" + #"{"bad":1}"# + "\n")
        _ = try c("audit-verify", ["audit", "verify"])
        _ = try c("audit-events", ["audit", "events"], lines: true)
        _ = try c("audit-events", ["audit", "events", "--verify"], lines: true)
        _ = try c("audit-export", ["audit", "export"], lines: true)
        _ = try c("audit-tail", ["audit", "tail"], lines: true)
        _ = try c("audit-trace", ["audit", "trace", "--session", s])
        _ = try c("audit-sessions", ["audit", "sessions"])
        _ = try c("audit-flush", ["audit", "flush"])
        _ = try c("db-check", ["db", "check"])
        if backend == .postgres {
            let roles = try ClusterRoles()
            defer { roles.drop() }
            _ = try c("db-roles", ["db", "roles"] + roles.flags)
        }

        // MCP: a client configuration, previewed then rewritten, then left alone.
        try #"{"mcpServers": {"files": {"command": "server", "args": ["/srv"]}, "remote": {"url": "https://example.com/mcp"}}}"#
            .write(toFile: gov.home + "/mcp.json", atomically: true, encoding: .utf8)
        _ = try c("mcp-wrap", ["mcp", "wrap", "--config", gov.home + "/mcp.json", "-a", "billing-agent", "--dry-run"])
        _ = try c("mcp-wrap", ["mcp", "wrap", "--config", gov.home + "/mcp.json", "-a", "billing-agent"])
        _ = try c("mcp-wrap", ["mcp", "wrap", "--config", gov.home + "/mcp.json", "-a", "billing-agent"])

        // Evidence.
        _ = try c("compliance-report", ["compliance", "report", "--kind", "article12", "--verify-chain"])
        _ = try c("compliance-report", ["compliance", "report", "--kind", "summary"])
        _ = try c("compliance-report", ["compliance", "report", "--kind", "summary", "--output", gov.home + "/report.json"])
        try "system_name: Billing\nsign_off: {name: Jane Doe, role: Auditor, date: 2026-11-24, statement: Reviewed.}\n"
            .write(toFile: gov.home + "/system.yaml", atomically: true, encoding: .utf8)
        _ = try c("compliance-report", ["compliance", "report", "--kind", "article12", "--metadata-file", gov.home + "/system.yaml",
                                        "--provider", "Example AI", "--no-record"])

        // Last, as it kills every agent silent for a second: the sweep's kills, each with its marker.
        guard case .number(let lastSeen)? = try gov.json(["presence", "status", "silent-agent"])["last_seen_unix"] else {
            Issue.record("presence status silent-agent has no last_seen_unix")
            return
        }
        #expect(waitUntil(15) { Int(time(nil)) - Int(lastSeen) >= 2 }, "the clock did not move")
        let sweep = try c("presence-sweep", ["presence", "sweep", "--timeout", "1", "--kill-after", "1",
                                             "--operator-key", try gov.operatorKey("admin")])
        let killed = try JSONParser.parse(sweep.stdout)["killed"]?.arrayValue ?? []
        #expect(killed.contains { $0["agent_id"] == .string("silent-agent") && $0["kill"]?["killed_by"] == .string("admin") }, "\(sweep.stdout)")
    }

    /// `init --json` on a new store (migrations applied; on SQLite with the secret it creates) and
    /// again on the same store (nothing applied).
    @Test(arguments: Backend.allCases)
    func initValidates(backend: Backend) throws {
        guard let python = try Self.python() else { return }
        var gov = try Governance(backend: backend)
        if backend == .sqlite { gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil }
        let first = try JSONParser.parse(try Self.check(gov, python, "init", ["init"]).stdout)
        #expect(first["secret_created"] == .bool(backend == .sqlite), "\(first)")
        if backend == .sqlite { #expect(first["migrations_applied"]?.arrayValue?.isEmpty == false, "\(first)") }
        let again = try JSONParser.parse(try Self.check(gov, python, "init", ["init"]).stdout)
        #expect(again["migrations_applied"] == .array([]) && again["secret_created"] == .bool(false), "\(again)")
    }

    /// `exec --result-fd FD` writes no --json document but one on FD: each way a step can end
    /// (ran, its own status, a signal, refused, not started, timed out, killed, a failed
    /// post-condition) validates against exec-result.json.
    @Test(arguments: Backend.allCases)
    func execResultDocumentsValidate(backend: Backend) throws {
        guard let python = try Self.python() else { return }
        let gov = try Governance.applying("""
            agents:
              bot:
                scope: {allowed_tools: [step, checked]}
                contracts:
                  checked:
                    post:
                      - {check: custom, message: "never holds", params: {command: ["/bin/sh", "-c", "exit 1"]}}
            """, backend: backend)
        let file = gov.home + "/result.json"
        let pidFile = gov.home + "/pid"
        func line(_ tool: String, _ flags: String, _ command: String) -> [String] {
            ["-c", "exec \"$0\" exec -a bot -t \(tool) \(flags) --result-fd 3 -- \(command) 3>\(file)", governanceBinary()]
        }
        func document(_ status: Int32, _ r: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
            #expect(r.status == status, "\(r.stderr)", sourceLocation: sourceLocation)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let v = try Self.validate(python, text, "exec-result")
            #expect(v.status == 0, "exec-result.json: \(v.stderr)\n\(text)", sourceLocation: sourceLocation)
            return try JSONParser.parse(text)
        }
        func run(_ tool: String, _ flags: String, _ command: String, status: Int32,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
            try document(status, try runProcess("/bin/sh", line(tool, flags, command), environment: gov.environment), sourceLocation: sourceLocation)
        }

        #expect(try run("step", "", "true", status: 0)["ended_by"] == .string("exit"))
        #expect(try run("step", "--refusal-status 99", "sh -c 'exit 12'", status: 12)["command_status"] == .int(12))
        #expect(try run("step", "", "sh -c 'kill -TERM $$'", status: 128 + 15)["ended_by"] == .string("signal"))
        let refused = try run("rm_rf", "--refusal-status 99", "true", status: 99)
        #expect(refused["ended_by"] == .string("refused") && refused["exit_status"] == .int(10) && refused["call_id"] == .null)
        #expect(try run("step", "", "/nonexistent/tool", status: 127)["ended_by"] == .string("not_started"))
        let timedOut = try run("step", "--timeout 1 --kill-grace 1", "sh -c 'sleep 30'", status: 124)
        #expect(timedOut["ended_by"] == .string("timeout") && timedOut["stopped_processes"]?.arrayValue?.isEmpty == false, "\(timedOut)")
        let post = try run("checked", "", "true", status: 14)
        #expect(post["governance_decided"] == .bool(true) && post["error"]?["code"] == .string("contract_violation"))

        let exec = try SpawnedProcess("/bin/sh", line("step", "--kill-grace 1", "sh -c 'echo $$ > \(pidFile); exec sleep 30'"),
                                      environment: gov.environment)
        exec.send(nil)
        #expect(waitUntil { FileManager.default.fileExists(atPath: pidFile) && !((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").isEmpty },
                "the command never started")
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "stop"]).status == 0)
        let killed = try document(15, exec.finish())
        #expect(killed["ended_by"] == .string("kill_switch") && killed["governance_decided"] == .bool(true) && killed["command_status"] == .null)
    }

    /// With --fail-open and the store unreachable, each enforcement command writes fail-open.json's
    /// document (through its own schema); without it, exit 4 and the error document.
    @Test func failOpenAndUnreachableStoreValidate() throws {
        guard let python = try Self.python() else { return }
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql:///postgres?host=/nonexistent-socket-dir&connect_timeout=2"
        let s = try SessionID.random().value
        let commands: [(String, [String])] = [
            ("scope-check", ["scope", "check", "-a", "billing-agent", "-t", "send_email"]),
            ("cost-check", ["cost", "check", "-a", "billing-agent", "-s", s]),
            ("loop-record", ["loop", "record", "-a", "billing-agent", "-s", s, "-t", "send_email"]),
            ("contract-check-pre", ["contract", "check-pre", "-a", "billing-agent", "-s", s, "-t", "charge_customer"]),
        ]
        for (schema, arguments) in commands {
            _ = try Self.check(gov, python, schema, ["--fail-open"] + arguments)
            _ = try Self.check(gov, python, schema, arguments, status: 4, stdout: false)
        }
        // Observations spool what they cannot write: the spooled forms validate too.
        _ = try Self.check(gov, python, "audit-log", ["audit", "log", "-a", "billing-agent", "-s", s, "-k", "agent.step"])
        _ = try Self.check(gov, python, "cost-track", ["cost", "track", "-a", "billing-agent", "-s", s, "--tokens", "1", "--usd", "0.01"])
        _ = try Self.check(gov, python, "presence-heartbeat", ["presence", "heartbeat", "billing-agent"])
    }

    /// The schemas are strict: a member they do not describe fails, at the top and nested.
    @Test func aMemberNoSchemaDescribesFails() throws {
        guard let python = try Self.python() else { return }
        let gov = try Governance.applying(Self.policy, backend: .sqlite)
        let allowed = try gov.run(["--json", "scope", "check", "-a", "billing-agent", "-t", "send_email"]).stdout
        #expect(try Self.validate(python, allowed, "scope-check").status == 0)
        let extra = allowed.replacingOccurrences(of: #""allowed":true"#, with: #""allowed":true,"bypass":true"#)
        #expect(extra != allowed)
        let bad = try Self.validate(python, extra, "scope-check")
        #expect(bad.status == 1 && bad.stderr.contains("bypass"), "\(bad.stderr)")

        let denied = try gov.run(["--json", "scope", "check", "-a", "billing-agent", "-t", "rm_rf"]).stderr
        #expect(try Self.validate(python, denied, "error").status == 0)
        let tamperedError = denied.replacingOccurrences(of: #""exit_code":10"#, with: #""exit_code":10,"allowed":true"#)
        #expect(tamperedError != denied)
        #expect(try Self.validate(python, tamperedError, "error").status == 1)

        _ = try gov.run(["presence", "kill", "other-agent", "--reason", "x"])
        let status = try gov.run(["--json", "presence", "is-killed", "other-agent"]).stdout
        #expect(try Self.validate(python, status, "presence-is-killed").status == 0)
        let nested = status.replacingOccurrences(of: #""os_user":"#, with: #""forged":1,"os_user":"#)
        #expect(nested != status)
        #expect(try Self.validate(python, nested, "presence-is-killed").status == 1)

        // One bad line of a stream fails the stream.
        let lines = try gov.run(["--json", "audit", "export"]).stdout
        #expect(try Self.validate(python, lines, "audit-export", lines: true).status == 0)
        let badLine = lines + #"{"id":1}"# + "\n"
        #expect(try Self.validate(python, badLine, "audit-export", lines: true).status == 1)
    }
}
