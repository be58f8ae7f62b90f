import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `budget.tool_prices`: decimal USD per call of a tool, under the USD caps' money rules and
/// scope's tool-name rules, in the canonical form, the stored form and the export.
@Suite struct ToolPriceTests {
    static func parse(_ text: String) throws -> AgentPolicy {
        try #require(try PolicyParser.parse(Array(text.utf8), source: "p.yaml").agents.first)
    }

    static func budget(_ body: String) -> String {
        "agents:\n  a:\n    budget:\n      per_session_usd: 1\n" + body
    }

    @Test func pricesParseExactlyAndKeepTheCanonicalOrder() throws {
        let policy = try Self.parse(Self.budget("      tool_prices: {web_search: 0.01, charge_card: \"0.25\", \"ünï\": 0.000000001, free: 0}\n"))
        let budget = try #require(policy.budget)
        // Canonical (RFC 8785) order, whatever the file's.
        #expect(budget.toolPrices.map(\.tool) == ["charge_card", "free", "web_search", "ünï"])
        #expect(budget.price(of: "web_search") == Money(nanos: 10_000_000))
        #expect(budget.price(of: "charge_card") == Money(nanos: 250_000_000))
        #expect(budget.price(of: "ünï") == Money(nanos: 1))
        #expect(budget.price(of: "free") == .zero)
        // Compared as bytes: no case folding, no trimming, no Unicode normalisation.
        #expect(budget.price(of: "Web_search") == nil && budget.price(of: "web_search ") == nil)
        #expect(budget.price(of: "u\u{308}n\u{131}") == nil)
        #expect(budget.price(of: "un\u{308}i\u{308}") == nil, "the NFD form of a priced NFC name is another tool")
        #expect(!BudgetPolicy(toolPrices: budget.toolPrices).hasCap, "tool_prices is not a cap")
        #expect(policy.canonicalJSON == #"{"budget":{"per_session_usd":"1","tool_prices":{"charge_card":"0.25","free":"0","web_search":"0.01","ünï":"0.000000001"}}}"#)
    }

    @Test func theStoredFormAndTheExportGiveTheSamePolicyBack() throws {
        let policy = try Self.parse(Self.budget("""
                  alert_at: 80%
                  tool_prices: {zeta: 1.5, "we\\"ird: # tool": 0.02, "- dash": 3, alpha: 0.000000001}
                notify: {command: "/bin/cat", timeout_seconds: 3}
            """ + "\n"))
        #expect(try PolicyParser.stored(agentID: "a", canonicalJSON: policy.canonicalJSON) == policy)
        let yaml = PolicyYAML.emit([policy])
        let back = try #require(try PolicyParser.parse(Array(yaml.utf8), source: "export.yaml").agents.first)
        #expect(back == policy, "\(yaml)")
        #expect(back.sha256 == policy.sha256)
        #expect(back.budget?.alertAtPercent == 80 && back.notify == NotifyPolicy(command: "/bin/cat", timeoutSeconds: 3), "\(yaml)")
        // A policy with only a hook is exported with it, not as `{}`.
        let hookOnly = try Self.parse("agents:\n  a:\n    notify: {command: \"/bin/cat\"}\n")
        #expect(try PolicyParser.parse(Array(PolicyYAML.emit([hookOnly]).utf8), source: "x").agents == [hookOnly])
        // JSON files and an empty mapping.
        let json = try #require(try PolicyParser.parse(Array(#"{"agents":{"a":{"budget":{"per_session_usd":1,"tool_prices":{"zeta":1.50}}}}}"#.utf8), source: "p.json").agents.first)
        #expect(json.budget?.price(of: "zeta") == Money(nanos: 1_500_000_000))
        let empty = try Self.parse(Self.budget("      tool_prices: {}\n"))
        #expect(empty.budget?.toolPrices == [] && !empty.canonicalJSON.contains("tool_prices"))
    }

