import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Reports over fixtures that exercise every status of every section, on both stores.
@Suite struct ComplianceReportTests {
    static let now = ComplianceFixture.at(day: 200)

    func report(_ fixture: ComplianceFixture, _ kind: ReportKind = .article12, filters: ReportFilters = ReportFilters(),
                verify: Bool = true, annex: Bool = false) throws -> ComplianceReport {
        try ComplianceReporter(db: fixture.store.connection, keys: testKeys)
            .generate(ReportOptions(kind: kind, filters: filters, verifyChain: verify, annexIII1a: annex), now: Self.now)
    }

    func statuses(_ r: ComplianceReport) -> [String: EvidenceStatus] {
        Dictionary(uniqueKeysWithValues: r.sections.map { ($0.id, $0.status) })
    }

    func section(_ r: ComplianceReport, _ id: String) throws -> ReportSection {
        try #require(r.sections.first { $0.id == id })
    }

    // MARK: the well-governed log: every applicable section compliant

    @Test(arguments: Backend.allCases)
    func wellGovernedLogIsCompliantAndArticle123IsNotApplicable(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent()
        let r = try report(f)
        #expect(r.sections.map(\.id) == ["event_registration", "duration_of_use", "reference_database", "input_data",
                                         "functioning", "human_oversight", "post_market_monitoring"])
        #expect(statuses(r) == ["event_registration": .compliant, "duration_of_use": .notApplicable, "reference_database": .notApplicable,
                                "input_data": .notApplicable, "functioning": .compliant, "human_oversight": .compliant,
                                "post_market_monitoring": .compliant])
        #expect(r.chainIntegrity == .verified)
        #expect(!r.isAtOrBelow(.partial))
        let oversight = try section(r, "human_oversight")
        #expect(oversight.data["decisions_by_identified_operator"] == .int(2))
        #expect(oversight.data["grants_followed_by_action"] == .int(2))
        #expect(oversight.data["kill_switch"] == .string("exercised"))
        #expect(oversight.data["actions_refused_after_kill"] == .int(1))
        #expect(oversight.findings.contains { $0.contains("the stop held") })
        let functioning = try section(r, "functioning")
        #expect(functioning.data["anomalies"] == .int(3))
        #expect(functioning.data["anomalies_followed_by_response"] == .int(3))
    }

    @Test(arguments: Backend.allCases)
    func annexIII1aMakesArticle123SectionsApplyAndCompliantWhenRecorded(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        try f.add(EventKind.policyApplied, session: s, at: ComplianceFixture.at(day: 0, hour: 8))
        for (i, match) in [true, false, true].enumerated() {
            try f.add(EventKind.toolCall, session: s, inputHash: ComplianceFixture.inputHash,
                      metadata: [("reference_database", .string("watchlist-2026")), ("match", .bool(match))],
                      at: ComplianceFixture.at(day: i, hour: 9))
        }
        try f.add(EventKind.llmCall, session: s, model: "m", inputHash: ComplianceFixture.inputHash,
                  metadata: [("reference_database", .string("watchlist-2026"))], at: ComplianceFixture.at(day: 2, hour: 10))
        let st = statuses(try report(f, annex: true))
        #expect(st["duration_of_use"] == .compliant)
        #expect(st["reference_database"] == .compliant)
        #expect(st["input_data"] == .compliant)
    }

    @Test(arguments: Backend.allCases)
    func annexSectionsArePartialWhenSomeActionsLackTheirRecord(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random(), single = try SessionID.random()
        try f.add(EventKind.toolCall, session: s, inputHash: ComplianceFixture.inputHash,
                  metadata: [("reference_database", .string("db")), ("match", .bool(true))], at: ComplianceFixture.at(day: 0))
        // A match without the input that led to it, and an action without a reference database.
        try f.add(EventKind.toolCall, session: s, metadata: [("match", .bool(true))], at: ComplianceFixture.at(day: 0, hour: 10))
        // A session of one instant: its start and end cannot be told apart.
        try f.add(EventKind.toolCall, session: single, inputHash: ComplianceFixture.inputHash,
                  metadata: [("reference_database", .string("db"))], at: ComplianceFixture.at(day: 1))
        let r = try report(f, annex: true)
        #expect(statuses(r)["duration_of_use"] == .partial)
        #expect(statuses(r)["reference_database"] == .partial)
        #expect(statuses(r)["input_data"] == .partial)
        #expect(try section(r, "input_data").data["matches"] == .int(2))
        #expect(try section(r, "input_data").data["matches_with_input_hash"] == .int(1))
    }

    @Test(arguments: Backend.allCases)
    func annexSectionsAreNonCompliantWithoutAnyRecord(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let empty = try report(f, annex: true)
        #expect(statuses(empty)["duration_of_use"] == .nonCompliant)
        #expect(statuses(empty)["reference_database"] == .nonCompliant)
        #expect(statuses(empty)["input_data"] == .nonCompliant)
        let s = try SessionID.random()
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0))
        try f.add(EventKind.llmCall, session: s, model: "m", at: ComplianceFixture.at(day: 0, hour: 11))
        let bare = try report(f, annex: true)
        #expect(statuses(bare)["reference_database"] == .nonCompliant)
        #expect(statuses(bare)["input_data"] == .nonCompliant)
        #expect(statuses(bare)["duration_of_use"] == .compliant)
    }

    // MARK: event registration

    @Test(arguments: Backend.allCases)
    func eventRegistrationStatuses(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let f = try ComplianceFixture(db)
        #expect(statuses(try report(f))["event_registration"] == .nonCompliant, "no events is no evidence")
        let sessions = try f.wellGovernedAgent()
        #expect(statuses(try report(f))["event_registration"] == .compliant)
        let unverified = try report(f, verify: false)
        #expect(unverified.chainIntegrity == .unverified)
        #expect(statuses(unverified)["event_registration"] == .partial)
        // A row removed from the middle of a chain: a seq break even without verification.
        try db.rawConnection().execute("DELETE FROM governance_audit_events WHERE session_id = ? AND seq = 3", [.text(sessions[0].value)])
        let cut = try report(f, verify: false)
        #expect(statuses(cut)["event_registration"] == .nonCompliant)
        #expect(try section(cut, "event_registration").data["sessions_with_seq_breaks"] == .int(1))
    }

    @Test(arguments: Backend.allCases)
    func tamperedChainFailsIntegrityButStillReports(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let f = try ComplianceFixture(db)
        let sessions = try f.wellGovernedAgent()
        try db.rawConnection().execute("UPDATE governance_audit_events SET kind = 'tool.call' WHERE session_id = ? AND kind = ?",
                                       [.text(sessions[1].value), .text(EventKind.scopeViolation)])
        let r = try report(f)
        #expect(r.chainIntegrity == .failed)
        #expect(r.chainFailures.first?.reason == .hmacMismatch)
        #expect(r.chainFailures.first?.sessionID == sessions[1].value)
        #expect(statuses(r)["event_registration"] == .nonCompliant)
        #expect(r.json["chain_integrity_status"] == .string("failed"))
    }

    @Test(arguments: Backend.allCases)
    func retentionIsShownAgainstTheRetentionPeriod(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent()
        let old = try report(f)
        let retention = try section(old, "event_registration").data["retention"]
        #expect(retention?["retention_days"] == .int(183))
        #expect(retention?["oldest_event_age_days"] == .int(200))
        #expect(retention?["log_spans_retention_period"] == .bool(true))
        let young = try ComplianceReporter(db: f.store.connection, keys: testKeys)
            .generate(ReportOptions(kind: .article12, verifyChain: true, retentionDays: 365), now: Self.now)
        #expect(try section(young, "event_registration").data["retention"]?["log_spans_retention_period"] == .bool(false))
        #expect(try section(young, "event_registration").findings.contains { $0.contains("cannot tell") })
    }

    // MARK: functioning and post-market monitoring

    @Test(arguments: Backend.allCases)
    func functioningNeedsDetectorsAndResponses(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        // Actions but no policy, no violations: zero violations alone is not evidence.
        try f.add(EventKind.llmCall, session: s, model: "m", at: ComplianceFixture.at(day: 0))
        try f.add(EventKind.llmCall, session: s, model: "m", at: ComplianceFixture.at(day: 1))
        var st = statuses(try report(f))
        #expect(st["functioning"] == .nonCompliant)
        #expect(st["post_market_monitoring"] == .nonCompliant)
        // A policy: the detectors ran, and no anomaly was recorded.
        try f.add(EventKind.policyApplied, session: s, at: ComplianceFixture.at(day: 0, hour: 1))
        st = statuses(try report(f))
        #expect(st["functioning"] == .compliant)
        #expect(st["post_market_monitoring"] == .compliant)
        // An anomaly after the last response: nothing answered it.
        try f.add(EventKind.budgetExceeded, session: s, at: ComplianceFixture.at(day: 2))
        st = statuses(try report(f))
        #expect(st["functioning"] == .nonCompliant)
        // A kill answers it; a later loop is left unanswered: partial.
        try f.add(EventKind.operatorKill, session: s, metadata: [("by", .string("op"))], at: ComplianceFixture.at(day: 2, hour: 10))
        try f.add(EventKind.loopDetected, session: s, at: ComplianceFixture.at(day: 3))
        st = statuses(try report(f))
        #expect(st["functioning"] == .partial)
        #expect(st["post_market_monitoring"] == .partial)
    }

    @Test(arguments: Backend.allCases)
    func agentsActingWithoutPolicyMakeFunctioningPartial(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent("governed")
        try f.add(EventKind.toolCall, agent: "ungoverned", session: try SessionID.random(), at: ComplianceFixture.at(day: 1))
        let r = try report(f)
        #expect(statuses(r)["functioning"] == .partial)
        #expect(try section(r, "functioning").data["acting_agents_without_policy"] == .int(1))
    }

    @Test(arguments: Backend.allCases)
    func postMarketMonitoringIsPartialOnOneDayOrWithoutModels(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        try f.add(EventKind.policyApplied, session: s, at: ComplianceFixture.at(day: 0, hour: 1))
        try f.add(EventKind.llmCall, session: s, model: "m", at: ComplianceFixture.at(day: 0, hour: 2))
        #expect(statuses(try report(f))["post_market_monitoring"] == .partial, "a single day shows no trend")
        try f.add(EventKind.llmCall, session: s, at: ComplianceFixture.at(day: 1))
        let r = try report(f)
        #expect(statuses(r)["post_market_monitoring"] == .partial, "an llm.call without its model")
        #expect(try section(r, "post_market_monitoring").data["llm_calls_without_model"] == .int(1))
    }

    // MARK: human oversight

    @Test(arguments: Backend.allCases)
    func humanOversightStatuses(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0))
        var r = try report(f)
        #expect(statuses(r)["human_oversight"] == .partial, "oversight available, never exercised")
        #expect(try section(r, "human_oversight").data["kill_switch"] == .string("available"))

        try f.add(EventKind.gateRequested, session: s, metadata: [("request_id", .string("r1"))], at: ComplianceFixture.at(day: 0, hour: 10))
        #expect(statuses(try report(f))["human_oversight"] == .nonCompliant, "requested, never decided")

        // Decided, but the decision names nobody (metadata without "operator" is not identified).
        try f.add(EventKind.gateDenied, session: s, metadata: [("request_id", .string("r1")), ("operator", .string("  "))],
                  at: ComplianceFixture.at(day: 0, hour: 11))
        r = try report(f)
        #expect(statuses(r)["human_oversight"] == .nonCompliant, "no decision by an identified operator")

        try f.add(EventKind.gateRequested, session: s, metadata: [("request_id", .string("r2"))], at: ComplianceFixture.at(day: 0, hour: 12))
        try f.add(EventKind.gateGranted, session: s, metadata: [("request_id", .string("r2")), ("operator", .string("dana"))],
                  at: ComplianceFixture.at(day: 0, hour: 13))
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0, hour: 14))
        r = try report(f)
        #expect(statuses(r)["human_oversight"] == .partial, "one of two decisions unidentified")
        #expect(try section(r, "human_oversight").data["decisions_by_identified_operator"] == .int(1))
    }

    @Test(arguments: Backend.allCases)
    func grantWithoutTheGatedActionIsPartial(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        try f.add(EventKind.gateRequested, session: s, metadata: [("request_id", .string("r1"))], at: ComplianceFixture.at(day: 0))
        // The tool call before the grant does not count as the gated action.
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0, hour: 10))
        try f.add(EventKind.gateGranted, session: s, metadata: [("operator", .string("erin"))], at: ComplianceFixture.at(day: 0, hour: 11))
        let r = try report(f)
        #expect(statuses(r)["human_oversight"] == .partial)
        #expect(try section(r, "human_oversight").data["grants_followed_by_action"] == .int(0))
    }

    // MARK: summary

    @Test(arguments: Backend.allCases)
    func summaryCountsAgentsViolationsAndOperators(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent("agent-a")
        let s = try SessionID.random()
        try f.add(EventKind.contractPreViolation, agent: "agent-b", session: s, at: ComplianceFixture.at(day: 5))
        try f.add(EventKind.budgetExceeded, agent: "agent-b", session: s, at: ComplianceFixture.at(day: 5, hour: 10))
        let r = try report(f, .summary)
        #expect(r.sections.map(\.id) == ["agent_overview", "violation_summary", "human_oversight"])
        let violations = try section(r, "violation_summary")
        #expect(violations.data["scope"] == .int(2))
        #expect(violations.data["loop"] == .int(1))
        #expect(violations.data["contract"] == .int(1))
        #expect(violations.data["budget"] == .int(1))
        #expect(violations.data["kills"] == .int(1))
        #expect(violations.status == .partial, "agent-b's violations were not answered")
        let agents = try #require(try section(r, "agent_overview").data["agents"])
        guard case .array(let list) = agents else { Issue.record("agents is not an array"); return }
        #expect(list.count == 2)
        #expect(list.first?["agent_id"] == .string("agent-a"))
        #expect(list.first?["sessions"] == .int(3))
        #expect(list.first?["models"] == .array([.string("gpt-4o"), .string("claude-sonnet-4-5")]))
        let oversight = try section(r, "human_oversight")
        guard case .array(let operators) = oversight.data["operators"] ?? .null else { Issue.record("no operators"); return }
        #expect(operators.map { $0["operator"] } == [.string("bob"), .string("carol")])
        #expect(operators.first?["granted"] == .int(2))
        #expect(operators.last?["kills"] == .int(1))
    }

    // MARK: filters

    @Test(arguments: Backend.allCases)
    func filtersSelectAgentSessionsAndTime(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let a = try f.wellGovernedAgent("agent-a")
        try f.wellGovernedAgent("agent-b", days: 3)
        let all = try report(f)
        #expect(all.evidence.events == (1 + 2 * 7 + 3) + (1 + 3 * 7 + 3))
        let onlyA = try report(f, filters: ReportFilters(agentID: "agent-a"))
        #expect(onlyA.evidence.events == 18)
        #expect(Set(onlyA.evidence.agents.keys) == ["agent-a"])
        #expect(onlyA.chainIntegrity == .verified)
        let oneSession = try report(f, filters: ReportFilters(sessionIDs: [a[0]]))
        #expect(oneSession.evidence.events == 7)
        #expect(oneSession.evidence.sessions.map(\.sessionID) == [a[0].value])
        let twoSessions = try report(f, filters: ReportFilters(sessionIDs: [a[1], a[0], a[0]]))
        #expect(twoSessions.evidence.events == 9 + 7)
        let dayOne = try report(f, filters: ReportFilters(from: ComplianceFixture.at(day: 1, hour: 0), to: ComplianceFixture.at(day: 2, hour: 0)))
        #expect(dayOne.evidence.events == 7 + 3 + 7)
        #expect(dayOne.evidence.dayCount == 1)
        // The policy and the kill outside the window still count: they are read for the agent whole.
        #expect(statuses(dayOne)["functioning"] == .compliant)
        #expect(throws: GovernanceError.self) {
            try report(f, filters: ReportFilters(from: ComplianceFixture.at(day: 2), to: ComplianceFixture.at(day: 1)))
        }
    }

    @Test(arguments: Backend.allCases)
    func aResponseInAnotherChainAnswersAnAnomalyOfAFilteredSession(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let sessions = try f.wellGovernedAgent()
        // The loop is in the last session; the kill that answers it is in the agent's own chain.
        let r = try report(f, filters: ReportFilters(sessionIDs: [sessions[1]]))
        #expect(try section(r, "functioning").data["anomalies"] == .int(2))
        #expect(try section(r, "functioning").data["anomalies_followed_by_response"] == .int(2))
        #expect(try section(r, "functioning").data["agents_with_policy"] == .int(1), "the policy was applied in another chain")
        #expect(statuses(r)["functioning"] == .compliant)
    }

    // MARK: bounded memory

    @Test(arguments: Backend.allCases)
    func agentMapIsCappedAndTheRestCounted(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        let extra = 25
        try f.log.append(batch: try (0..<(Evidence.maxAgents + extra)).map {
            try PendingEvent(validating: AuditEventInput(sessionID: s, agentID: "agent-\($0)", kind: EventKind.toolCall))
        })
        let r = try report(f, .summary, verify: false)
        #expect(r.evidence.events == Evidence.maxAgents + extra)
        #expect(r.evidence.agents.count == Evidence.maxAgents)
        #expect(r.evidence.agentEventsOmitted == extra)
        #expect(try section(r, "agent_overview").tables[0].omitted == Evidence.maxAgents - 200)
    }

    // MARK: what every report carries

    @Test(arguments: Backend.allCases)
    func everyReportCarriesItsIdentityCaveatAndNullCoverage(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent()
        for kind in ReportKind.allCases {
            let r = try report(f, kind, verify: false)
            let text = JSONWriter.ordered(r.json)
            let json = try JSONParser.parse(text)
            #expect(UUID(uuidString: json["report_id"]?.stringValue ?? "") != nil)
            #expect(json["generated_at"] == .string(Self.now.iso8601))
            #expect(json["kind"] == .string(kind.rawValue))
            #expect(json["chain_integrity_status"] == .string("unverified"))
            #expect(json["coverage_pct"] == .null)
            #expect(text.contains("\"coverage_pct\":null"))
            #expect(json["coverage_caveat"]?.stringValue?.contains("Only actions routed through governance are included") == true)
            #expect(json["chain_integrity_note"]?.stringValue?.contains("tamper-evident, not tamper-proof") == true)
            #expect(json["filters"]?["agent"] == .null)
            for format in [ReportText.render(r), ReportMarkdown.render(r), ReportHTML.render(r)] {
                #expect(format.contains("tamper-evident, not tamper-proof"))
                #expect(format.contains("Only actions routed through governance are included"))
                #expect(format.contains(r.reportID))
            }
        }
        let a = try report(f), b = try report(f)
        #expect(a.reportID != b.reportID)
    }
}

