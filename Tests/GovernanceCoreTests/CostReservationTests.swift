import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// A passing budget check reserves its projection, so concurrent callers never jointly pass a cap.
@Suite struct CostReservationTests {
    static let start = Timestamp(parsing: "2026-11-27T10:00:00Z")!

    /// Each cap the projection can pass, the budget that sets only it, and the projection: two
    /// projections fit under the cap, a third does not.
    static let caps: [(name: String, budget: BudgetPolicy, projection: CostProjection, sharedSession: Bool)] = {
        let gpt4o = try! CostProjection.resolve(maxTokens: 4_000, model: "gpt-4o", environment: { _ in nil })   // 4,000 x $10/M = $0.04
        return [
            ("per_session_tokens", BudgetPolicy(perSessionTokens: 10_000), CostProjection(tokens: 4_000), true),
            ("per_agent_tokens_daily", BudgetPolicy(perAgentTokensDaily: 10_000), CostProjection(tokens: 4_000), false),
            ("per_session_usd", BudgetPolicy(perSessionUSD: try! Money.parse("0.1")), gpt4o, true),
            ("per_agent_usd_daily", BudgetPolicy(perAgentUSDDaily: try! Money.parse("0.1")), gpt4o, false),
        ]
    }()

    static func allowed(_ body: () throws -> Void) -> Bool {
        do { try body(); return true } catch let error as GovernanceError where error.kind == .budgetExceeded { return false } catch {
            Issue.record("unexpected \(error)")
            return false
        }
    }

    @Test func theWorstCaseIsPricedAtTheDearestRate() throws {
        let p = try CostProjection.resolve(maxTokens: 4_000, model: "gpt-4o", environment: { _ in nil })
        let fourCents = try Money.parse("0.04")
        #expect(p.tokens == 4_000 && p.usd == fourCents && p.priced)
        let unpriced = try CostProjection.resolve(projectedTokens: 10, model: "my-local-llm", environment: { _ in nil })
        #expect(!unpriced.priced && unpriced.usd == .zero)
        let tenth = try Money.parse("0.001")
        #expect(try CostProjection.resolve(model: "gpt-4o", environment: { $0 == "GOVERNANCE_DEFAULT_MAX_TOKENS" ? "100" : nil }).usd == tenth)
        #expect(throws: GovernanceError.self) { try CostProjection.resolve(model: "gpt-4o", environment: { _ in nil }) }
        #expect(throws: GovernanceError.self) { try CostProjection.resolve(projectedTokens: 1, maxTokens: 1, environment: { _ in nil }) }
        #expect(try CostProjection.resolve(environment: { _ in nil }) == .none)
    }

