import GovernanceCore

enum PresenceCommands {
    static let group = GroupSpec("presence", "Which agents are alive; the kill switch",
                                 doc: """
                                 Agents report themselves with heartbeat, idle and close (observation commands: they never \
                                 break the calling script, and spool when the store is unreachable). Operators see them with \
                                 list, mark stale ones Unresponsive with sweep (built for cron), and halt one with kill: every \
                                 enforcement command then refuses the agent with exit 15 until revive. status exits 15 for a \
                                 killed agent (assert-alive for scripts). Kills, revives and sweeps are audited in the agent's \
                                 own chain with the operator, the OS user and the host.
                                 """,
                                 commands: [Heartbeat.command, Idle.command, Close.command, List.command, Sweep.command,
                                            Kill.command, Revive.command, Status.command])

    static let agentArgument = PositionalSpec("AGENT", "The agent's id (1-256 bytes)", completion: .agent)
    static let requireDurable: Flag<Bool> = .toggle("require-durable", "Exit 4 when the store is unreachable instead of spooling")

    static func agentArgument(_ args: Arguments) -> String { args.positionals[0] }

    /// Records a presence change (heartbeat, idle, close) and reports it the way `audit log` does.
    static func record(_ change: Presence.Change, agent: String, operator: String? = nil,
                       metadata: JSONValue = .object([]), run: Run) throws -> Int32 {
        let event = try Presence.event(change, agentID: agent, operator: `operator`, metadata: metadata)
        let recorder = try run.recorder
        let outcome = try Presence.record(event, recorder: recorder)
        for warning in recorder.warnings { run.warn(warning) }
        let recorded: String, text: String
        var spoolFile: String?
        switch outcome {
        case .appended:
            recorded = "appended"
            text = "\(change.rawValue) recorded for \(Render.escaped(agent))"
        case .spooled(let path, _):
            recorded = "spooled"
            spoolFile = path
            text = "\(change.rawValue) spooled (the store is unavailable): \(path)"
        case .placeholder:
            recorded = "unavailable"
            text = "\(change.rawValue) NOT recorded: the store and the spool are both unavailable"
        }
        run.emit(json: .object([("agent_id", .string(agent)), ("event", .string(change.kind)), ("status", .string(recorded)),
                                ("spool_file", .optional(spoolFile)), ("at", .string(event.createdAt.iso8601))]),
                 text: text)
        return 0
    }

    static func operatorIdentity(_ args: Arguments) throws -> OperatorIdentity {
        try OperatorIdentity.current(claimed: args[SharedFlags.by])
    }
}
