import GovernanceCore

extension Cost {
    enum Report {
        static let by: Flag<String> = .choice("by", value: "GROUP", CostReport.Grouping.allCases.map(\.rawValue),
                                              "Group the spend by agent, model or UTC day (default agent)")

        static let command = CommandSpec(
            "report", "Fleet spend over a time range, by agent, model or day",
            doc: """
            Adds up every tracked call (`cost track`, `cost track-usage`, the gateway and exec: the llm.call and \
            cost.tracked events that carry spend, the same ones the budgets count) from --since up to, not \
            including, --until (relative times such as 7d or yesterday are resolved in UTC), for all agents or \
            one. Each row gives calls, USD, tokens (input, output, cached input) and unpriced calls; rows are \
            most expensive first (by day: oldest first), with a total. Text is an aligned table; --json gives \
            exact decimal USD. Spend still in the spool is not counted until `audit flush`. The events are read \
            as stored: `audit verify` proves them untouched.
            """,
            flags: [by, Audit.Filters.since, Audit.Filters.until, SharedFlags.agentFilter.completing(.agent)],
            examples: ["governance cost report --by agent --since 7d", "governance cost report --by day --since 30d --agent billing-agent --json",
                       "governance cost report --by model --since 2026-11-01 --until 2026-12-01"],
            needs: .read
        ) { args, run in
            let grouping = CostReport.Grouping(rawValue: try args[by] ?? "agent") ?? .agent
            let report = try CostReport.build(try run.store.connection, by: grouping, since: try args[Audit.Filters.since],
                                              until: try args[Audit.Filters.until], agentID: try args[SharedFlags.agent])
            if report.unreadable > 0 {
                run.warn("\(report.unreadable) spend event(s) could not be read and are not counted (run `governance audit verify`)")
            }
            run.emit(json: report.json, text: text(report))
            return 0
        }

        static func text(_ report: CostReport) -> String {
            let header = [report.grouping == .agent ? "AGENT" : report.grouping.rawValue.uppercased(), "CALLS", "USD", "TOKENS", "INPUT", "OUTPUT",
                          "CACHED", "UNPRICED"]
            func cells(_ row: CostReport.Row, key: String) -> [String] {
                [key, Render.grouped(Int(clamping: row.calls)), row.usd.decimal, Render.grouped(Int(clamping: row.tokens)),
                 Render.grouped(Int(clamping: row.inputTokens)), Render.grouped(Int(clamping: row.outputTokens)),
                 Render.grouped(Int(clamping: row.cachedInputTokens)), Render.grouped(Int(clamping: row.unpricedCalls))]
            }
            let range = "spend \(report.since.map { "from \($0.iso8601)" } ?? "from the start")"
                + " \(report.until.map { "until \($0.iso8601)" } ?? "until now")"
                + (report.agentID.map { " for \(Render.escaped($0))" } ?? "")
            guard !report.rows.isEmpty else { return range + "\nno tracked spend" }
            let rows = report.rows.map { cells($0, key: $0.key.map(Render.escaped) ?? "(no model)") } + [cells(report.total, key: "TOTAL")]
            return range + "\n" + Render.columns(header, rows)
        }
    }
}
