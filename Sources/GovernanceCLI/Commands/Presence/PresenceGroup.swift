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
                                            Kill.command, Revive.command, Status.command, IsKilled.command])

    static let agentArgument: Positional<String> = .one("AGENT", "The agent's id (1-256 bytes)", completion: .agent)

    /// A presence change (heartbeat, idle, close) as an observation: recorded like `audit log`
    /// when it is a transition, as state alone when it changes nothing but the time (`seen`),
    /// reported with the agent, the event kind and where it went.
    static func observing(_ change: Presence.Change, _ summary: String, doc: String, flags: [any FlagDeclaration] = [],
                          examples: [String], event: @escaping @Sendable (Arguments) throws -> PendingEvent) -> CommandSpec {
        CommandSpec.observing(
            change.rawValue, summary, doc: doc, flags: flags, positionals: [agentArgument], examples: examples,
            record: { args, _, recorder in
                let pending = try event(args)
                return (pending, Observed(try Presence.record(pending, recorder: recorder)))
            },
            render: { recorded, args, run in
                let (event, outcome) = recorded
                let agent = try args.require(agentArgument)
                let text = switch outcome {
                case .appended: "\(change.rawValue) recorded for \(Render.escaped(agent))"
                case .seen: "\(change.rawValue) recorded for \(Render.escaped(agent)) (no change: last seen moved, no audit event)"
                case .spooled(let path): "\(change.rawValue) spooled (the store is unavailable): \(path)"
                case .unavailable: "\(change.rawValue) NOT recorded: the store and the spool are both unavailable"
                }
                run.emit(json: .object([("agent_id", .string(agent)), ("event", .string(change.kind)), ("status", .string(outcome.status())),
                                        ("spool_file", .optional(outcome.spoolFile)), ("at", .string(event.createdAt.iso8601))]),
                         text: text)
                return 0
            })
    }

    /// One agent as a row of list's and status's columns.
    static func row(_ a: Presence.Agent) -> [String] {
        [Render.escaped(a.agentID), a.status.rawValue, a.lastSeen?.iso8601 ?? "never", a.session ?? "", a.operator.map(Render.escaped) ?? "",
         a.kill.map { "by \(Render.escaped($0.killedBy)) at \($0.killedAt.iso8601): \(Render.escaped($0.reason))" } ?? ""]
    }

    static let force: Flag<Bool> = .toggle("force", "Act on an agent the store has never seen",
                                           doc: "Without it, an agent with no presence row, kill marker, policy or audit event is refused (exit 2), since it is most likely a typo.")

    /// Refuses (exit 2, nothing written) an agent the store has never heard of, naming the
    /// closest known one, unless --force.
    static func requireKnown(_ agent: String, _ args: Arguments, _ db: SQLConnection) throws {
        guard try !args.has(force), try !OperatorKill.isKnown(db, agentID: agent) else { return }
        let known = try OperatorKill.knownAgents(db)
        var hint = Suggest.closest(to: agent, in: known).map { "did you mean \($0)? " } ?? ""
        hint += known.isEmpty ? "the store knows no agent; " : "known agents: \(known.prefix(20).joined(separator: ", "))\(known.count > 20 ? " and \(known.count - 20) more" : ""); "
        hint += "pass --force to act on it anyway"
        throw GovernanceError.invalid("agent \(agent) is unknown: no heartbeat, kill, policy or event", hint: hint)
    }

    static func operatorIdentity(_ args: Arguments) throws -> OperatorIdentity {
        try OperatorIdentity.current(claimed: try args[SharedFlags.by])
    }
}
