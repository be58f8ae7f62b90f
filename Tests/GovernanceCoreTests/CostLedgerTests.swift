import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Counters, caps and the budget check on both stores.
@Suite struct CostLedgerTests {
    static let start = Timestamp(parsing: "2026-11-27T10:00:00Z")!

    static func usd(_ text: String) -> Money { try! Money.parse(text) }

    static func deniedCap(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let error as GovernanceError {
            guard error.kind == .budgetExceeded else { return "unexpected \(error.kind): \(error.message)" }
            return error.details.first { $0.0 == "cap" }?.1.stringValue
        } catch { return "unexpected \(error)" }
    }

    @Test(arguments: Backend.allCases)
    func tracksSessionsDaysAndModelsExactly(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let s1 = try SessionID.random(), s2 = try SessionID.random()
        try ledger.track(agentID: "a", sessionID: s1, usage: .init(tokens: 100, usd: Self.usd("0.1")), at: Self.start)
        try ledger.track(agentID: "a", sessionID: s1, usage: .init(tokens: 200, usd: Self.usd("0.2")), at: Self.start)
        let usage = try CostLedger.Usage(model: "gpt-4o-2024-08-06", inputTokens: 1_000, outputTokens: 500, pricing: .builtIn)
        try ledger.track(agentID: "a", sessionID: s2, usage: usage, at: Self.start)
        try ledger.track(agentID: "a", sessionID: s2, usage: try .init(model: "local-llm", inputTokens: 10, outputTokens: 10, pricing: .builtIn), at: Self.start)
        try ledger.track(agentID: "b", sessionID: s1, usage: .init(tokens: 7, usd: Self.usd("7")), at: Self.start)

        let snap = try ledger.snapshot(agentID: "a", sessionID: s1, budget: nil, at: Self.start)
        #expect(snap.sessionUSDUsed == Self.usd("0.3"))          // 0.1 + 0.2, exactly
        #expect(snap.sessionTokensUsed == 300)
        #expect(snap.agentDailyUSDUsed == Self.usd("0.3075"))
        #expect(snap.agentDailyTokensUsed == 300 + 1_500 + 20)
        let nextDay = Timestamp(microseconds: Self.start.microseconds + 86_400_000_000)
        #expect(try ledger.snapshot(agentID: "a", sessionID: s1, budget: nil, at: nextDay).agentDailyUSDUsed == .zero)

        let breakdown = try ledger.breakdown(agentID: "a")
        #expect(breakdown.map(\.model) == ["gpt-4o-2024-08-06", "local-llm"])
        #expect(breakdown[0].usd == Self.usd("0.0075") && breakdown[0].tokens == 1_500 && breakdown[0].calls == 1)
        #expect(breakdown[1].usd == .zero && breakdown[1].unpricedCalls == 1)
        #expect(try ledger.unpricedModels() == ["local-llm"])
        #expect(throws: GovernanceError.self) { try ledger.track(agentID: "a", sessionID: s1, usage: .init(tokens: -1, usd: .zero)) }
        #expect(throws: GovernanceError.self) { try ledger.track(agentID: "a", sessionID: s1, usage: .init(tokens: 1, usd: Money(nanos: -1))) }
    }

