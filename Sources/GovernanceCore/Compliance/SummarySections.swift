/// The three sections of the summary report. Each takes its status from the Article 12 section
/// that rests on the same evidence, so both reports gate alike.
struct SummarySections {
    let article12: Article12Sections

    private var e: Evidence { article12.evidence }

    var all: [ReportSection] { [agentOverview, violationSummary, humanOversight] }

    var agentOverview: ReportSection {
        let registration = article12.eventRegistration
        let sorted = e.agents.sorted { ($1.value.events, $0.key) < ($0.value.events, $1.key) }
        return ReportSection(
            id: "agent_overview", title: "Agent overview",
            articles: ["Art. 12(1)"],
            description: "Per agent: events, sessions, models and tracked spend (USD) recorded. The status is that of event registration.",
            status: registration.status, findings: registration.findings,
            facts: [("Agents", grouped(e.agents.count)), ("Events", grouped(e.events)), ("Sessions", grouped(e.sessionsRead)),
                    ("Models", grouped(e.models.count + e.modelsOmitted)), ("Spend (USD)", Money(nanos: e.usdNanos).decimal)],
            tables: [ReportTable(title: "Agents", columns: ["Agent", "Events", "Sessions", "Models", "USD", "First", "Last"],
                                 rows: sorted.prefix(200).map { [$0.key, grouped($0.value.events), grouped($0.value.sessions),
                                                                 $0.value.models.joined(separator: ", ") + ($0.value.modelsOmitted > 0 ? " and \($0.value.modelsOmitted) more" : ""),
                                                                 Money(nanos: $0.value.usdNanos).decimal, $0.value.firstAt.readable(), $0.value.lastAt.readable()] },
                                 omitted: max(0, sorted.count - 200))],
            data: .object([
                ("agents", .array(sorted.map { agent in
                    .object([("agent_id", .string(agent.key)), ("events", .int(agent.value.events)), ("sessions", .int(agent.value.sessions)),
                             ("models", .array(agent.value.models.map(JSONValue.string))), ("usd", .string(Money(nanos: agent.value.usdNanos).decimal)),
                             ("first_event_at", .string(agent.value.firstAt.iso8601)), ("last_event_at", .string(agent.value.lastAt.iso8601))])
                })),
                ("agent_events_omitted", .int(e.agentEventsOmitted)),
                ("events", .int(e.events)), ("sessions", .int(e.sessionsRead)), ("usd", .string(Money(nanos: e.usdNanos).decimal)),
                ("events_by_model", .object(e.models.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ]))
    }

    var violationSummary: ReportSection {
        let functioning = article12.functioning
        let categories = EvidenceKinds.violationCategories.map { ($0.name, $0.kinds.reduce(0) { $0 + (e.kinds[$1] ?? 0) }) }
        let withAnomalies = e.agents.filter { $0.value.anomalies > 0 || $0.value.kills > 0 }.sorted { $0.key < $1.key }
        return ReportSection(
            id: "violation_summary", title: "Violation summary",
            articles: ["Art. 12(2)(a)"],
            description: "Violations recorded by the detectors (scope, budget, loop, contract, gate, presence) and the kills that answered them. The status is that of functioning.",
            status: functioning.status, findings: functioning.findings,
            facts: categories.map { ($0.0.prefix(1).uppercased() + $0.0.dropFirst(), grouped($0.1)) } + [("Kills", grouped(e.kills))],
            tables: [ReportTable(title: "Agents with violations", columns: ["Agent", "Violations", "Followed by a response", "Kills"],
                                 rows: withAnomalies.prefix(200).map { [$0.key, grouped($0.value.anomalies), grouped($0.value.anomaliesResponded), grouped($0.value.kills)] },
                                 omitted: max(0, withAnomalies.count - 200))],
            data: .object(categories.map { ($0.0, .int($0.1)) } + [
                ("kills", .int(e.kills)),
                ("anomalies", .int(e.anomalies)),
                ("anomalies_followed_by_response", .int(e.anomaliesResponded)),
                ("by_kind", .object(EvidenceKinds.anomalies.sorted().map { ($0, .int(e.kinds[$0] ?? 0)) })),
            ]))
    }

    var humanOversight: ReportSection {
        var section = article12.humanOversight
        section.articles = ["Art. 14(4)(e)"]
        section.description = "Approvals requested, granted and denied, and by whom; kills and revivals."
        return section
    }
}
