import GovernanceCore

extension Cost {
    enum Snapshot {
        static let command = CommandSpec(
            "snapshot", "Show what the agent and session have spent, and what is left under each cap",
            doc: "The fields of the reference SDK's BudgetSnapshot: session_usd_used, session_tokens_used, agent_daily_usd_used, agent_daily_tokens_used, session_seconds_used, and a _remaining twin for each capped one. USD are decimal strings. Exits 4 when the store is unreachable: the reference SDK returns zeros there, which a script would read as nothing spent.",
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain],
            examples: ["governance cost snapshot --agent billing-agent --json"],
            needs: .read
        ) { args, run in
            let agent = try args.require(SharedFlags.agent)
            let db = try run.store.connection
            let budget = try PolicyStore(db: db).policy(for: agent)?.budget
            let snapshot = try CostLedger(db: db).snapshot(agentID: agent, sessionID: AgentChain.resolve(try args[SharedFlags.session], agentID: agent),
                                                           budget: budget)
            run.emit(json: snapshot.json, text: text(snapshot))
            return 0
        }

        static func text(_ s: BudgetSnapshot) -> String {
            func part(_ name: String, _ used: String, _ cap: String?) -> String { "\(name) \(used)" + (cap.map { " of \($0)" } ?? "") }
            return [part("session $", s.sessionUSDUsed.decimal, s.budget?.perSessionUSD?.decimal),
                    part("session tokens", String(s.sessionTokensUsed), s.budget?.perSessionTokens.map(String.init)),
                    part("today $", s.agentDailyUSDUsed.decimal, s.budget?.perAgentUSDDaily?.decimal),
                    part("today tokens", String(s.agentDailyTokensUsed), s.budget?.perAgentTokensDaily.map(String.init)),
                    part("session seconds", String(s.sessionSecondsUsed), s.budget?.perSessionSeconds.map(String.init))].joined(separator: ", ")
        }
    }
}
