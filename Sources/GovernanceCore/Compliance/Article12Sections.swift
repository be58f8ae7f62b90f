/// The seven sections of the Article 12 report, each judged from the evidence by the rules in
/// docs/COMPLIANCE.md. A status says how far the log evidences the section for the actions it
/// holds; it is never a verdict on the deployment.
struct Article12Sections {
    let evidence: Evidence
    let integrity: ChainIntegrityStatus
    let failures: [ChainFailure]
    let options: ReportOptions
    let now: Timestamp

    var all: [ReportSection] {
        [eventRegistration, durationOfUse, referenceDatabase, inputData, functioning, humanOversight, postMarketMonitoring]
    }

    private var e: Evidence { evidence }

    // MARK: 1. event registration

    var eventRegistration: ReportSection {
        var judge = Judgement()
        if e.events == 0 { judge.lower(.nonCompliant, "No events were recorded in the period and scope of this report.") }
        switch integrity {
        case .failed:
            judge.lower(.nonCompliant, "Chain verification FAILED for \(plural(failures.count, "session")): the log was changed after it was written.")
        case .unverified:
            judge.lower(.partial, "The chain was not verified (run with --verify-chain): integrity is not evidenced.")
        case .empty:
            judge.note("No chain was read, so there was nothing to verify.")
        case .verified:
            judge.note("Every chain read verified: HMACs recomputed, links and session heads matched.")
        }
        if e.sessionsWithSeqBreaks > 0 {
            judge.lower(.nonCompliant, "\(plural(e.sessionsWithSeqBreaks, "session")) have seq numbers that do not run 1, 2, 3... (a gap, duplicate or cut).")
        } else if e.sessionsRead > 0 {
            judge.note("seq is contiguous from 1 in every session read.")
        }
        if e.eventsMissingFields > 0 {
            judge.lower(.partial, "\(plural(e.eventsMissingFields, "event")) lack a required field (agent, kind, or metadata object).")
        }
        let retention = retentionFacts
        judge.note(retention.finding)

        return ReportSection(
            id: "event_registration", title: "Event registration",
            articles: ["Art. 12(1)", "Art. 12(2)", "Art. 19(1)", "Art. 26(6)"],
            description: "Events are recorded automatically over the system's lifetime, in a chain that shows whether the record is complete and unchanged, and kept for the retention period.",
            status: judge.status, findings: judge.findings,
            facts: [("Events", grouped(e.events)), ("Sessions read", grouped(e.sessionsRead)),
                    ("Chain integrity", integrity.rawValue), ("Sessions with seq breaks", grouped(e.sessionsWithSeqBreaks)),
                    ("Events missing required fields", grouped(e.eventsMissingFields))] + retention.facts,
            tables: failures.isEmpty ? [] : [ReportTable(
                title: "Chain failures", columns: ["Session", "Seq", "Reason", "Detail"],
                rows: failures.prefix(100).map { [$0.sessionID, String($0.seq), $0.reason.rawValue, $0.detail] },
                omitted: max(0, failures.count - 100))],
            data: .object([
                ("events", .int(e.events)),
                ("sessions", .int(e.sessionsRead)),
                ("chain_integrity_status", .string(integrity.rawValue)),
                ("sessions_with_seq_breaks", .int(e.sessionsWithSeqBreaks)),
                ("first_seq_break", e.firstSeqBreak.map { .object([("session_id", .string($0.session)), ("seq", .int64($0.seq))]) } ?? .null),
                ("events_missing_required_fields", .int(e.eventsMissingFields)),
                ("retention", retention.json),
            ]))
    }

    private var retentionFacts: (facts: [(String, String)], finding: String, json: JSONValue) {
        let days = options.retentionDays
        guard let oldest = e.oldestRetained else {
            return ([("Retention period", "\(days) days")], "No events are kept, so retention cannot be shown.",
                    .object([("retention_days", .int64(days)), ("oldest_event_at", .null), ("oldest_event_age_days", .null),
                             ("log_spans_retention_period", .bool(false))]))
        }
        let age = max(0, (now.microseconds - oldest.microseconds) / Evidence.day)
        let spans = age >= days
        let finding = spans
            ? "The oldest event kept is \(age) days old: the log reaches back the full \(days)-day retention period (Art. 19(1), 26(6): at least six months)."
            : "The oldest event kept is \(age) days old, younger than the \(days)-day retention period: either the system is newer than that, or older events were removed; the log cannot tell which."
        return ([("Retention period", "\(days) days"), ("Oldest event kept", oldest.readable()), ("Its age", "\(age) days")], finding,
                .object([("retention_days", .int64(days)), ("oldest_event_at", .string(oldest.iso8601)),
                         ("oldest_event_age_days", .int64(age)), ("log_spans_retention_period", .bool(spans))]))
    }

