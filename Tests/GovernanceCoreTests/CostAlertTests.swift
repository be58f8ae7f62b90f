import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The budget's soft alert (`alert_at`), fleet spend (`CostReport`) and the notifier's bounds.
@Suite struct CostAlertTests {
    static let start = Timestamp(parsing: "2026-11-27T10:00:00Z")!
    static let budget: BudgetPolicy = {
        var b = BudgetPolicy(perSessionUSD: try! Money.parse("1.00"), perAgentTokensDaily: 1_000)
        b.alertAtPercent = 80
        return b
    }()

    static func alertEvents(_ db: SQLConnection, agent: String) throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try AuditQuery(db: db).events(AuditFilter(agentID: agent, kind: EventKind.budgetAlert)) { records.append($0) }
        return records
    }

    /// 8 connections raise at once after the spend crossed 80%: one alert, audited once.
    @Test(arguments: Backend.allCases)
    func concurrentCallersRaiseAnAlertOnce(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let session = try SessionID.random()
        try CostLedger(db: store.connection).track(agentID: "a", sessionID: session, usage: .init(tokens: 10, usd: try Money.parse("0.85")), at: Self.start)
        let raised = LockedList()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let alerts = try CostLedger(db: try db.rawConnection()).raiseAlerts(agentID: "a", sessionID: session, budget: Self.budget,
                                                                                     keys: testKeys, at: Self.start)
                for alert in alerts { raised.append(alert.cap) }
            } catch {
                raised.append("error \(error)")
            }
        }
        #expect(raised.items == ["per_session_usd"])
        let events = try Self.alertEvents(store.connection, agent: "a")
        #expect(events.count == 1)
        #expect(events.first?.sessionID == session.value)
    }

    @Test(arguments: Backend.allCases)
    func aSessionCapAlertsPerSessionAndADailyCapPerDay(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        func spend(_ session: SessionID, tokens: Int64, usd: String, at time: Timestamp) throws -> [String] {
            try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: tokens, usd: try Money.parse(usd)), at: time)
            return try ledger.raiseAlerts(agentID: "a", sessionID: session, budget: Self.budget, keys: testKeys, at: time).map(\.cap)
        }
        let s1 = try SessionID.random(), s2 = try SessionID.random()
        #expect(try spend(s1, tokens: 100, usd: "0.79", at: Self.start) == [])                      // below 80% of both
        #expect(try spend(s1, tokens: 100, usd: "0.01", at: Self.start) == ["per_session_usd"])     // exactly 80%
        #expect(try spend(s1, tokens: 700, usd: "0.10", at: Self.start) == ["per_agent_tokens_daily"])
        #expect(try spend(s1, tokens: 10, usd: "0.05", at: Self.start) == [])                       // past both: nothing again
        #expect(try spend(s2, tokens: 10, usd: "0.80", at: Self.start) == ["per_session_usd"])      // a new session, its own cap
        let nextDay = Timestamp(microseconds: Self.start.microseconds + 86_400_000_000)
        #expect(try spend(s2, tokens: 800, usd: "0", at: nextDay) == ["per_agent_tokens_daily"])   // a new day
        #expect(try Self.alertEvents(store.connection, agent: "a").count == 4)
        // Without alert_at, or with nothing spent against a cap of 0, nothing is raised.
        #expect(try ledger.raiseAlerts(agentID: "a", sessionID: s1, budget: BudgetPolicy(perSessionUSD: .zero), keys: testKeys).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func theReportGroupsTheSpendEventsInItsRange(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        func track(_ agent: String, _ usage: CostLedger.Usage, at time: Timestamp) throws {
            let session = AgentChain.sessionID(for: agent)
            _ = try log.append(CostLedger.event(agentID: agent, sessionID: session, usage: usage), at: time)
        }
        let day2 = Timestamp(microseconds: Self.start.microseconds + 86_400_000_000)
        try track("a", try .init(model: "gpt-4o", inputTokens: 1_000, outputTokens: 500, pricing: .builtIn), at: Self.start)
        try track("a", .init(tokens: 5, usd: try Money.parse("1.5")), at: day2)
        try track("b", try .init(model: "gpt-4o", inputTokens: 1_000, outputTokens: 500, pricing: .builtIn), at: day2)
        _ = try log.append(AuditEventInput(sessionID: try SessionID.random(), agentID: "a", kind: "note", metadata: .object([])), at: day2)

        let byDay = try CostReport.build(store.connection, by: .day, since: nil, until: nil, agentID: nil)
        #expect(byDay.rows.map(\.key) == ["2026-11-27", "2026-11-28"])
        #expect(byDay.rows.map(\.calls) == [1, 2])
        #expect(byDay.total.usd == (try Money.parse("1.515")))
        let byModel = try CostReport.build(store.connection, by: .model, since: day2, until: nil, agentID: "a")
        #expect(byModel.rows.map(\.key) == [nil])
        #expect(byModel.total.usd == (try Money.parse("1.5")))
        // --until is exclusive.
        #expect(try CostReport.build(store.connection, by: .agent, since: nil, until: day2, agentID: nil).rows.map(\.key) == ["a"])
        #expect(throws: GovernanceError.self) { try CostReport.build(store.connection, by: .agent, since: day2, until: Self.start, agentID: nil) }

        // Times edited into the store that no day can be read from are counted, not reported as a day or a crash.
        try store.connection.execute("UPDATE governance_audit_events SET created_at_us = 9223372036854775807 WHERE agent_id = 'b'")
        let tampered = try CostReport.build(store.connection, by: .day, since: nil, until: nil, agentID: nil)
        #expect(tampered.unreadable == 1)
        #expect(tampered.rows.map(\.key) == ["2026-11-27", "2026-11-28"])
        if backend == .sqlite {
            try store.connection.execute("UPDATE governance_audit_events SET created_at_us = 'abc' WHERE agent_id = 'b'")
            #expect(try CostReport.build(store.connection, by: .day, since: nil, until: nil, agentID: nil).unreadable == 1)
        }
    }

    /// Hooks that hang share one deadline: the second is skipped, with a warning, not waited for.
    @Test func hangingHooksShareOneDeadline() throws {
        let notifier = Notifier(environment: { $0 == "GOVERNANCE_NOTIFY_COMMAND" ? "sleep 30" : nil }, totalSeconds: 1.5)
        let started = Date()
        for i in 0..<3 {
            notifier.send(NotifyEvent(event: EventKind.presenceUnresponsive, agentID: "a\(i)", sessionID: nil, time: .now()), policyHook: nil)
        }
        let warnings = notifier.finish()
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(warnings.contains { $0.contains("was killed") })
        #expect(warnings.contains { $0.contains("not sent") })
        #expect(notifier.delivered == 0)
    }
}
