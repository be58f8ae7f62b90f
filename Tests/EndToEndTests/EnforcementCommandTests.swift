import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `policy`, `scope`, `cost` and `loop` driven through the built binary, as a wrapping script
/// would: exit codes, what is stored, and exactness under concurrent processes.
@Suite struct EnforcementCommandTests {
    static let policy = """
    agents:
      billing-agent:
        scope:  {allowed_tools: [read_invoice, send_email], allowed_apis: ["GET https://api.stripe.com/v1/*"], hidden_tools: [delete_all]}
        budget: {per_session_usd: 0.50, per_session_tokens: 100000, per_agent_usd_daily: 10.00}
        loop:   {window_seconds: 60, max_calls: 3, action: raise}
      chatty-agent:
        scope:  {allowed_tools: [search]}
        loop:   {window_seconds: 60, max_calls: 1, action: log}
    """

    static func applied(_ backend: Backend, policy: String = policy) throws -> Governance {
        try Governance.applying(policy, backend: backend)
    }

    @Test(arguments: Backend.allCases)
    func scopeExitCodesAndAuditedDenials(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        func check(_ args: [String]) throws -> ProcessResult { try gov.run(["scope", "check", "-a", "billing-agent", "-s", session] + args) }
        #expect(try check(["--tool", "read_invoice"]).status == 0)
        let denied = try check(["--tool", "delete_all"])
        #expect(denied.status == 10)
        #expect(denied.stderr.contains("read_invoice") && denied.stderr.contains("send_email"))
        #expect(try check(["--api", "GET https://api.stripe.com/v1/charges"]).status == 0)
        #expect(try check(["--api", "GET https://api.stripe.com.evil.io/v1/charges"]).status == 10)
        #expect(try check(["--api", "POST https://api.stripe.com/v1/charges"]).status == 10)
        #expect(try gov.run(["scope", "check", "-a", "stranger", "--tool", "read_invoice"]).status == 11)
        #expect(try check(["--tool", "a", "--api", "GET https://x/"]).status == 2)
        #expect(try gov.run(["scope", "check", "-a", "billing-agent"]).status == 2)

        // Denials are in the session's chain (and the stranger's in its own), and the chains verify.
        let kinds = try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n")
            .compactMap { try JSONParser.parse(String($0))["kind"]?.stringValue }
        #expect(kinds == ["scope.violation", "scope.violation", "scope.violation"])
        let stranger = try gov.json(["audit", "events", "--agent", "stranger"])
        #expect(stranger["kind"] == .string("policy.missing"))
        #expect(stranger["session_id"] == .string(AgentChain.sessionID(for: "stranger").value))
        #expect(try gov.run(["audit", "verify"]).status == 0)

        // filter-tools: hidden tools go, the rest keep their order; no policy leaves the list alone.
        let filtered = try gov.run(["--json", "scope", "filter-tools", "-a", "billing-agent", "send_email", "delete_all", "zeta"])
        #expect(try JSONParser.parse(filtered.stdout) == .array([.string("send_email"), .string("zeta")]))
        let piped = try gov.run(["scope", "filter-tools", "-a", "stranger"], stdin: "delete_all\nx\n")
        #expect(piped.stdout == "delete_all\nx\n")
    }

