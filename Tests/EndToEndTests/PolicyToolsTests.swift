import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `policy diff`, `policy apply --dry-run` and `policy test`, through the built binary.
@Suite struct PolicyToolsTests {
    static let example = packageRoot() + "/examples/policy-test"

    static let before = """
    agents:
      billing-agent:
        scope: {allowed_tools: [read_invoice, charge]}
        budget: {per_session_usd: 0.50, tool_prices: {charge: 0.1, refund: 0.2}}
        loop: {window_seconds: 60, max_calls: 5}
      ops-agent:
        scope: {allowed_tools: [restart]}
      kept-agent: {}
    """

    static let after = """
    agents:
      billing-agent:
        scope: {allowed_tools: [read_invoice, refund]}
        budget: {per_session_usd: 1.00, tool_prices: {refund: 0.25, read_invoice: 0.001}}
        loop: {window_seconds: 60, max_calls: 5, action: log}
        contracts:
          refund:
            pre: [{check: hitl_approved, params: {kind: refund}}]
      ops-agent:
        scope: {allowed_tools: [restart]}
      new-agent:
        scope: {allowed_tools: [search]}
    """

    static func write(_ text: String, _ gov: Governance, _ name: String) throws -> String {
        let path = gov.home + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The binary as is, with no operator key added (the test helper adds one to operator commands).
    static func bare(_ gov: Governance, _ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(governanceBinary(), arguments, environment: gov.environment.merging(extra) { $1 })
    }

    static func agents(_ document: JSONValue) -> [String: JSONValue] {
        var byID: [String: JSONValue] = [:]
        for agent in document["agents"]?.arrayValue ?? [] { byID[agent["agent_id"]?.stringValue ?? "?"] = agent }
        return byID
    }

    static func change(_ agent: JSONValue?, _ key: String) -> JSONValue? {
        agent?["changes"]?.arrayValue?.first { $0["key"]?.stringValue == key }
    }

    @Test(arguments: Backend.allCases)
    func diffShowsPerAgentWhatApplyWouldChangeAndExitsOneWhenSomethingWould(backend: Backend) throws {
        let gov = try Governance.applying(Self.before, backend: backend)
        let same = try Self.write(Self.before, gov, "before.yaml")
        let next = try Self.write(Self.after, gov, "after.yaml")

        let unchanged = try gov.run(["policy", "diff", "-f", same])
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        #expect(unchanged.stdout.contains("= billing-agent  unchanged") && unchanged.stdout.contains("0 added, 0 changed, 3 unchanged"), "\(unchanged.stdout)")

        let r = try gov.run(["--json", "policy", "diff", "-f", next])
        #expect(r.status == 1, "\(r.stderr)")
        let diff = try JSONParser.parse(r.stdout)
        #expect(diff["differs"] == .bool(true))
        let byID = Self.agents(diff)
        #expect(byID["billing-agent"]?["status"] == .string("changed"))
        #expect(byID["ops-agent"]?["status"] == .string("unchanged") && byID["ops-agent"]?["changes"] == .array([]))
        #expect(byID["new-agent"]?["status"] == .string("added") && byID["new-agent"]?["old_sha256"] == .null)
        #expect(byID["kept-agent"]?["status"] == .string("not_in_files"))
        let billing = byID["billing-agent"]
        #expect(Self.change(billing, "budget.per_session_usd")?["old"] == .string("0.5"))
        #expect(Self.change(billing, "budget.per_session_usd")?["new"] == .string("1"))
        #expect(Self.change(billing, "scope.allowed_tools")?["added"] == .array([.string("refund")]))
        #expect(Self.change(billing, "scope.allowed_tools")?["removed"] == .array([.string("charge")]))
        #expect(Self.change(billing, "loop.action")?["old"] == .string("raise") && Self.change(billing, "loop.action")?["new"] == .string("log"))
        #expect(Self.change(billing, "contracts.refund")?["old"] == .null)
        #expect(Self.change(billing, "loop.max_calls") == nil, "an unchanged key is not listed")
        // Tool prices, tool by tool.
        #expect(Self.change(billing, "budget.tool_prices.charge")?["old"] == .string("0.1") && Self.change(billing, "budget.tool_prices.charge")?["new"] == .null)
        #expect(Self.change(billing, "budget.tool_prices.refund")?["old"] == .string("0.2") && Self.change(billing, "budget.tool_prices.refund")?["new"] == .string("0.25"))
        #expect(Self.change(billing, "budget.tool_prices.read_invoice")?["old"] == .null)

        let text = try gov.run(["policy", "diff", "-f", next])
        #expect(text.status == 1)
        #expect(text.stdout.contains("~ billing-agent  changed\n"), "\(text.stdout)")
        #expect(text.stdout.contains(#"    budget.per_session_usd: "0.5" -> "1""#), "\(text.stdout)")
        #expect(text.stdout.contains(#"    scope.allowed_tools: + "refund", - "charge""#), "\(text.stdout)")
        #expect(text.stdout.contains(#"    budget.tool_prices.refund: "0.2" -> "0.25""#), "\(text.stdout)")
        #expect(text.stdout.contains("+ new-agent  added"), "\(text.stdout)")

        // A diff writes nothing: the store holds the policies applied before.
        #expect(try gov.run(["policy", "diff", "-f", same]).status == 0)
        // A bad file is exit 2, naming the path.
        let bad = try Self.write("agents: {a: {scope: {allowed_tool: [x]}}}", gov, "bad.yaml")
        let refused = try gov.run(["policy", "diff", "-f", bad])
        #expect(refused.status == 2 && refused.stderr.contains("agents.a.scope.allowed_tool"), "\(refused.stderr)")
    }

    @Test(arguments: Backend.allCases)
    func diffComparesWithTheSignedPolicyNotAHandWrittenRow(backend: Backend) throws {
        let gov = try Governance.applying(Self.before, backend: backend)
        let same = try Self.write(Self.before, gov, "before.yaml")
        // Someone with database access loosens the stored scope: the enforcement path ignores the
        // row, so the diff must not call the file "unchanged" against it.
        let db = try #require(gov.database).rawConnection()
        _ = try db.execute("UPDATE governance_policies SET policy = REPLACE(policy, 'charge', 'wire_money') WHERE agent_id = 'billing-agent'", [])
        let r = try gov.run(["--json", "policy", "diff", "-f", same])
        #expect(r.status == 1, "\(r.stderr)")
        let billing = Self.agents(try JSONParser.parse(r.stdout))["billing-agent"]
        #expect(billing?["status"] == .string("added"))
        #expect(billing?["stored_ignored"] == .string("mismatched"), "\(r.stdout)")
    }

    @Test(arguments: Backend.allCases)
    func dryRunWritesNothingAndNeedsNoOperatorKey(backend: Backend) throws {
        let gov = try Governance.applying(Self.before, backend: backend)
        let next = try Self.write(Self.after, gov, "after.yaml")
        let events = try gov.run(["audit", "export"]).stdout

        let dry = try Self.bare(gov, ["--json", "policy", "apply", "--dry-run", "-f", next])
        #expect(dry.status == 0, "\(dry.stderr)")
        let document = try JSONParser.parse(dry.stdout)
        #expect(document["dry_run"] == .bool(true) && document["differs"] == .bool(true) && document["operator"] == .null)
        #expect(Self.agents(document)["new-agent"]?["status"] == .string("added"))
        #expect(try gov.run(["audit", "export"]).stdout == events, "a dry run audits nothing")
        #expect(try gov.run(["policy", "show", "new-agent"]).status == 11, "a dry run stores nothing")

        // Without --dry-run the key is still required.
        let real = try Self.bare(gov, ["policy", "apply", "-f", next])
        #expect(real.status == 2 && real.stderr.contains("--operator-key"), "\(real.stderr)")

        // A key given is checked: a dry run that passes means the apply would be signed.
        let signed = try Self.bare(gov, ["--json", "policy", "apply", "--dry-run", "-f", next, "--operator-key", try gov.operatorKey("admin")])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(try JSONParser.parse(signed.stdout)["operator"] == .string("admin"))
        let strangerKey = gov.home + "/stranger.pem"
        #expect(try Self.bare(gov, ["operator", "keygen", "--out", strangerKey]).status == 0)
        let stranger = try Self.bare(gov, ["policy", "apply", "--dry-run", "-f", next, "--operator-key", strangerKey])
        #expect(stranger.status == 22, "\(stranger.stderr)")
        #expect(try gov.run(["audit", "export"]).stdout == events)
    }

    @Test func dryRunOnAFreshHomeCreatesNoStoreAndNoSecret() throws {
        let gov = try Governance()
        var environment = gov.environment
        environment["GOVERNANCE_AUDIT_SECRET"] = nil
        let home = gov.home + "/fresh"
        environment["GOVERNANCE_HOME"] = home
        let file = try Self.write(Self.after, gov, "after.yaml")
        let r = try runProcess(governanceBinary(), ["policy", "apply", "--dry-run", "-f", file], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("dry run: nothing was written\n") && r.stdout.contains("3 added, 0 changed, 0 unchanged"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: home), "a dry run created \(home)")
        let diff = try runProcess(governanceBinary(), ["policy", "diff", "-f", file], environment: environment)
        #expect(diff.status == 1 && !FileManager.default.fileExists(atPath: home))
    }

    /// docs/POLICIES.md shows the example files as they are, and every case of it passes.
    @Test func theDocumentedExampleIsTheFixtureAndPasses() throws {
        let docs = try String(contentsOfFile: packageRoot() + "/docs/POLICIES.md", encoding: .utf8)
        let policy = try String(contentsOfFile: Self.example + "/policies.yaml", encoding: .utf8)
        let cases = try String(contentsOfFile: Self.example + "/cases.yaml", encoding: .utf8)
        let policyBlock = try ReadmeTourTests.block(after: "The example the tests run", fence: "yaml", in: docs)
        let casesBlock = try ReadmeTourTests.block(after: "and its cases, all of which pass", fence: "yaml", in: docs)
        #expect(policyBlock + "\n" == policy, "docs/POLICIES.md's example policy differs from examples/policy-test/policies.yaml")
        #expect(casesBlock + "\n" == cases, "docs/POLICIES.md's example cases differ from examples/policy-test/cases.yaml")

        let gov = try Governance()
        let r = try gov.run(["policy", "test", "-f", Self.example + "/policies.yaml", "--cases", Self.example + "/cases.yaml"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("10 cases, 10 passed, 0 failed\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("FAIL"))
    }

    /// No store is opened: with GOVERNANCE_HOME nowhere, unwritable, and a database URL that
    /// cannot be reached, the cases run the same and nothing is created.
    @Test func policyTestOpensNoStore() throws {
        let gov = try Governance()
        let locked = gov.home + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        #expect(chmod(locked, 0o500) == 0)
        defer { _ = chmod(locked, 0o700) }
        let arguments = ["policy", "test", "-f", Self.example + "/policies.yaml", "--cases", Self.example + "/cases.yaml"]
        for extra in [["GOVERNANCE_HOME": "/nonexistent/governance-home"], ["GOVERNANCE_HOME": locked],
                      ["GOVERNANCE_HOME": locked, "GOVERNANCE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"],
                      ["GOVERNANCE_HOME": locked, "GOVERNANCE_DATABASE_URL": "sqlite:/nonexistent/x.db", "GOVERNANCE_AUDIT_SECRET": "weak"]] {
            var environment = gov.environment
            environment["GOVERNANCE_AUDIT_SECRET"] = nil
            for (k, v) in extra { environment[k] = v }
            let r = try runProcess(governanceBinary(), arguments, environment: environment)
            #expect(r.status == 0, "\(extra): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.isEmpty, "\(extra): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/governance-home"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked).isEmpty)
    }

    @Test func aFailingCaseExitsOneNamingTheCaseAndWhy() throws {
        let gov = try Governance()
        let cases = try Self.write("""
        cases:
          - {name: expects too much, agent: billing-agent, scope: {tool: delete_all}, expect: allow}
          - {name: wrong reason, agent: billing-agent, scope: {tool: nope}, expect: deny, reason: hidden}
          - {name: holds, agent: billing-agent, scope: {tool: refund}, expect: allow}
          - name: log allows with a warning
            agent: logger
            loop: {calls: [{tool: t}, {tool: t}]}
            expect: allow
          - name: custom is not run
            agent: custom-agent
            contract: {tool: t}
            expect: allow
        """, gov, "cases.yaml")
        let policy = try Self.write("""
        agents:
          billing-agent: {scope: {allowed_tools: [refund], hidden_tools: [delete_all]}}
          logger: {loop: {window_seconds: 10, max_calls: 1, action: log}}
          custom-agent:
            contracts: {t: {pre: [{check: custom, params: {command: ["/bin/true"]}}]}}
        """, gov, "policy.yaml")
        let r = try gov.run(["policy", "test", "-f", policy, "--cases", cases])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(#"FAIL - expects too much (scope, billing-agent): expected allow, got deny: deny: tool "delete_all" is hidden"#), "\(r.stdout)")
        #expect(r.stdout.contains(#"FAIL - wrong reason (scope, billing-agent): the message does not contain "hidden""#), "\(r.stdout)")
        #expect(r.stdout.contains("PASS - holds (scope, billing-agent): allow: allowed by \"refund\""), "\(r.stdout)")
        #expect(r.stdout.contains("PASS - log allows with a warning") && r.stdout.contains("    warning: call #2: loop detected"), "\(r.stdout)")
        #expect(r.stdout.contains("FAIL - custom is not run") && r.stdout.contains("policy test does not run custom commands"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("5 cases, 2 passed, 3 failed\n"), "\(r.stdout)")

        let json = try JSONParser.parse(try gov.run(["--json", "policy", "test", "-f", policy, "--cases", cases]).stdout)
        #expect(json["passed"] == .bool(false))
        #expect(json["summary"]?["failed"] == .int(3))
        let first = try #require(json["cases"]?.arrayValue?.first)
        #expect(first["code"] == .string("scope_violation") && first["exit_code"] == .int(10) && first["passed"] == .bool(false))
    }

    @Test func hostileCasesFilesAreExitTwoWithAClearMessage() throws {
        let gov = try Governance()
        let policy = try Self.write("agents: {a: {scope: {allowed_tools: [t]}}}", gov, "policy.yaml")
        func refused(_ text: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let file = try Self.write(text, gov, "cases.yaml")
            let r = try gov.run(["policy", "test", "-f", policy, "--cases", file])
            #expect(r.status == 2, "\(r.stdout)\(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains(expected), "\(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
        }
        let one = "{name: c, agent: a, expect: allow, scope: {tool: t}}"
        try refused("cases: [" + one + "]\n# " + String(repeating: "x", count: 1 << 20), "over 1 MiB")
        try refused(String(repeating: "[", count: 200) + String(repeating: "]", count: 200), "nested deeper than 64")
        try refused("cases: [{name: c, agent: a, expect: allow, scope: {tool: t}, sudo: true}]", "cases[0].sudo: is not a known key")
        try refused("cases: [{name: c, agent: a, expect: allow, scope: {tool: t, api: x}}]", "cases[0].scope: must give exactly one of tool, api")
        try refused("cases: [{name: c, agent: a, expect: allow, scope: {tool: t}, loop: {calls: [{tool: t}]}}]", "must ask exactly one of")
        try refused("cases: [{name: c, agent: a, expect: maybe, scope: {tool: t}}]", "cases[0].expect: is \"maybe\"; it must be allow or deny")
        try refused("cases: [{name: c, agent: a, expect: deny, loop: {calls: [{tool: t, at: 5}, {tool: t, at: 4}]}}]", "calls are in time order")
        try refused("cases: [\(one), \(one)]", "cases[1].name: repeats")
        try refused("cases: [{name: c, agent: a, expect: deny, budget: {model: gpt-4o}}]", "needs a token count")
        try refused("cases: [{name: c, agent: a, expect: deny, budget: {spent: {session_usd: -1}}}]", "session_usd")
        try refused("cases: [{name: \"bad\\u0007name\", agent: a, expect: allow, scope: {tool: t}}]", "control characters")
        try refused("x: &a [1]\ncases: *a", "anchors")
        let many = "cases:\n" + (0...PolicyTest.maxCases).map { "- {name: c\($0), agent: a, expect: allow, scope: {tool: t}}\n" }.joined()
        try refused(many, "the limit is 10000")
        // A bad policy file is exit 2 too, before any case runs.
        let badPolicy = try Self.write("agents: {a: {scope: {allowed_tools: t}}}", gov, "bad-policy.yaml")
        let r = try gov.run(["policy", "test", "-f", badPolicy, "--cases", Self.example + "/cases.yaml"])
        #expect(r.status == 2 && r.stderr.contains("agents.a.scope.allowed_tools"), "\(r.stderr)")
    }
}