    /// Every bad `tool_prices` is refused (exit 2) naming the file, the path and why.
    @Test func badPricesAreRefusedNamingThePath() throws {
        func rejects(_ body: String, path: String?, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let policy = try Self.parse(body)
                Issue.record("accepted \(policy)", sourceLocation: sourceLocation)
            } catch let error as GovernanceError {
                #expect(error.exitCode == 2, "\(error.message)", sourceLocation: sourceLocation)
                #expect(error.message.hasPrefix("p.yaml: "), "\(error.message)", sourceLocation: sourceLocation)
                if let path { #expect(error.message.contains(path), "\(error.message)", sourceLocation: sourceLocation) }
                #expect(error.message.contains(reason), "\(error.message)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        let prices = "agents.a.budget.tool_prices"
        // (The reader refuses control characters in any string before the name rules see them.)
        rejects(Self.budget("      tool_prices: {\"read\\x1b[2J\": 0.01}\n"), path: nil, "control character")
        rejects(Self.budget("      tool_prices: {\"\": 0.01}\n"), path: prices + ".: ", "must not be empty")
        rejects(Self.budget("      tool_prices: {\(String(repeating: "t", count: 257)): 0.01}\n"), path: prices + ".ttt", "limit is 256")
        rejects(Self.budget("      tool_prices: {search: 0.01, search: 0.02}\n"), path: nil, "duplicate key \"search\"")
        // Canonically equivalent names (NFC and NFD) could be applied but never read back from JSON.
        rejects(Self.budget("      tool_prices: {\"caf\\u00e9\": 0.01, \"cafe\\u0301\": 0.02}\n"), path: prices + ".caf", "another Unicode form")
        rejects(Self.budget("      tool_prices: {search: -0.01}\n"), path: prices + ".search: ", "is negative")
        rejects(Self.budget("      tool_prices: {search: 0.0000000001}\n"), path: prices + ".search: ", "more than 9 decimal places")
        rejects(Self.budget("      tool_prices: {search: 1e3}\n"), path: prices + ".search: ", "not a decimal amount")
        rejects(Self.budget("      tool_prices: {search: .inf}\n"), path: prices + ".search: ", "not a decimal amount")
        rejects(Self.budget("      tool_prices: {search: ~}\n"), path: prices + ".search: ", "decimal amount of USD")
        rejects(Self.budget("      tool_prices: [search]\n"), path: prices + ": ", "must be a mapping of tool names")
        let tooMany = (0...PolicyParser.maxToolPrices).map { "t\($0): 0.01" }.joined(separator: ", ")
        rejects(Self.budget("      tool_prices: {\(tooMany)}\n"), path: prices + ": ", "has 1001 entries; the limit is 1000")
        let atTheLimit = (0..<PolicyParser.maxToolPrices).map { "t\($0): 0.01" }.joined(separator: ", ")
        #expect(try Self.parse(Self.budget("      tool_prices: {\(atTheLimit)}\n")).budget?.toolPrices.count == 1_000)
        // Prices alone are not a cap.
        rejects("agents:\n  a:\n    budget: {tool_prices: {search: 0.01}}\n", path: "agents.a.budget: ", "sets no cap")
    }

    /// A hand-edited store is checked as a file is: a bad price is an integrity failure (exit 20).
    @Test func aBadStoredPriceIsAnIntegrityFailure() {
        for bad in [#"{"x":"-1"}"#, #"{"a\u0007b":"1"}"#, #"{"":"1"}"#, #"{"caf\u00e9":"1","cafe\u0301":"2"}"#] {
            #expect(throws: GovernanceError.self, "\(bad)") {
                try PolicyParser.stored(agentID: "a", canonicalJSON: #"{"budget":{"per_session_usd":"1","tool_prices":"# + bad + "}}")
            }
        }
        do {
            _ = try PolicyParser.stored(agentID: "a", canonicalJSON: #"{"budget":{"per_session_usd":"1","tool_prices":{"x":"1.0000000001"}}}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.exitCode == 20 && error.message.contains("tool_prices.x"), "\(error.message)")
        }
    }

    static let enforced = """
        agents:
          bot:
            scope: {allowed_tools: [search, gated, free]}
            budget: {per_session_usd: 0.05, tool_prices: {search: 0.02, gated: 0.02}}
            loop: {window_seconds: 3600, max_calls: 5, action: raise}
            contracts:
              gated:
                pre:
                  - {check: hitl_approved, message: "needs approval", params: {kind: gated.run}}
        """

    struct Fixture {
        let db: TestDatabase
        let store: Store
        let enforcer: Enforcer
        let configuration: Configuration
        let session: SessionID

        init(_ backend: Backend) throws {
            db = try TestDatabase.make(backend)
            store = try db.open()
            configuration = Configuration(store: try db.location, home: db.directory)
            let store = self.store
            enforcer = Enforcer(configuration: configuration, keys: testKeys, openStore: { store })
            try PolicyStore(db: store.connection).apply([try PolicyParser.parse(Array(ToolPriceTests.enforced.utf8), source: "p.yaml")], keys: testKeys)
            session = try SessionID.random()
        }

        func check(_ tool: String) throws -> EnforcementResult<ExecClearance> {
            try enforcer.execCheck(agentID: "bot", sessionID: session, tool: tool, argv: ["x"])
        }

        func snapshot() throws -> BudgetSnapshot {
            try CostLedger(db: store.connection).snapshot(agentID: "bot", sessionID: session, budget: nil)
        }

        func call(_ tool: String, _ callID: String) throws -> PendingEvent {
            try PendingEvent(validating: ExecEvents.call(agentID: "bot", sessionID: session, tool: tool, callID: callID, argv: ["x"], stdinHash: nil))
        }
    }

    /// The check reserves the price (nothing for an unpriced tool, nothing when a later check
    /// denies); `passOn` charges it with the call in one append, settling the reservation.
    @Test(arguments: Backend.allCases)
    func theCheckReservesThePriceAndPassingOnChargesIt(backend: Backend) throws {
        let f = try Fixture(backend)
        let twoCents = try Money.parse("0.02")
        guard case .allowed(let clearance) = try f.check("search").outcome else { Issue.record("denied"); return }
        let charge = try #require(clearance.charge)
        #expect(charge.usd == twoCents && charge.tool == "search" && clearance.reservation == nil)
        #expect(try f.snapshot().sessionUSDReserved == twoCents)
        // An unpriced tool reserves and charges nothing.
        guard case .allowed(let free) = try f.check("free").outcome else { Issue.record("denied"); return }
        #expect(free.charge == nil && free.reservation == nil)
        // A check denied after the budget (the contract's approval) leaves nothing reserved.
        guard case .denied(let error) = try f.check("gated").outcome else { Issue.record("allowed without approval"); return }
        #expect(error.exitCode == 14)
        #expect(try f.snapshot().sessionUSDReserved == twoCents)

        let callID = try SessionID.random().value
        let passed = try f.enforcer.passOn(call: try f.call("search", callID), callID: callID, charge: charge,
                                           recorder: f.enforcer.recorder(), notPassedOn: "not run")
        #expect(passed.callSeq != nil)
        let after = try f.snapshot()
        #expect(after.sessionUSDUsed == twoCents && after.sessionUSDReserved == .zero)
        let charged = try f.store.connection.query("SELECT kind, metadata, seq FROM governance_audit_events WHERE session_id = ? ORDER BY seq",
                                                   [.text(f.session.value)]).map { (try $0.text(0), try JSONParser.parse(try $0.text(1)), try $0.int(2)) }
        // tool.call first, its charge right after, in the same append.
        let call = try #require(charged.firstIndex { $0.0 == EventKind.toolCall })
        #expect(charged[call + 1].0 == EventKind.costTracked && charged[call + 1].2 == charged[call].2 + 1)
        #expect(charged[call + 1].1["tool"] == .string("search") && charged[call + 1].1["call_id"] == .string(callID))
        #expect(charged[call + 1].1[CostLedger.metadataKey]?["reservation_id"] == .string(charge.reservation.id))
    }

    /// A step's projection and its tool's price are judged together by the first budget check:
    /// each fits the cap alone, both do not, so the step is denied before the loop records it
    /// (a step over budget uses up nothing) and nothing is reserved.
    @Test(arguments: Backend.allCases)
    func theProjectionAndThePriceAreJudgedTogetherBeforeTheLoopRecord(backend: Backend) throws {
        let f = try Fixture(backend)
        let projection = CostProjection(tokens: 1, usd: try Money.parse("0.04"))
        let checked = try f.enforcer.execCheck(agentID: "bot", sessionID: f.session, tool: "search", argv: ["x"], projection: projection)
        guard case .denied(let error) = checked.outcome else { Issue.record("allowed 0.04 + 0.02 under a 0.05 cap"); return }
        #expect(error.exitCode == 12 && error.message.contains("per_session_usd") && error.message.contains("0.06 more projected"), "\(error.message)")
        let snapshot = try f.snapshot()
        #expect(snapshot.sessionUSDReserved == .zero && snapshot.sessionTokensReserved == 0)
        let looped = try f.store.connection.query("SELECT COUNT(*) FROM governance_loop_calls WHERE session_id = ?", [.text(f.session.value)])
        #expect(try looped.first?.int(0) == 0, "the denied step was not recorded as a call")
    }

    /// With the store away the call and its charge are spooled together, and the reservation
    /// holds the price until the replay counts it; when the spool cannot take them either, the
    /// call must not go on and its price is released.
    @Test(arguments: Backend.allCases)
    func aChargeIsSpooledWithItsCallOrTheCallDoesNotGoOn(backend: Backend) throws {
        let f = try Fixture(backend)
        let twoCents = try Money.parse("0.02")
        guard case .allowed(let first) = try f.check("search").outcome, let charge = first.charge else { Issue.record("no charge"); return }
        let spool = AuditSpool(home: f.configuration.home, configuration: f.configuration)
        let down = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) { throw GovernanceError.unavailable("down for this test") }
        let callID = try SessionID.random().value
        let spooled = try f.enforcer.passOn(call: try f.call("search", callID), callID: callID, charge: charge, recorder: down, notPassedOn: "not run")
        #expect(spooled.callSeq == nil && down.warnings.contains { $0.contains("2 events were spooled") }, "\(down.warnings)")
        #expect(try f.snapshot().sessionUSDReserved == twoCents, "held while spooled")
        #expect(try spool.flush(into: AuditLog(db: f.store.connection, keys: testKeys)).appended == 2)
        let replayed = try f.snapshot()
        #expect(replayed.sessionUSDUsed == twoCents && replayed.sessionUSDReserved == .zero)

        guard case .allowed(let second) = try f.check("search").outcome, let unpaid = second.charge else { Issue.record("no charge"); return }
        #expect(try f.snapshot().sessionUSDReserved == twoCents)
        let home = try makeTemporaryDirectory()
        _ = FileManager.default.createFile(atPath: home + "/spool", contents: Data())
        let nowhere = AuditRecorder(spool: AuditSpool(home: home, configuration: Configuration(store: try f.db.location, home: home)),
                                    keys: testKeys, requireDurable: false) { throw GovernanceError.unavailable("down for this test") }
        do {
            _ = try f.enforcer.passOn(call: try f.call("search", callID), callID: callID, charge: unpaid, recorder: nowhere, notPassedOn: "the command was not run")
            Issue.record("passed on with nothing recorded")
        } catch let error as GovernanceError {
            #expect(error.exitCode == 4 && error.message.contains("its charge") && error.message.contains("the command was not run"), "\(error.message)")
        }
        let released = try f.snapshot()
        #expect(released.sessionUSDUsed == twoCents && released.sessionUSDReserved == .zero, "not passed on, not paid")
    }
}