    /// 8 processes x 250 `cost track` on one session sum exactly; once the total passes a cap,
    /// every process's `cost check` exits 12.
    @Test(arguments: Backend.allCases)
    func concurrentTrackingSumsExactlyAndTheCapHoldsForEveryone(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let binary = governanceBinary()
        let script = """
        for i in $(seq 1 250); do
            "\(binary)" -q cost track -a billing-agent -s \(session) --tokens 7 --usd 0.000000123 || exit 1
        done
        """
        let workers = try (1...8).map { _ -> SpawnedProcess in
            let p = try SpawnedProcess("/bin/sh", ["-c", script], environment: gov.environment)
            p.send(nil)
            return p
        }
        for r in workers.map({ $0.finish() }) { #expect(r.status == 0, "\(r.stderr)") }
        let snapshot = try gov.json(["cost", "snapshot", "-a", "billing-agent", "-s", session])
        #expect(snapshot["session_tokens_used"] == .int(8 * 250 * 7))
        #expect(snapshot["session_usd_used"] == .string("0.000246"))   // 2,000 x 123 nano-dollars, exact
        #expect(try gov.run(["cost", "check", "-a", "billing-agent", "-s", session]).status == 0)

        #expect(try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "1", "--usd", "0.5"]).status == 0)
        let checks = try (1...8).map { _ -> SpawnedProcess in
            let p = try SpawnedProcess(binary, ["cost", "check", "-a", "billing-agent", "-s", session], environment: gov.environment)
            p.send(nil)
            return p
        }
        for r in checks.map({ $0.finish() }) {
            #expect(r.status == 12)
            #expect(r.stderr.contains("per_session_usd"))
        }
        #expect(try gov.run(["cost", "check", "-a", "billing-agent", "-s", session, "--projected-tokens", "0"]).status == 2)
        for bad in ["-1", "NaN", "inf", "1e3", "0.0000000001", "99999999999999999999"] {
            let r = try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "1", "--usd", bad])
            #expect(r.status == 2, "--usd \(bad): \(r.stderr)")
        }
        #expect(try gov.json(["cost", "snapshot", "-a", "billing-agent", "-s", session])["session_tokens_used"] == .int(14_001))
    }

    @Test(arguments: Backend.allCases)
    func trackUsagePricesAndAuditsTheModelCall(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let r = try gov.json(["cost", "track-usage", "-a", "billing-agent", "-s", session, "-m", "gpt-4o-2024-08-06",
                              "--input-tokens", "1000", "--output-tokens", "500"])
        #expect(r["usd"] == .string("0.0075"))
        let event = try gov.json(["audit", "events", "--session", session])
        #expect(event["kind"] == .string("llm.call") && event["model"] == .string("gpt-4o-2024-08-06"))
        let unknown = try gov.run(["cost", "track-usage", "-a", "billing-agent", "-s", session, "-m", "my-local-llm",
                                   "--input-tokens", "10", "--output-tokens", "10"])
        #expect(unknown.status == 0 && unknown.stderr.contains("no price is known"))
        #expect(try gov.run(["cost", "models", "--unpriced"]).stdout == "my-local-llm\n")
        let breakdown = try gov.json(["cost", "breakdown", "-a", "billing-agent"])
        #expect(breakdown["models"].map { if case .array(let a) = $0 { a.count } else { 0 } } == 2)
    }

    @Test(arguments: Backend.allCases)
    func loopRaiseDeniesAndLogWarns(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let codes = try (1...5).map { _ in try gov.run(["loop", "record", "-a", "billing-agent", "-s", session, "-t", "Search"]).status }
        #expect(codes == [0, 0, 0, 13, 13])
        #expect(try gov.json(["loop", "check", "-a", "billing-agent", "-s", session])["in_loop"] == .bool(true))
        let logged = try (1...2).map { _ in try gov.run(["loop", "record", "-a", "chatty-agent", "-s", session, "-t", "search"]) }
        #expect(logged.map(\.status) == [0, 0])
        #expect(logged[1].stderr.contains("loop"))
        let kinds = try gov.run(["--json", "audit", "events", "--session", session, "--kind", "loop.detected"]).stdout.split(separator: "\n")
        #expect(kinds.count == 3)
    }

    /// A bad policy file exits 2 naming the file, the path and the reason, and stores nothing.
    @Test(arguments: Backend.allCases)
    func badPolicyFileChangesNothing(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let before = try gov.run(["policy", "export"]).stdout
        let bad = gov.home + "/bad.yaml"
        try "agents:\n  billing-agent:\n    budget: {per_session_usd: -1}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let good = gov.home + "/good.yaml"
        try "agents:\n  new-agent:\n    scope: {allowed_tools: [x]}\n".write(toFile: good, atomically: true, encoding: .utf8)
        let r = try gov.run(["policy", "apply", "-f", good, "-f", bad])
        #expect(r.status == 2)
        #expect(r.stderr.contains(bad) && r.stderr.contains("agents.billing-agent.budget.per_session_usd"))
        #expect(try gov.run(["policy", "export"]).stdout == before)
        #expect(try gov.run(["policy", "show", "new-agent"]).status == 11)

        // export round-trips: applying it again changes nothing.
        let exported = gov.home + "/exported.yaml"
        try before.write(toFile: exported, atomically: true, encoding: .utf8)
        let again = try gov.json(["policy", "apply", "-f", exported])
        guard case .array(let applied)? = again["applied"] else { Issue.record("no applied list"); return }
        #expect(applied.allSatisfy { $0["changed"] == .bool(false) })
        #expect(try gov.run(["policy", "delete", "chatty-agent"]).status == 0)
        #expect(try gov.run(["policy", "delete", "chatty-agent"]).status == 11)
    }

    /// An unreachable store fails closed (exit 4) unless --fail-open, which allows with a warning.
    @Test func unreachableStoreFailsClosedUnlessFailOpen() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql:///postgres?host=/nonexistent-socket-dir&connect_timeout=2"
        for command in [["scope", "check", "-a", "a", "-t", "x"], ["cost", "check", "-a", "a"], ["loop", "record", "-a", "a", "-t", "x"]] {
            #expect(try gov.run(command).status == 4, "\(command)")
            let open = try gov.run(["--fail-open", "--json"] + command)
            #expect(open.status == 0, "\(command): \(open.stderr)")
            #expect(try JSONParser.parse(open.stdout)["fail_open"] == .bool(true))
            #expect(open.stderr.contains("--fail-open"))
        }
    }
}