    @Test(arguments: Backend.allCases)
    func overflowingCountersAreRefusedAndNothingIsAdded(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: .max - 1, usd: Money(nanos: .max - 1)), at: Self.start)
        for usage in [CostLedger.Usage(tokens: 2, usd: .zero), CostLedger.Usage(tokens: 0, usd: Money(nanos: 2))] {
            #expect(throws: GovernanceError.self) { try ledger.track(agentID: "a", sessionID: session, usage: usage, at: Self.start) }
        }
        // The daily counter overflows through another session: the whole call is rolled back.
        let other = try SessionID.random()
        #expect(throws: GovernanceError.self) {
            try ledger.track(agentID: "a", sessionID: other, usage: .init(tokens: 5, usd: .zero), at: Self.start)
        }
        #expect(try ledger.snapshot(agentID: "a", sessionID: other, budget: nil, at: Self.start).sessionTokensUsed == 0)
        try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: 1, usd: Money(nanos: 1)), at: Self.start)
        let snap = try ledger.snapshot(agentID: "a", sessionID: session, budget: nil, at: Self.start)
        #expect(snap.sessionTokensUsed == .max && snap.sessionUSDUsed == Money(nanos: .max))
    }

    @Test(arguments: Backend.allCases)
    func eachOfTheFiveCapsDeniesNamingCapUsedAndLimit(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        let budget = BudgetPolicy(perSessionUSD: Self.usd("0.50"), perSessionTokens: 1_000, perAgentUSDDaily: Self.usd("0.9"),
                                  perAgentTokensDaily: 1_500, perSessionSeconds: 300)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, at: Self.start) } == nil)
        try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: 999, usd: Self.usd("0.499999999")), at: Self.start)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, at: Self.start) } == nil)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, projectedTokens: 1, at: Self.start) } == nil)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, projectedTokens: 2, at: Self.start) } == "per_session_tokens")
        #expect(throws: GovernanceError.self) { _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, projectedTokens: 0, at: Self.start) }
        try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: 0, usd: Money(nanos: 1)), at: Self.start)
        do {
            _ = try ledger.check(agentID: "a", sessionID: session, budget: budget, at: Self.start)
            Issue.record("allowed past the cap")
        } catch let error as GovernanceError {
            #expect(error.exitCode == 12)
            #expect(error.message.contains("per_session_usd used 0.5 of 0.5 USD"))
        }
        // Another session of the same agent: the session caps are fresh, the daily ones are not.
        let second = try SessionID.random()
        try ledger.track(agentID: "a", sessionID: second, usage: .init(tokens: 400, usd: Self.usd("0.2")), at: Self.start)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: second, budget: budget, at: Self.start) } == nil)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: second, budget: budget, projectedTokens: 102, at: Self.start) } == "per_agent_tokens_daily")
        try ledger.track(agentID: "a", sessionID: second, usage: .init(tokens: 0, usd: Self.usd("0.2")), at: Self.start)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "a", sessionID: second, budget: budget, at: Self.start) } == "per_agent_usd_daily")
        // The session clock started at the session's first call (the check above) and runs out.
        let third = try SessionID.random()
        let clockOnly = BudgetPolicy(perSessionSeconds: 300)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "c", sessionID: third, budget: clockOnly, at: Self.start) } == nil)
        let later = Timestamp(microseconds: Self.start.microseconds + 299_999_999)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "c", sessionID: third, budget: clockOnly, at: later) } == nil)
        let expired = Timestamp(microseconds: Self.start.microseconds + 300_000_000)
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "c", sessionID: third, budget: clockOnly, at: expired) } == "per_session_seconds")
        // A zero cap denies from the start; no caps allow.
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "d", sessionID: third, budget: BudgetPolicy(perSessionTokens: 0), at: Self.start) } == "per_session_tokens")
        #expect(Self.deniedCap { _ = try ledger.check(agentID: "d", sessionID: third, budget: nil, at: Self.start) } == nil)
    }

    @Test(arguments: Backend.allCases)
    func snapshotHasTheReferenceFieldsAndRemainingTwins(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: 600, usd: Self.usd("0.2")), at: Self.start)
        let budget = BudgetPolicy(perSessionUSD: Self.usd("0.5"), perAgentTokensDaily: 500)
        let at = Timestamp(microseconds: Self.start.microseconds + 42_500_000)
        let json = try ledger.snapshot(agentID: "a", sessionID: session, budget: budget, at: at).json
        #expect(JSONWriter.ordered(json) == #"{"session_usd_used":"0.2","session_usd_reserved":"0","session_usd_remaining":"0.3","session_tokens_used":600,"session_tokens_reserved":0,"agent_daily_usd_used":"0.2","agent_daily_usd_reserved":"0","agent_daily_tokens_used":600,"agent_daily_tokens_reserved":0,"agent_daily_tokens_remaining":0,"session_seconds_used":42,"session_unpriced_calls":0,"agent_daily_unpriced_calls":0}"#)
    }

    /// 8 threads, each with its own connection, x 250 tracks on one session: exact sums.
    @Test(arguments: Backend.allCases)
    func concurrentTracksSumExactly(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        _ = try db.open()
        let session = try SessionID.random()
        let threads = 8, perThread = 250
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            do {
                let ledger = CostLedger(db: try db.rawConnection())
                for i in 0..<perThread {
                    try ledger.track(agentID: "a", sessionID: session, usage: .init(tokens: Int64(t + 1), usd: Money(nanos: 1_000_000_001 + Int64(i))))
                }
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        let snap = try CostLedger(db: try db.rawConnection()).snapshot(agentID: "a", sessionID: session, budget: nil)
        #expect(snap.sessionTokensUsed == Int64(perThread * (1...threads).reduce(0, +)))
        #expect(snap.sessionUSDUsed.nanos == Int64(threads) * (Int64(perThread) * 1_000_000_001 + Int64(perThread * (perThread - 1) / 2)))
        #expect(snap.agentDailyTokensUsed == snap.sessionTokensUsed)
    }
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ s: String) { lock.lock(); storage.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}