/// A realistic fortnight of three agents, rendered as HTML: checked for its structure here, and
/// written to $GOVERNANCE_REPORT_PREVIEW when set, to look at in a browser (docs/COMPLIANCE.md).
@Suite struct CompliancePreviewTests {
    static func realisticFixture(_ f: ComplianceFixture) throws {
        let models = ["gpt-4o", "claude-sonnet-4-5", "gpt-4o-mini", "mistral/mistral-large-latest"]
        for (a, agent) in ["billing-agent", "support-agent", "research-agent"].enumerated() {
            let own = try SessionID.random()
            if agent != "research-agent" {
                try f.add(EventKind.policyApplied, agent: agent, session: own, metadata: [("operator", .string("alice"))],
                          at: ComplianceFixture.at(day: 0, hour: 7))
            }
            for day in 0..<14 where (day + a) % 5 != 4 {
                let s = try SessionID.random()
                let calls = 3 + (day * 7 + a * 3) % 9
                for c in 0..<calls {
                    try f.add(EventKind.llmCall, agent: agent, session: s, model: models[(c + a + day) % (a == 2 ? 4 : 2 + a)],
                              inputHash: ComplianceFixture.inputHash, at: ComplianceFixture.at(day: day, hour: 8 + c % 10, minute: c))
                    try f.add(EventKind.toolCall, agent: agent, session: s, at: ComplianceFixture.at(day: day, hour: 8 + c % 10, minute: c + 1))
                }
                if (day + a) % 3 == 0 {
                    try f.add(EventKind.scopeViolation, agent: agent, session: s, at: ComplianceFixture.at(day: day, hour: 18))
                    try f.add(EventKind.gateRequested, agent: agent, session: s, metadata: [("request_id", .string("r-\(a)-\(day)"))],
                              at: ComplianceFixture.at(day: day, hour: 18, minute: 5))
                    let who: [(String, JSONValue)] = day == 9 ? [] : [("operator", .string(["bob", "carol"][day % 2])), ("host", .string("ops-1"))]
                    try f.add(day % 4 == 0 ? EventKind.gateDenied : EventKind.gateGranted, agent: agent, session: s,
                              metadata: [("request_id", .string("r-\(a)-\(day)"))] + who, at: ComplianceFixture.at(day: day, hour: 18, minute: 30))
                    if day % 4 != 0 { try f.add(EventKind.toolCall, agent: agent, session: s, at: ComplianceFixture.at(day: day, hour: 18, minute: 31)) }
                }
                if agent == "research-agent", day == 12 {
                    try f.add(EventKind.loopDetected, agent: agent, session: s, at: ComplianceFixture.at(day: day, hour: 19))
                    try f.add(EventKind.budgetExceeded, agent: agent, session: s, at: ComplianceFixture.at(day: day, hour: 19, minute: 2))
                }
            }
            if agent == "billing-agent" {
                try f.add(EventKind.operatorKill, agent: agent, session: own, metadata: [("by", .string("carol")), ("os_user", .string("carol"))],
                          at: ComplianceFixture.at(day: 13, hour: 20))
            }
        }
    }

