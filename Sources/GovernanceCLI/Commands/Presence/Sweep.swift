import GovernanceCore

extension PresenceCommands {
    enum Sweep {
        static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "Mark agents not seen for this long (default 300)",
                                                   range: 1...31_536_000)

        static let command = CommandSpec(
            "sweep", "Mark agents whose last heartbeat is too old as Unresponsive",
            doc: """
            Marks Live and Idle agents whose last heartbeat is older than --timeout seconds as Unresponsive and \
            prints only the agents this sweep marked (one per line; --json: {"marked": [...]}). Built for cron: \
            an agent is marked once, however many sweeps run, and concurrent sweeps never both report it; a \
            heartbeat brings it back to Live. Each marking is audited (presence.unresponsive) in the agent's \
            chain with the OS user and host that swept. The store unreachable is exit 4, so that cron mails the \
            failure rather than a sweep that silently did nothing.
            """,
            flags: [timeout, SharedFlags.by],
            examples: ["*/5 * * * * governance -q presence sweep --timeout 600", "governance presence sweep --json"],
            needs: CommandNeeds(store: .write, keys: true)
        ) { args, run in
            let seconds = try args[timeout] ?? Presence.defaultSweepTimeout
            let swept = try Presence.sweep(try run.store.connection, keys: try run.keys(), timeout: seconds,
                                                          by: try PresenceCommands.operatorIdentity(args))
            run.emit(json: .object([("timeout_seconds", .int64(seconds)), ("marked", .array(swept.map(\.json)))]),
                     text: swept.isEmpty ? "no agent newly unresponsive" :
                        swept.map { "\(Render.escaped($0.agentID))  Unresponsive  last seen \($0.lastSeen.iso8601)" }.joined(separator: "\n"))
            return 0
        }
    }
}