    // MARK: 2. duration of use — Art. 12(3)(a)

    var durationOfUse: ReportSection {
        var findings: [String] = []
        let status: EvidenceStatus
        let instant = e.sessions.filter { $0.startAt == $0.endAt }.count
        // Chronological, as a reader of a period of use expects (the stream reads them by id).
        let sessions = e.sessions.sorted { ($0.startAt, $0.sessionID) < ($1.startAt, $1.sessionID) }
        if !options.annexIII1a {
            status = .notApplicable
            findings.append("Art. 12(3)(a) applies only to Annex III point 1(a) systems (run with --annex-iii-1a); the sessions are shown for information.")
        } else if e.sessions.isEmpty {
            status = .nonCompliant
            findings.append("No session was recorded: the period of use cannot be shown.")
        } else if instant > 0 || e.sessionsOmitted > 0 {
            status = .partial
            if instant > 0 { findings.append("\(plural(instant, "session")) hold a single instant: start and end of use are not distinguishable.") }
            if e.sessionsOmitted > 0 { findings.append("\(plural(e.sessionsOmitted, "session")) past the listing cap are not itemised.") }
        } else {
            status = .compliant
            findings.append("Every session has a recorded start and end (first and last event, UTC).")
        }
        return ReportSection(
            id: "duration_of_use", title: "Duration of use",
            articles: ["Art. 12(3)(a)"],
            description: "The period of each use: start and end date and time of each session, in UTC, from its first and last recorded event.",
            status: status, findings: findings,
            facts: [("Sessions", grouped(e.sessions.count + e.sessionsOmitted))],
            tables: [ReportTable(title: "Sessions", columns: ["Session", "Agent", "Start", "End", "Events"],
                                 rows: sessions.prefix(options.sessionsShown).map {
                                     [$0.sessionID, $0.agentID, $0.startAt.readable(), $0.endAt.readable(), grouped($0.events)]
                                 },
                                 omitted: max(0, e.sessions.count - options.sessionsShown) + e.sessionsOmitted, rowNoun: "sessions")],
            data: .object([
                ("sessions", .array(sessions.map { .object([("session_id", .string($0.sessionID)), ("agent_id", .string($0.agentID)),
                                                             ("start_at", .string($0.startAt.iso8601)), ("end_at", .string($0.endAt.iso8601)),
                                                             ("events", .int($0.events))]) })),
                ("sessions_omitted", .int(e.sessionsOmitted)),
            ]))
    }

    // MARK: 3. reference database — Art. 12(3)(b)

    var referenceDatabase: ReportSection {
        let (status, findings) = annexShare(covered: e.withReferenceDatabase, of: e.actions,
                                            what: "name the reference database they were checked against (metadata \"reference_database\")")
        return ReportSection(
            id: "reference_database", title: "Reference database",
            articles: ["Art. 12(3)(b)"],
            description: "The reference database against which input data was checked, recorded on each governed action.",
            status: status, findings: findings,
            facts: [("Governed actions", grouped(e.actions)), ("Naming a reference database", options.annexIII1a ? grouped(e.withReferenceDatabase) : "not read")],
            tables: [],
            data: .object([("actions", .int(e.actions)),
                           ("actions_with_reference_database", options.annexIII1a ? .int(e.withReferenceDatabase) : .null)]))
    }

    // MARK: 4. input data — Art. 12(3)(c)

    var inputData: ReportSection {
        var (status, findings) = annexShare(covered: e.withInputHash, of: e.actions,
                                            what: "record their input (as its SHA-256, input_hash)")
        if options.annexIII1a, e.matches > e.matchesWithInput {
            findings.append("\(plural(e.matches - e.matchesWithInput, "match")) (metadata \"match\": true) lack the input that led to them.")
            if status == .compliant { status = .partial }
        }
        return ReportSection(
            id: "input_data", title: "Input data",
            articles: ["Art. 12(3)(c)"],
            description: "The input data for which a search led to a match, recorded as a SHA-256 of the input so that it can be matched without the log holding it.",
            status: status, findings: findings,
            facts: [("Governed actions", grouped(e.actions)), ("With input recorded", grouped(e.withInputHash)),
                    ("Matches", options.annexIII1a ? grouped(e.matches) : "not read"),
                    ("Matches with input", options.annexIII1a ? grouped(e.matchesWithInput) : "not read")],
            tables: [],
            data: .object([("actions", .int(e.actions)), ("actions_with_input_hash", .int(e.withInputHash)),
                           ("matches", options.annexIII1a ? .int(e.matches) : .null),
                           ("matches_with_input_hash", options.annexIII1a ? .int(e.matchesWithInput) : .null)]))
    }