    @Test func realisticHTMLReport() throws {
        let f = try ComplianceFixture(try TestDatabase.make(.sqlite))
        try Self.realisticFixture(f)
        let report = try ComplianceReporter(db: f.store.connection, keys: testKeys)
            .generate(ReportOptions(kind: .article12, verifyChain: true), now: ComplianceFixture.at(day: 14, hour: 9))
        let html = ReportHTML.render(report)
        #expect(html.components(separatedBy: "<svg").count == 3, "two charts")
        #expect(html.components(separatedBy: "class=\"card ").count == 8, "seven status cards")
        #expect(!html.contains("<script"))
        if let path = ProcessInfo.processInfo.environment["GOVERNANCE_REPORT_PREVIEW"] {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

/// The agent holds the audit secret: it can append any event it likes. Operator events count only
/// with an operator's signature, and nothing of a session counts past its first integrity failure.
@Suite struct ComplianceEvidenceAuthenticityTests {
    static let now = ComplianceFixture.at(day: 200)

    func report(_ f: ComplianceFixture, verify: Bool = true) throws -> ComplianceReport {
        try ComplianceReporter(db: f.store.connection, keys: testKeys)
            .generate(ReportOptions(kind: .article12, verifyChain: verify), now: Self.now)
    }

    /// The issue's reproduction: three scope violations make functioning non-compliant; a
    /// presence.revive, gate.requested and gate.granted {"by": "alice"} written with the secret
    /// alone made every section compliant. Unsigned, they count for nothing and are named.
    @Test(arguments: Backend.allCases)
    func operatorEventsWithoutASignatureAreNotEvidence(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        let s = try SessionID.random()
        try f.add(EventKind.policyApplied, session: s, metadata: [("by", .string("alice"))], at: ComplianceFixture.at(day: 0, hour: 8))
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0, hour: 9))
        for minute in 1...3 { try f.add(EventKind.scopeViolation, session: s, at: ComplianceFixture.at(day: 0, hour: 9, minute: minute)) }
        let before = try report(f)
        let functioning = try #require(before.sections.first { $0.id == "functioning" })
        #expect(functioning.data["anomalies_followed_by_response"] == .int(0))

        try f.add(EventKind.operatorRevive, session: s, metadata: [("by", .string("alice"))], signed: false, at: ComplianceFixture.at(day: 0, hour: 10))
        try f.add(EventKind.gateRequested, session: s, at: ComplianceFixture.at(day: 0, hour: 10, minute: 1))
        try f.add(EventKind.gateGranted, session: s, metadata: [("by", .string("alice"))], signed: false, at: ComplianceFixture.at(day: 0, hour: 10, minute: 2))
        let after = try report(f)
        let oversight = try #require(after.sections.first { $0.id == "human_oversight" })
        #expect(oversight.data["unsigned_operator_events"] == .int(2))
        #expect(oversight.data["approvals_granted"] == .int(0) && oversight.data["revivals"] == .int(0))
        #expect(oversight.status == .nonCompliant)
        // (gate.requested is the agent's own event: a request for approval is a response the
        // agent may log through its enforcement path.)
        #expect(after.isAtOrBelow(.partial), "--fail-on partial still fails")

        // The same events signed by a registered operator are evidence.
        try f.add(EventKind.gateGranted, session: s, metadata: [("by", .string("alice"))], at: ComplianceFixture.at(day: 0, hour: 10, minute: 3))
        let signed = try #require(try report(f).sections.first { $0.id == "human_oversight" })
        #expect(signed.data["approvals_granted"] == .int(1))
    }

    /// A row tampered into something else breaks its chain there: nothing of that session from
    /// that seq on is evidence, so a tampered row made into presence.revive cannot count.
    @Test(arguments: Backend.allCases)
    func evidenceStopsAtASessionsFirstIntegrityFailure(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let f = try ComplianceFixture(db)
        let s = try SessionID.random()
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0, hour: 9))
        try f.add(EventKind.scopeViolation, session: s, at: ComplianceFixture.at(day: 0, hour: 9, minute: 1))
        try f.add(EventKind.toolCall, session: s, at: ComplianceFixture.at(day: 0, hour: 9, minute: 2))
        #expect(try report(f).evidence.events == 3)
        try db.rawConnection().execute("UPDATE governance_audit_events SET kind = ? WHERE session_id = ? AND seq = 2",
                                       [.text(EventKind.operatorRevive), .text(s.value)])
        let tampered = try report(f)
        #expect(tampered.chainIntegrity == .failed)
        #expect(tampered.evidence.events == 1, "only seq 1 precedes the failure")
        #expect(tampered.evidence.revivals == 0 && tampered.evidence.unsignedOperatorEvents == 0)
    }
}
