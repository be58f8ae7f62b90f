import GovernanceCore

extension PresenceCommands {
    enum List {
        static let limit: Flag<Int64> = .integer("limit", short: "n", "At most N agents (default 1000)", range: 1...1_000_000)
        static let names: Flag<Bool> = .toggle("names", "Print only the agent ids, one per line")

        static let command = CommandSpec(
            "list", "List agents: status, last seen, operator",
            doc: """
            Aligned columns under a header, one line per agent: its status (live, idle, unresponsive or killed, the \
            words --json uses), when it was last seen (UTC), its current session (the session of its newest audit \
            event outside its own chain), the operator bound to it and who killed it, when and why. A killed agent \
            keeps its last seen time after it closes. Agents killed before they ever sent a heartbeat are listed as killed. Status is \
            what was reported or swept: run `presence sweep` (cron) to mark stale agents Unresponsive. --names \
            prints only the ids, one per line, for scripts (shell completion asks `governance complete agents`, which also knows agents that only have a policy). The store unreachable is \
            exit 4: an empty list would read as "no agent is running".
            """,
            flags: [limit, names],
            examples: ["governance presence list", "governance presence list --json"],
            needs: .read
        ) { args, run in
            let agents = try Presence.list(try run.store.connection, limit: Int(try args[limit] ?? 1000))
            if try args.has(names) {
                for agent in agents { run.console.line(Render.escaped(agent.agentID)) }
                return 0
            }
            let text = agents.isEmpty ? "no agents: none has sent a heartbeat or been killed"
                : Render.columns(["AGENT", "STATUS", "LAST SEEN", "SESSION", "OPERATOR", "KILLED"], agents.map(PresenceCommands.row))
            run.emit(json: .object([("agents", .array(agents.map(\.json)))]), text: text)
            return 0
        }
    }
}
