import GovernanceCore
import Testing

/// Policy files as hostile input: every rule of docs/POLICIES.md, and the YAML a policy never needs.
@Suite struct PolicyFileTests {
    static let example = """
        agents:
          billing-agent:
            scope:  {allowed_tools: [read_invoice, send_email], allowed_apis: ["GET https://api.stripe.com/v1/*"], hidden_tools: [delete_all]}
            budget: {per_session_usd: 0.50, per_session_tokens: 100000, per_agent_usd_daily: 10.00, per_agent_tokens_daily: 2000000, per_session_seconds: 300}
            loop:   {window_seconds: 60, max_calls: 5, action: raise}     # raise | log
            contracts: {}
        """

    static func parse(_ text: String, source: String = "policy.yaml") throws -> PolicyDocument {
        try PolicyParser.parse(Array(text.utf8), source: source)
    }

    /// The error a bad policy gives: exit 2, naming the file, and the path when given.
    static func rejects(_ text: String, path: String? = nil, containing reason: String) {
        do {
            let document = try parse(text, source: "bad.yaml")
            Issue.record("accepted a bad policy: \(document)")
        } catch let error as GovernanceError {
            #expect(error.exitCode == 2, "\(error.message)")
            #expect(error.message.hasPrefix("bad.yaml: "), "\(error.message)")
            if let path { #expect(error.message.contains(path + ": "), "\(error.message)") }
            if !reason.isEmpty { #expect(error.message.contains(reason), "\(error.message)") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func theIssueExampleParsesExactly() throws {
        let document = try Self.parse(Self.example)
        #expect(document.agents.count == 1)
        let p = document.agents[0]
        #expect(p.agentID == "billing-agent")
        #expect(p.scope?.allowedTools == ["read_invoice", "send_email"])
        #expect(p.scope?.allowedAPIs.map(\.text) == ["GET https://api.stripe.com/v1/*"])
        #expect(p.scope?.hiddenTools == ["delete_all"])
        #expect(p.budget == BudgetPolicy(perSessionUSD: Money(nanos: 500_000_000), perSessionTokens: 100_000,
                                         perAgentUSDDaily: Money(nanos: 10_000_000_000), perAgentTokensDaily: 2_000_000, perSessionSeconds: 300))
        #expect(p.loop == LoopPolicy(windowSeconds: 60, maxCalls: 5, action: .raise))
        #expect(p.declaresContracts)
        #expect(p.canonicalJSON == #"{"budget":{"per_agent_tokens_daily":2000000,"per_agent_usd_daily":"10","per_session_seconds":300,"per_session_tokens":100000,"per_session_usd":"0.5"},"contracts":{},"loop":{"action":"raise","max_calls":5,"window_seconds":60},"scope":{"allowed_apis":["GET https://api.stripe.com/v1/*"],"allowed_tools":["read_invoice","send_email"],"hidden_tools":["delete_all"]}}"#)
        #expect(p.sha256 == Digest.sha256Hex(p.canonicalJSON))
    }

    @Test func jsonPoliciesReadTheSameAndKeepExactDecimals() throws {
        let json = #"{"agents":{"billing-agent":{"scope":{"allowed_tools":["read_invoice","send_email"],"allowed_apis":["GET https://api.stripe.com/v1/*"],"hidden_tools":["delete_all"]},"budget":{"per_session_usd":0.50,"per_session_tokens":100000,"per_agent_usd_daily":10.00,"per_agent_tokens_daily":2000000,"per_session_seconds":300},"loop":{"window_seconds":60,"max_calls":5,"action":"raise"},"contracts":{}}}}"#
        #expect(try Self.parse(json).agents == Self.parse(Self.example).agents)
        // 0.1 + 0.2 is not 0.3 in floating point; here every digit is kept.
        let precise = try Self.parse(#"{"agents": {"a": {"budget": {"per_session_usd": 1234567.123456789}}}}"#)
        #expect(precise.agents[0].budget?.perSessionUSD == Money(nanos: 1_234_567_123_456_789))
        // JSON is held to JSON's rules: a duplicate key is refused by the JSON parser.
        Self.rejects(#"{"agents": {"a": {}, "a": {}}}"#, containing: "duplicate key")
    }

    @Test func yamlAliasesAnchorsAndBombsAreRefusedAtOnce() {
        let bomb = """
            a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
            e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
            f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
            g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
            """
        Self.rejects(bomb, containing: "anchors are not allowed")
        Self.rejects("agents:\n  a: *x\n", containing: "alias")
        Self.rejects("agents: &top\n  a: {}\n", containing: "anchors are not allowed")
        Self.rejects("agents:\n  a: !!map {}\n", containing: "tags are not allowed")
        Self.rejects("agents:\n  a:\n    <<: {scope: {}}\n", path: "agents.a.<<", containing: "not a known key")
    }

    @Test func documentShapeRulesAreEnforced() {
        Self.rejects("agents:\n  a: {}\n---\nagents:\n  b: {}\n", containing: "more than one YAML document")
        Self.rejects(String(repeating: "#", count: (1 << 20) + 1), containing: "the limit is 1 MiB")
        Self.rejects("agents:\n  a: {}\n  a: {}\n", containing: "duplicate key \"a\"")
        Self.rejects("agents:\n  123: {}\n", containing: "is not a string in YAML")
        Self.rejects("agents:\n  yes: {}\n", containing: "is not a string in YAML")
        Self.rejects("agents:\n  ~: {}\n", containing: "is not a string in YAML")
        Self.rejects("agents:\n  [a, b]: {}\n", containing: "must be a string")
        Self.rejects(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), containing: "nested deeper than 64")
        Self.rejects("", containing: "empty")
        Self.rejects("agents: {}\n", path: "agents", containing: "names no agent")
        Self.rejects("version: 1\nagents: {a: {}}\n", path: "version", containing: "not a known key")
        Self.rejects("agents: [a]\n", path: "agents", containing: "must be a mapping")
        Self.rejects("agents:\n  a:\n", path: "agents.a", containing: "must be a mapping, not null")
    }

    @Test func everyPolicyRuleNamesThePathAndTheReason() {
        func agent(_ body: String) -> String { "agents:\n  x:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n" }
        Self.rejects(agent("scope: {allowed_tool: [a]}"), path: "agents.x.scope.allowed_tool", containing: "not a known key")
        Self.rejects(agent("scopes: {}"), path: "agents.x.scopes", containing: "not a known key")
        Self.rejects(agent("scope: {allowed_tools: a}"), path: "agents.x.scope.allowed_tools", containing: "must be a list")
        Self.rejects(agent("scope: {allowed_tools: [a, [b]]}"), path: "agents.x.scope.allowed_tools[1]", containing: "must be a string")
        Self.rejects(agent("scope: {allowed_tools: [a, ~]}"), path: "agents.x.scope.allowed_tools[1]", containing: "must be a string")
        Self.rejects(agent("scope: {allowed_tools: [a, a]}"), path: "agents.x.scope.allowed_tools[1]", containing: "repeats")
        Self.rejects(agent("budget: {per_session_usd: -0.01}"), path: "agents.x.budget.per_session_usd", containing: "negative")
        Self.rejects(agent("budget: {per_session_tokens: -5}"), path: "agents.x.budget.per_session_tokens", containing: "must not be negative")
        Self.rejects(agent("budget: {per_session_tokens: 1.5}"), path: "agents.x.budget.per_session_tokens", containing: "whole number")
        Self.rejects(agent("budget: {per_session_tokens: 1e6}"), path: "agents.x.budget.per_session_tokens", containing: "whole number")
        Self.rejects(agent("budget: {per_session_tokens: 9007199254740992}"), path: "agents.x.budget.per_session_tokens", containing: "from 0 to 9007199254740991")
        Self.rejects(agent("budget: {per_session_seconds: 86401}"), path: "agents.x.budget.per_session_seconds", containing: "from 0 to 86400")
        Self.rejects(agent("budget: {per_session_seconds: -1}"), path: "agents.x.budget.per_session_seconds", containing: "negative")
        Self.rejects(agent("budget: {}"), path: "agents.x.budget", containing: "sets no cap")
        Self.rejects(agent("budget: {per_session_usd: x}"), path: "agents.x.budget.per_session_usd", containing: "not a decimal")
        Self.rejects(agent("loop: {window_seconds: 60, max_calls: 0}"), path: "agents.x.loop.max_calls", containing: "from 1 to")
        Self.rejects(agent("loop: {window_seconds: 60}"), path: "agents.x.loop.max_calls", containing: "is missing")
        Self.rejects(agent("loop: {window_seconds: 60, max_calls: 5, action: block}"), path: "agents.x.loop.action", containing: "raise or log")
        Self.rejects(agent("loop: {window_seconds: 0, max_calls: 5}"), path: "agents.x.loop.window_seconds", containing: "from 1 to 86400")
        Self.rejects(agent("contracts: {pre: [x]}"), path: "agents.x.contracts.pre", containing: "must be a mapping")
        Self.rejects(agent("contracts: {t: {pre: [{check: telepathy}]}}"), path: "agents.x.contracts.t.pre[0].check", containing: "hitl_approved")
        Self.rejects(agent("scope: {allowed_apis: [\"GET https://*.stripe.com/v1\"]}"), path: "agents.x.scope.allowed_apis[0]", containing: "invalid host")
        Self.rejects(agent("scope: {allowed_apis: [\"https://api.stripe.com/v1\"]}"), path: "agents.x.scope.allowed_apis[0]", containing: "METHOD URL")
        Self.rejects(agent("scope: {allowed_apis: [\"GET ftp://api.stripe.com/v1\"]}"), path: "agents.x.scope.allowed_apis[0]", containing: "http or https")
        Self.rejects(agent("scope: {allowed_apis: [\"GET https://api.stripe.com/v1/../admin\"]}"), path: "agents.x.scope.allowed_apis[0]", containing: "dot segment")
        Self.rejects(agent("scope: {allowed_apis: [\"GET https://api.stripe.com/v1?x=1\"]}"), path: "agents.x.scope.allowed_apis[0]", containing: "may not hold")
    }

    @Test func listsOfMoreThanTenThousandEntriesAreRefused() throws {
        let names = (0..<10_001).map { "t\($0)" }
        Self.rejects("agents:\n  x:\n    scope: {allowed_tools: [\(names.joined(separator: ", "))]}\n",
                     path: "agents.x.scope.allowed_tools", containing: "has 10001 entries; the limit is 10000")
        let ok = try Self.parse("agents:\n  x:\n    scope: {allowed_tools: [\(names.dropLast().joined(separator: ", "))]}\n")
        #expect(ok.agents[0].scope?.allowedTools.count == 10_000)
    }

    @Test func moneyIsNeverAFloat() {
        func usd(_ text: String) -> String { "agents:\n  x:\n    budget: {per_session_usd: \(text)}\n" }
        for bad in [".nan", "NaN", ".inf", "-.inf", "inf", "1e3", "0x10", "1_000", "0.0000000001", "+1", "1.", ".5", "\"1,5\"", "9223372037", "\"-1\""] {
            Self.rejects(usd(bad), path: "agents.x.budget.per_session_usd", containing: bad.contains("-") ? "negative" : "")
        }
        #expect((try? Self.parse(usd("\"0.10\"")))?.agents[0].budget?.perSessionUSD == Money(nanos: 100_000_000))
        #expect((try? Self.parse(usd("9223372036.854775807")))?.agents[0].budget?.perSessionUSD == Money(nanos: .max))
        #expect((try? Self.parse(usd("0.000000001")))?.agents[0].budget?.perSessionUSD == Money(nanos: 1))
    }

    @Test func controlCharactersAndBadIdentifiersNeverBecomeNames() {
        Self.rejects("agents:\n  \"a\\0b\": {}\n", containing: "control characters")
        Self.rejects("agents:\n  x:\n    scope: {allowed_tools: [\"read\\x1b[2J\"]}\n", containing: "control characters")
        Self.rejects("agents:\n  x:\n    scope: {allowed_tools: [\"a\\u0085b\"]}\n", containing: "control characters")
        Self.rejects("agents:\n  \"\": {}\n", path: "agents.", containing: "must not be empty")
        Self.rejects("agents:\n  \(String(repeating: "a", count: 257)): {}\n", containing: "limit is 256")
        Self.rejects("agents:\n  x:\n    scope: {allowed_tools: [\"\"]}\n", path: "agents.x.scope.allowed_tools[0]", containing: "must not be empty")
        // A raw NUL byte in the file is refused by libyaml itself.
        #expect(throws: GovernanceError.self) { try Self.parse("agents:\n  a\u{0}b: {}\n") }
    }

    @Test func exportedYAMLParsesBackToTheSamePolicies() throws {
        let tricky = AgentPolicy(agentID: "we\"ird: agent # not a comment",
                                 scope: ScopePolicy(allowedTools: ["- dash", "'quote'", "yes", "null", "123", "a\\b", "ünï", "{x}"],
                                                    allowedAPIs: [try APIPattern.parse("post HTTPS://API.Example.com:8443/v1/*/items/*")],
                                                    hiddenTools: ["&anchor", "*alias", "!tag"]),
                                 budget: BudgetPolicy(perSessionUSD: Money(nanos: 1), perAgentTokensDaily: 9_007_199_254_740_991),
                                 loop: LoopPolicy(windowSeconds: 86_400, maxCalls: 1, action: .log), declaresContracts: true)
        let plain = try Self.parse(Self.example).agents[0]
        let empty = AgentPolicy(agentID: "nothing-allowed")
        let yaml = PolicyYAML.emit([tricky, plain, empty])
        let back = try PolicyParser.parse(Array(yaml.utf8), source: "export.yaml")
        #expect(back.agents == [tricky, plain, empty])
        #expect(back.agents.map(\.sha256) == [tricky, plain, empty].map(\.sha256))
        #expect(PolicyYAML.emit(back.agents) == yaml)
    }
}