    /// 8 threads, each with its own connection, each reserving 4,000 tokens (or $0.04) under a cap
    /// of 10,000 (or $0.10): exactly two pass, for every cap, on both stores.
    @Test(arguments: Backend.allCases, [0, 1, 2, 3])
    func concurrentChecksNeverJointlyPassACap(backend: Backend, cap: Int) throws {
        let (name, budget, projection, shared) = Self.caps[cap]
        let db = try TestDatabase.make(backend)
        _ = try db.open()
        let session = try SessionID.random()
        let passed = LockedList()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let ledger = CostLedger(db: try db.rawConnection())
                let s = shared ? session : try SessionID.random()
                if Self.allowed({ _ = try ledger.reserve(agentID: "a", sessionID: s, budget: budget, projection: projection, at: Self.start) }) {
                    passed.append("ok")
                }
            } catch {
                passed.append("error \(error)")
            }
        }
        #expect(passed.items == ["ok", "ok"], "\(name): \(passed.items)")
    }

    @Test(arguments: Backend.allCases)
    func spendSettlesItsReservationAndExpiredOnesStopCounting(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        let budget = BudgetPolicy(perSessionTokens: 10_000, reservationSeconds: 60)
        let four = CostProjection(tokens: 4_000)
        let first = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: four, at: Self.start)
        let id = try #require(first.reservation?.id)
        #expect(first.snapshot.sessionTokensReserved == 4_000)
        _ = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: four, at: Self.start)
        #expect(!Self.allowed { _ = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: four, at: Self.start) })
        #expect(try ledger.reservation(id: id, at: Self.start)?.tokens == 4_000)

        // The call used 1,000 tokens: its spend replaces its reservation, in one transaction.
        var usage = CostLedger.Usage(tokens: 1_000, usd: .zero)
        usage.reservationID = id
        try ledger.track(agentID: "a", sessionID: session, usage: usage, at: Self.start)
        #expect(try ledger.reservation(id: id, at: Self.start) == nil)
        let snap = try ledger.snapshot(agentID: "a", sessionID: session, budget: budget, at: Self.start)
        #expect(snap.sessionTokensUsed == 1_000 && snap.sessionTokensReserved == 4_000)
        #expect(JSONWriter.ordered(snap.json).contains(#""session_tokens_remaining":5000"#))
        let third = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: four, at: Self.start)

        // Another agent cannot settle it; its own release does.
        #expect(try !ledger.settle(reservationID: try #require(third.reservation?.id), agentID: "b"))
        #expect(try ledger.settle(reservationID: try #require(third.reservation?.id), agentID: "a"))

        // A minute later every reservation has expired: only the spend counts.
        let later = Timestamp(microseconds: Self.start.microseconds + 60_000_000)
        let after = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: CostProjection(tokens: 9_000), at: later)
        #expect(after.snapshot.sessionTokensUsed == 1_000 && after.snapshot.sessionTokensReserved == 9_000)
        #expect(try store.connection.queryFirst("SELECT COUNT(*) FROM governance_cost_reservations")?.int(0) == 1)
        // No budget: no caps, nothing reserved.
        #expect(try ledger.reserve(agentID: "c", sessionID: session, budget: nil, projection: four, at: Self.start).reservation == nil)
    }

    /// Spend tracked while the store was away waits in the spool; the next `cost check` replays it
    /// before deciding, so it is not invisible.
    @Test(arguments: Backend.allCases)
    func spooledSpendCountsAtTheNextCheck(backend: Backend) throws {
        let f = try EnforcementTests.Fixture(backend)
        let session = try SessionID.random()
        let spool = AuditSpool(home: f.configuration.home, configuration: f.configuration)
        let down = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) { throw GovernanceError.unavailable("down for this test") }
        let spent = try PendingEvent(validating: CostLedger.event(agentID: "billing-agent", sessionID: session,
                                                                  usage: .init(tokens: 10, usd: try Money.parse("0.5"))))
        guard case .spooled = try down.record([spent]) else { Issue.record("expected the spend to be spooled"); return }

        let result = try f.enforcer.costCheck(agentID: "billing-agent", sessionID: session)
        #expect(EnforcementTests.exitCode(result) == 12)
        #expect(result.warnings.contains { $0.contains("replayed 1 spooled event") })
        #expect(spool.pendingFiles().isEmpty)
        let half = try Money.parse("0.5")
        #expect(try CostLedger(db: f.store.connection).snapshot(agentID: "billing-agent", sessionID: session, budget: nil).sessionUSDUsed == half)
    }

    /// With a USD cap, an unpriced model cannot be let through at $0 unless the policy says so.
    @Test(arguments: Backend.allCases)
    func unpricedModelsAreDeniedUnderAUSDCap(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        let budget = BudgetPolicy(perSessionUSD: try Money.parse("1"))
        let local = try CostProjection.resolve(projectedTokens: 10, model: "my-local-llm", environment: { _ in nil })
        #expect(!Self.allowed { _ = try ledger.reserve(agentID: "a", sessionID: session, budget: budget, projection: local, at: Self.start) })
        var lenient = budget
        lenient.unpriced = .trackAtZero
        #expect(Self.allowed { _ = try ledger.reserve(agentID: "a", sessionID: session, budget: lenient, projection: local, at: Self.start) })
        // Without a USD cap the rule does not apply.
        #expect(Self.allowed { _ = try ledger.reserve(agentID: "a", sessionID: session, budget: BudgetPolicy(perSessionTokens: 100), projection: local, at: Self.start) })

        // Spend on an unpriced model, tracked at $0, denies the next check under `deny`.
        let other = try SessionID.random()
        #expect(Self.allowed { _ = try ledger.check(agentID: "a", sessionID: other, budget: budget, at: Self.start) })
        try ledger.track(agentID: "a", sessionID: other, usage: try .init(model: "my-local-llm", inputTokens: 5, outputTokens: 5, pricing: .builtIn), at: Self.start)
        do {
            _ = try ledger.check(agentID: "a", sessionID: other, budget: budget, at: Self.start)
            Issue.record("allowed after unpriced spend")
        } catch let error as GovernanceError {
            #expect(error.exitCode == 12 && error.message.contains("per_session_usd cannot be kept"))
        }
        #expect(Self.allowed { _ = try ledger.check(agentID: "a", sessionID: other, budget: lenient, at: Self.start) })
        // The daily cap sees the same call from any session.
        #expect(!Self.allowed { _ = try ledger.check(agentID: "a", sessionID: session, budget: BudgetPolicy(perAgentUSDDaily: try Money.parse("1")), at: Self.start) })
    }

    @Test func thePolicyKeysRoundTrip() throws {
        let yaml = "agents:\n  a:\n    budget: {per_session_usd: 1, unpriced: track_at_zero, reservation_seconds: 120}\n"
        let policy = try #require(try PolicyParser.parse(Array(yaml.utf8), source: "p.yaml").agents.first)
        #expect(policy.budget?.unpriced == .trackAtZero && policy.budget?.reservationSeconds == 120)
        #expect(try PolicyParser.stored(agentID: "a", canonicalJSON: policy.canonicalJSON) == policy)
        #expect(try PolicyParser.parse(Array(PolicyYAML.emit([policy]).utf8), source: "x").agents == [policy])
        for bad in ["unpriced: maybe", "reservation_seconds: 0", "reservation_seconds: 86401"] {
            #expect(throws: GovernanceError.self) {
                try PolicyParser.parse(Array("agents:\n  a:\n    budget: {per_session_usd: 1, \(bad)}\n".utf8), source: "p.yaml")
            }
        }
    }
}
