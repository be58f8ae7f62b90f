import GovernanceCore

extension Cost {
    enum Breakdown {
        static let command = CommandSpec(
            "breakdown", "Show the agent's spend per model",
            doc: "For each model the agent called through `cost track-usage`: calls, tokens and USD, since the counters began. Exits 4 when the store is unreachable (an empty breakdown would read as nothing spent).",
            flags: [SharedFlags.agent.required],
            examples: ["governance cost breakdown --agent billing-agent"],
            needs: .read
        ) { args, run in
            let rows = try CostLedger(db: try run.store.connection).breakdown(agentID: try args.require(SharedFlags.agent))
            run.emit(json: .object([("models", .array(rows.map(\.json)))]),
                     text: rows.isEmpty ? "no model calls tracked" : rows.map {
                         "\(Render.escaped($0.model))  \(Render.count(Int(clamping: $0.calls), "call"))  \(Render.count(Int(clamping: $0.tokens), "token"))  $\($0.usd.decimal)"
                     }.joined(separator: "\n"))
            return 0
        }
    }
}
