import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The one enforcement path on both stores: store, kill marker, check, audit of the denial.
@Suite struct EnforcementTests {
    static let policyYAML = """
        agents:
          billing-agent:
            scope:  {allowed_tools: [read_invoice, send_email], allowed_apis: ["GET https://api.stripe.com/v1/*"], hidden_tools: [delete_all]}
            budget: {per_session_usd: 0.50, per_session_tokens: 1000}
            loop:   {window_seconds: 60, max_calls: 2, action: raise}
          chatty-agent:
            scope:  {allowed_tools: [search]}
            loop:   {window_seconds: 60, max_calls: 1, action: log}
        """

    struct Fixture {
        let db: TestDatabase
        let store: Store
        let enforcer: Enforcer
        let configuration: Configuration

        init(_ backend: Backend, policies: Bool = true) throws {
            db = try TestDatabase.make(backend)
            store = try db.open()
            configuration = Configuration(store: try db.location, home: db.directory)
            let store = self.store
            enforcer = Enforcer(configuration: configuration, keys: testKeys, openStore: { store })
            if policies {
                try PolicyStore(db: store.connection).apply([try PolicyParser.parse(Array(EnforcementTests.policyYAML.utf8), source: "p.yaml")], keys: testKeys)
            }
        }

        func events(kind: String) throws -> [(agent: String, session: String, metadata: JSONValue)] {
            try store.connection.query("SELECT agent_id, session_id, metadata FROM governance_audit_events WHERE kind = ? ORDER BY id", [.text(kind)])
                .map { (try $0.text(0), try $0.text(1), try JSONParser.parse(try $0.text(2))) }
        }
    }

    static func exitCode<V>(_ result: EnforcementResult<V>) -> Int32 {
        switch result.outcome {
        case .allowed, .allowedFailOpen: 0
        case .denied(let error): error.exitCode
        }
    }