    private func annexShare(covered: Int, of total: Int, what: String) -> (EvidenceStatus, [String]) {
        guard options.annexIII1a else {
            return (.notApplicable, ["Art. 12(3) applies only to Annex III point 1(a) systems (run with --annex-iii-1a)."])
        }
        if total == 0 { return (.nonCompliant, ["No governed action (tool.call, llm.call) was recorded, so none can \(what)."]) }
        if covered == total { return (.compliant, ["All \(grouped(total)) governed actions \(what)."]) }
        if covered == 0 { return (.nonCompliant, ["None of the \(grouped(total)) governed actions \(what)."]) }
        return (.partial, ["\(grouped(covered)) of \(grouped(total)) governed actions \(what)."])
    }

    // MARK: 5. functioning — Art. 12(2)(a), 12(2)(c)

    var functioning: ReportSection {
        var (status, findings) = detectorFindings
        if e.actingAgentsWithoutPolicy > 0, e.agentsWithPolicy > 0 {
            findings.append("\(plural(e.actingAgentsWithoutPolicy, "agent")) acted with no policy applied.")
            if status == .compliant { status = .partial }
        }
        return ReportSection(
            id: "functioning", title: "Functioning",
            articles: ["Art. 12(2)(a)", "Art. 12(2)(c)", "Art. 26(5)"],
            description: "The detectors ran (policies registered, checks recorded), anomalies they found were followed by a logged response, and activity per model over time. Zero violations alone is not evidence.",
            status: status, findings: findings,
            facts: [("Agents", grouped(e.agents.count)), ("Agents with a policy applied", grouped(e.agentsWithPolicy)),
                    ("Checked actions (tool.call, llm.call)", grouped(e.actions)), ("Anomalies", grouped(e.anomalies)),
                    ("Followed by a response", grouped(e.anomaliesResponded)), ("Responses", grouped(e.responses))],
            tables: [unpolicedTable, modelTable],
            data: .object([
                ("agents", .int(e.agents.count)), ("agents_with_policy", .int(e.agentsWithPolicy)),
                ("acting_agents_without_policy", .int(e.actingAgentsWithoutPolicy)),
                ("policies_applied", .int(e.policiesApplied)), ("checked_actions", .int(e.actions)), ("checks", .int(e.checks)),
                ("anomalies", .int(e.anomalies)), ("anomalies_followed_by_response", .int(e.anomaliesResponded)),
                ("anomalies_refused", .int(e.anomaliesRefused)),
                ("responses", .int(e.responses)),
                ("anomalies_untimed", .int(e.anomaliesUntimed)),
                ("anomalies_by_kind", .object(EvidenceKinds.anomalies.sorted().map { ($0, .int(e.kinds[$0] ?? 0)) })),
                ("events_by_model", .object(e.models.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ]))
    }

    /// The rules functioning and post-market monitoring share.
    private var detectorFindings: (EvidenceStatus, [String]) {
        if e.events == 0 { return (.nonCompliant, ["No events in scope: nothing shows the detectors ran."]) }
        if e.agentsWithPolicy == 0 {
            return (.nonCompliant, ["No policy was applied to any agent in scope: no evidence that the detectors were configured (zero violations alone is not evidence)."])
        }
        if e.checks == 0 {
            return (.nonCompliant, ["No check was recorded (no governed action and no denial): no evidence that the detectors ran."])
        }
        var findings = ["Policies were applied to \(plural(e.agentsWithPolicy, "agent")) and \(plural(e.checks, "check")) were recorded."]
        if e.anomalies == 0 {
            findings.append("No anomaly was recorded in the period.")
            return (.compliant, findings)
        }
        let unanswered = e.anomalies - e.anomaliesResponded
        if e.anomaliesRefused > 0 {
            findings.append("\(plural(e.anomaliesRefused, "anomaly", "anomalies")) were refused by the enforcement path itself (the action was blocked): the refusal is the response.")
        }
        if unanswered == 0 {
            findings.append("Every anomaly (\(grouped(e.anomalies))) was blocked by the enforcement path or followed by a logged response (kill, gate, policy change).")
            return (.compliant, findings)
        }
        findings.append("\(grouped(unanswered)) of \(plural(e.anomalies, "anomaly", "anomalies")) were not followed by any logged response.")
        return (e.anomaliesResponded == 0 ? .nonCompliant : .partial, findings)
    }

    /// The agents that acted with no policy applied: whom to look at first.
    private var unpolicedTable: ReportTable {
        let agents = e.agents.filter { $0.value.acted && !$0.value.hasPolicy }.sorted { $0.key < $1.key }
        return ReportTable(title: "Agents that acted with no policy applied", columns: ["Agent", "Events", "Anomalies"],
                           rows: agents.prefix(50).map { [$0.key, grouped($0.value.events), grouped($0.value.anomalies)] },
                           omitted: max(0, agents.count - 50))
    }

    private var modelTable: ReportTable {
        let sorted = e.models.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var rows = sorted.prefix(50).map { [$0.key, grouped($0.value)] }
        if e.eventsWithoutModel > 0 { rows.append(["(no model)", grouped(e.eventsWithoutModel)]) }
        return ReportTable(title: "Events by model", columns: ["Model", "Events"], rows: rows,
                           omitted: max(0, sorted.count - 50) + e.modelsOmitted)
    }

    // MARK: 6. human oversight — Art. 14(4)(e), 12(3)(d)

    var humanOversight: ReportSection {
        var judge = Judgement()
        let unidentified = e.decisions - e.decisionsIdentified
        let grantsWithoutAction = e.gatesGranted - e.grantsFollowedByAction
        if e.gatesRequested == 0 && e.kills == 0 && e.decisions == 0 {
            judge.lower(.partial, "No approval was requested and no agent was killed in the period: oversight was available (governance presence kill halts an agent at every enforcement command) but not exercised, so the log cannot show it working.")
        }
        if e.gatesRequested > 0 && e.decisions == 0 {
            judge.lower(.nonCompliant, "\(plural(e.gatesRequested, "approval")) requested and none decided.")
        } else if e.pendingGates > 0 {
            judge.lower(.partial, "\(plural(e.pendingGates, "approval")) requested but not decided.")
        }
        if e.decisions > 0 {
            if e.decisionsIdentified == 0 {
                judge.lower(.nonCompliant, "None of the \(plural(e.decisions, "decision")) names the operator who took it.")
            } else if unidentified > 0 {
                judge.lower(.partial, "\(grouped(unidentified)) of \(plural(e.decisions, "decision")) do not name the operator (metadata \"operator\").")
            } else {
                judge.note("Every decision (\(grouped(e.decisions))) names the operator who took it.")
            }
        }
        if grantsWithoutAction > 0 {
            judge.lower(.partial, "\(plural(grantsWithoutAction, "grant")) not followed by a gated action (tool.call) in the same session.")
        } else if e.gatesGranted > 0 {
            judge.note("Every grant was followed by the gated action in its session.")
        }
        if e.kills > 0 {
            if e.killsIdentified < e.kills {
                judge.lower(.partial, "\(grouped(e.kills - e.killsIdentified)) of \(plural(e.kills, "kill")) do not name the operator.")
            } else {
                judge.note("The kill switch was exercised \(plural(e.kills, "time")), each by a named operator (Art. 14(4)(e)).")
            }
        }
        if e.unsignedOperatorEvents > 0 {
            judge.lower(.nonCompliant, "\(plural(e.unsignedOperatorEvents, "operator event")) (kill, revive, approval decision or policy change) carry no valid signature of a registered operator and were not counted: someone without an operator's key wrote them.")
        }
        if e.killsEnforced > 0 {
            judge.note("\(plural(e.killsEnforced, "action")) refused because the agent had been killed (agent.killed): the stop held.")
        }
        let operatorRows = e.operators.sorted { $0.key < $1.key }.prefix(100).map {
            [$0.key, grouped($0.value.granted), grouped($0.value.denied), grouped($0.value.kills), grouped($0.value.revivals)]
        }
        return ReportSection(
            id: "human_oversight", title: "Human oversight",
            // 12(3)(d), the persons verifying results, is cited only where 12(3) applies.
            articles: ["Art. 14(4)(e)", "Art. 26(2)"] + (options.annexIII1a ? ["Art. 12(3)(d)"] : []),
            description: "Approvals decided by identified operators, the gated action after each grant, and the stop procedure (kill switch) exercised or available.",
            status: judge.status, findings: judge.findings,
            facts: [("Approvals requested", grouped(e.gatesRequested)), ("Granted", grouped(e.gatesGranted)), ("Denied", grouped(e.gatesDenied)),
                    ("Decisions by an identified operator", grouped(e.decisionsIdentified)), ("Grants followed by the action", grouped(e.grantsFollowedByAction)),
                    ("Kills", grouped(e.kills)), ("Revivals", grouped(e.revivals))],
            tables: [ReportTable(title: "Operators", columns: ["Operator", "Granted", "Denied", "Kills", "Revivals"],
                                 rows: Array(operatorRows), omitted: max(0, e.operators.count - 100) + e.operatorsOmitted)],
            data: .object([
                ("approvals_requested", .int(e.gatesRequested)), ("approvals_granted", .int(e.gatesGranted)),
                ("approvals_denied", .int(e.gatesDenied)), ("approvals_pending", .int(e.pendingGates)),
                ("decisions_by_identified_operator", .int(e.decisionsIdentified)),
                ("grants_followed_by_action", .int(e.grantsFollowedByAction)),
                ("kills", .int(e.kills)), ("kills_by_identified_operator", .int(e.killsIdentified)), ("revivals", .int(e.revivals)),
                ("actions_refused_after_kill", .int(e.killsEnforced)),
                ("unsigned_operator_events", .int(e.unsignedOperatorEvents)),
                ("kill_switch", .string(e.kills > 0 ? "exercised" : "available")),
                ("operators", .array(e.operators.sorted { $0.key < $1.key }.map {
                    .object([("operator", .string($0.key)), ("granted", .int($0.value.granted)), ("denied", .int($0.value.denied)),
                             ("kills", .int($0.value.kills)), ("revivals", .int($0.value.revivals))])
                })),
                ("operators_omitted", .int(e.operatorsOmitted)),
            ]))
    }

    // MARK: 7. post-market monitoring — Art. 12(2)(b), Art. 72

    var postMarketMonitoring: ReportSection {
        var (status, findings) = detectorFindings
        if status != .nonCompliant {
            if e.llmCallsWithoutModel > 0 {
                findings.append("\(plural(e.llmCallsWithoutModel, "llm.call")) do not name the model: trends per model are incomplete.")
                status = .partial
            }
            if e.dayCount < 2 && e.previousReports == 0 {
                findings.append("Activity covers a single day and no earlier report was generated: no trend over time is evidenced yet.")
                status = .partial
            } else {
                findings.append("Trends per model and day cover \(plural(e.dayCount, "day")); \(plural(e.previousReports, "earlier report")) generated in scope.")
            }
        }
        return ReportSection(
            id: "post_market_monitoring", title: "Post-market monitoring",
            articles: ["Art. 12(2)(b)", "Art. 72"],
            description: "What the provider's post-market monitoring can draw on: activity and anomalies per model and per day, the responses that followed, and earlier reports.",
            status: status, findings: findings,
            facts: [("Days with activity", grouped(e.dayCount)), ("Models", grouped(e.models.count + e.modelsOmitted)),
                    ("llm.call without a model", grouped(e.llmCallsWithoutModel)), ("Earlier reports", grouped(e.previousReports))],
            tables: [dayTable],
            data: .object([("days", .int(e.dayCount)), ("models", .int(e.models.count + e.modelsOmitted)),
                           ("llm_calls_without_model", .int(e.llmCallsWithoutModel)), ("previous_reports", .int(e.previousReports))]))
    }

    private var dayTable: ReportTable {
        let keys = e.days.keys.sorted()
        return ReportTable(title: "Activity per day", columns: ["Day (UTC)", "Events", "Anomalies", "Responses"],
                           rows: keys.suffix(60).map { [Evidence.date(ofDay: $0), grouped(e.days[$0]!.events),
                                                        grouped(e.days[$0]!.anomalies), grouped(e.days[$0]!.responses)] },
                           omitted: max(0, keys.count - 60) + e.daysOmitted)
    }
}

/// A section's status and findings: starts compliant, and each shortfall lowers it and says why.
struct Judgement {
    private(set) var status = EvidenceStatus.compliant
    private(set) var findings: [String] = []

    mutating func lower(_ to: EvidenceStatus, _ why: String) {
        findings.append(why)
        if to.rank < status.rank { status = to }
    }

    mutating func note(_ finding: String) { findings.append(finding) }
}

func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

func plural(_ n: Int, _ singular: String, _ pluralForm: String? = nil) -> String {
    "\(grouped(n)) \(n == 1 ? singular : pluralForm ?? singular + "s")"
}
