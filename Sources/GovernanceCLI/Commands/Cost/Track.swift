import GovernanceCore

extension Cost {
    enum Track {
        static let tokens: Flag<Int64> = .integer("tokens", "Tokens used by the call", range: 0...Int64.max)
        static let usd: Flag<String> = .decimal("usd", value: "USD", "What the call cost, in USD (a decimal, up to 9 places)")

        static let command = Cost.observing(
            "track", "Add a call's tokens and cost to the session's and the agent's daily spend",
            doc: """
            An observation: the spend is counted and audited (cost.tracked) in one transaction; when the store \
            is unreachable the event is spooled and counted once when `audit flush` (or the next write) replays \
            it; exit 0 either way unless --require-durable. Counters only grow, and are exact under any number \
            of concurrent processes (INSERT ... ON CONFLICT DO UPDATE). Negative, non-decimal or overflowing \
            amounts exit 2 and nothing is counted.
            """,
            flags: [tokens.required, usd.required, Cost.reservation],
            examples: ["governance cost track --agent billing-agent --tokens 1200 --usd 0.0042"]
        ) { args, _ in
            return CostLedger.Usage(tokens: try args.require(tokens), usd: try Money.parse(try args.require(usd)))
        }
    }
}