    @Test func theAgentChainIsAUUIDv5InTheDocumentedNamespace() {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "urn:governance:agent-chain:v1") and uuid5(that, name); uuid5(NAMESPACE_DNS, "python.org").
        #expect(AgentChain.namespace.value == "6bf85211-ec46-54e2-b0c7-e9d7509eb432")
        #expect(AgentChain.sessionID(for: "billing-agent").value == "0e7c8a89-bd8e-5f9e-a7e3-5274a7cd6f25")
        #expect(UUIDv5.make(namespace: SessionID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")!, name: "python.org").value
                == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        #expect(AgentChain.resolve(nil, agentID: "x") == AgentChain.sessionID(for: "x"))
    }

    @Test(arguments: Backend.allCases)
    func scopeDecisionsAndDenialsAreAudited(backend: Backend) throws {
        let f = try Fixture(backend)
        let session = try SessionID.random()
        let allowed = try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .tool("read_invoice"))
        #expect(try allowed.get()?.matched == "read_invoice")
        #expect(Self.exitCode(try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .api("GET https://api.stripe.com/v1/charges"))) == 0)
        let denied = try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .tool("delete_all"))
        #expect(Self.exitCode(denied) == 10)
        #expect(Self.exitCode(try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .api("GET https://api.stripe.com.evil.io/v1/x"))) == 10)
        #expect(Self.exitCode(try f.enforcer.scopeCheck(agentID: "stranger", sessionID: nil, .tool("read_invoice"))) == 11)

        let violations = try f.events(kind: "scope.violation")
        #expect(violations.count == 2)
        #expect(violations[0].session == session.value)
        #expect(violations[0].metadata["tool"] == .string("delete_all"))
        #expect(violations[0].metadata["action"] == .string("scope.check"))
        #expect(violations[0].metadata["exit_code"] == .int(10))
        #expect(violations[1].metadata["api"] == .string("GET https://api.stripe.com.evil.io/v1/x"))
        let missing = try f.events(kind: "policy.missing")
        #expect(missing.count == 1)
        #expect(missing[0].agent == "stranger" && missing[0].session == AgentChain.sessionID(for: "stranger").value)
        #expect(try ChainVerifier(db: f.store.connection, keys: testKeys).verify().ok)
        // Bad input is not a decision: thrown, exit 2, nothing audited.
        #expect(throws: GovernanceError.self) { _ = try f.enforcer.scopeCheck(agentID: "", sessionID: nil, .tool("x")) }
    }

    @Test(arguments: Backend.allCases)
    func aKillMarkerStopsEveryEnforcementCommandAndSaysWhoWhenAndWhy(backend: Backend) throws {
        let f = try Fixture(backend)
        let session = try SessionID.random()
        try OperatorKill.kill(f.store.connection, keys: testKeys, agentID: "billing-agent", reason: "runaway \u{1b}[31mspend",
                              by: OperatorIdentity(name: "alice", osUser: "alice", host: "ops-1"), at: Timestamp(parsing: "2026-11-27T09:00:00Z")!)
        let results: [Int32] = [
            Self.exitCode(try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .tool("read_invoice"))),
            Self.exitCode(try f.enforcer.costCheck(agentID: "billing-agent", sessionID: session)),
            Self.exitCode(try f.enforcer.loopRecord(agentID: "billing-agent", sessionID: session, tool: "x")),
        ]
        #expect(results == [15, 15, 15])
        let denied = try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .tool("read_invoice"))
        guard case .denied(let error) = denied.outcome else { Issue.record("not denied"); return }
        #expect(error.message.contains("\"alice\"") && error.message.contains("2026-11-27T09:00:00.000000Z") && error.message.contains("runaway \\u001b[31mspend"))
        #expect(try f.events(kind: "agent.killed").count == 4)
        // The killed agent's loop call was not recorded: the check never ran.
        #expect(try f.store.connection.queryFirst("SELECT COUNT(*) FROM governance_loop_calls")?.int(0) == 0)
        // No caching: revived, allowed at once.
        try KillMarkers.remove(f.store.connection, agentID: "billing-agent")
        #expect(Self.exitCode(try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: session, .tool("read_invoice"))) == 0)
    }

    @Test(arguments: Backend.allCases)
    func budgetAndLoopDenialsGoThroughThePath(backend: Backend) throws {
        let f = try Fixture(backend)
        let session = try SessionID.random()
        #expect(Self.exitCode(try f.enforcer.costCheck(agentID: "billing-agent", sessionID: session, projection: CostProjection(tokens: 1_000))) == 0)
        #expect(Self.exitCode(try f.enforcer.costCheck(agentID: "billing-agent", sessionID: session, projection: CostProjection(tokens: 1_001))) == 12)
        try CostLedger(db: f.store.connection).track(agentID: "billing-agent", sessionID: session, usage: .init(tokens: 10, usd: try Money.parse("0.5")))
        #expect(Self.exitCode(try f.enforcer.costCheck(agentID: "billing-agent", sessionID: session)) == 12)
        #expect(Self.exitCode(try f.enforcer.costCheck(agentID: "stranger", sessionID: session)) == 11)
        // An agent whose policy has no budget has no caps.
        #expect(Self.exitCode(try f.enforcer.costCheck(agentID: "chatty-agent", sessionID: session)) == 0)
        let budget = try f.events(kind: "budget.exceeded")
        #expect(budget.count == 2)
        #expect(budget[0].metadata["cap"] == .string("per_session_tokens") && budget[0].metadata["projected_tokens"] == .int(1_001))
        #expect(budget[1].metadata["cap"] == .string("per_session_usd") && budget[1].metadata["used"] == .string("0.5"))

        let codes = try (0..<4).map { _ in Self.exitCode(try f.enforcer.loopRecord(agentID: "billing-agent", sessionID: session, tool: "Send_Email")) }
        #expect(codes == [0, 0, 13, 13])
        // action: log allows, warns and audits.
        let first = try f.enforcer.loopRecord(agentID: "chatty-agent", sessionID: session, tool: "search")
        let second = try f.enforcer.loopRecord(agentID: "chatty-agent", sessionID: session, tool: "search")
        #expect(Self.exitCode(first) == 0 && first.warnings.isEmpty)
        #expect(Self.exitCode(second) == 0 && second.warnings.count == 1 && second.warnings[0].contains("loop detected"))
        #expect(try second.get()?.detected == true)
        // No loop policy: recorded and passes.
        try PolicyStore(db: f.store.connection).apply([try PolicyParser.parse(Array("agents: {bare: {}}".utf8), source: "b.yaml")], keys: testKeys)
        #expect(try (0..<5).map { _ in Self.exitCode(try f.enforcer.loopRecord(agentID: "bare", sessionID: session, tool: "x")) } == [0, 0, 0, 0, 0])
        let loops = try f.events(kind: "loop.detected")
        #expect(loops.map(\.agent) == ["billing-agent", "billing-agent", "chatty-agent"])
        #expect(loops[0].metadata["count"] == .int(3) && loops[0].metadata["tool"] == .string("send_email"))
        #expect(try ChainVerifier(db: f.store.connection, keys: testKeys).verify().ok)
    }

    @Test(arguments: Backend.allCases)
    func anUnreachableStoreFailsClosedOrOpensOnlyWhenAsked(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let unreachable: Configuration.StoreLocation = backend == .sqlite
            ? .sqlite(path: db.directory + "/missing-dir/sub/governance.db")
            : .postgres(url: "postgresql:///governance?host=/nonexistent-socket-dir&connect_timeout=2")
        let configuration = Configuration(store: unreachable, home: db.directory)
        let enforcer = Enforcer(configuration: configuration, keys: testKeys)
        let closed = try enforcer.scopeCheck(agentID: "a", sessionID: nil, .tool("x"))
        #expect(Self.exitCode(closed) == 4)
        let open = try enforcer.scopeCheck(agentID: "a", sessionID: nil, .tool("x"), failOpen: true)
        guard case .allowedFailOpen(let warning) = open.outcome else { Issue.record("not fail-open: \(open.outcome)"); return }
        #expect(warning.contains("--fail-open") && open.warnings == [warning])
        #expect(try open.get() == nil)
    }

    @Test(arguments: Backend.allCases)
    func aDenialWhoseAuditWriteFailsIsStillADenial(backend: Backend) throws {
        let f = try Fixture(backend)
        // The audit table is gone (a broken store): the append fails, the denial stands.
        try f.db.rawConnection().execute("DROP TABLE governance_audit_events")
        let denied = try f.enforcer.scopeCheck(agentID: "billing-agent", sessionID: nil, .tool("delete_all"))
        #expect(Self.exitCode(denied) == 10)
        #expect(denied.warnings.contains { $0.contains("could not be audited") || $0.contains("spool") })
        // An oversized denial event (metadata past 64 KiB) cannot be audited either; still denied.
        let huge = String(repeating: "x", count: 70_000)
        let f2 = try Fixture(backend)
        let result = try f2.enforcer.enforce(EnforcementRequest(agentID: "billing-agent", sessionID: nil, action: "custom.check",
                                                                metadata: [("blob", .string(huge))])) { _ -> Int in
            throw GovernanceError(.scopeViolation, "no")
        }
        #expect(Self.exitCode(result) == 10)
        #expect(result.warnings.contains { $0.contains("could not be audited") })
    }
}
