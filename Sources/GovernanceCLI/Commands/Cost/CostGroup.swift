import GovernanceCore

enum Cost {
    static let group = GroupSpec("cost", "Track spend exactly and stop an agent at its budget",
                                 doc: "Money is exact: integer nano-dollars in the store, decimal USD at the edges, never floating point. Spend is counted per session and per agent and UTC day when its audit event enters the chain, so a spooled `cost track` is counted once, when it is replayed. Five caps (docs/POLICIES.md): per_session_usd, per_session_tokens, per_agent_usd_daily, per_agent_tokens_daily, per_session_seconds.",
                                 commands: [Check.command, Track.command, TrackUsage.command, Snapshot.command, Breakdown.command, Report.command, Models.command])

    static let pricingFile: Flag<String> = .path("pricing-file", value: "FILE", "Prices that override or extend the built-in table (YAML or JSON)",
                                                 environment: .pricingFile)
    static let reservation: Flag<String> = .text("reservation", value: "ID", "Settle this reservation of `cost check` with the spend",
                                                 doc: "The spend replaces what the check reserved, in the same transaction. An id that is unknown, expired, already settled or another agent's settles nothing.")

    /// `--reservation ID`, checked as the UUID `cost check` printed.
    static func reservationID(_ args: Arguments) throws -> String? {
        guard let text = try args[reservation] else { return nil }
        guard let id = SessionID(text) else { throw GovernanceError.invalid("--reservation \(Render.quoted(text)) is not a reservation id (a UUID printed by `cost check`)") }
        return id.value
    }

    /// After tracked spend: the budget's soft alerts it reached (`alert_at`), audited and sent to
    /// the notification hook. An observation: a failure here is a warning, never the command's.
    static func raiseAlerts(_ db: SQLConnection, agentID: String, sessionID: SessionID, _ run: Run) {
        // The keys were loaded to record the spend.
        guard let keys = try? run.keys() else { return }
        let environment = run.environment
        let warnings = CostLedger(db: db).alertAfterSpend(agentID: agentID, sessionID: sessionID, keys: keys, environment: { environment($0) })
        for warning in warnings { run.warn(warning) }
    }

    /// A spend as an observation (`cost track`, `cost track-usage`): counted and audited in one
    /// transaction, or spooled (counted on replay), or, failing both, a placeholder with a warning.
    /// `usage` reads the command's own flags; the agent, session and reservation are read here.
    static func observing(_ name: String, _ summary: String, doc: String, flags: [any FlagDeclaration], examples: [String],
                          usage: @escaping @Sendable (Arguments, Run) throws -> CostLedger.Usage) -> CommandSpec {
        CommandSpec.observing(
            name, summary, doc: doc, flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain] + flags, examples: examples,
            record: { args, run, recorder in
                var spend = try usage(args, run)
                spend.reservationID = try reservationID(args)
                let agent = try args.require(SharedFlags.agent)
                let session = AgentChain.resolve(try args[SharedFlags.session], agentID: agent)
                let pending = try PendingEvent(validating: CostLedger.event(agentID: agent, sessionID: session, usage: spend))
                let outcome = Observed(try recorder.record([pending], returningIDs: true))
                if case .appended = outcome, let db = recorder.storeConnection { raiseAlerts(db, agentID: agent, sessionID: session, run) }
                return (spend, agent, session, outcome)
            },
            render: { tracked, _, run in
                let (usage, agent, session, outcome) = tracked
                var json: [(String, JSONValue)] = [("agent_id", .string(agent)), ("session_id", .string(session.value))] + usage.metadata
                if let model = usage.model { json.insert(("model", .string(model)), at: 2) }
                let what = "\(Render.count(Int(clamping: usage.tokens), "token")) and $\(usage.usd.decimal)"
                let status: (String, JSONValue) = ("status", .string(outcome.status(appended: "tracked")))
                switch outcome {
                case .appended(let records):
                    run.emit(json: .object([status] + json + [("seq", .int64(records[0].seq))]), text: "tracked \(what) in session \(session.value)")
                case .spooled(let path):
                    run.emit(json: .object([status, ("spool_file", .string(path))] + json),
                             text: "spooled \(what) (the store is unavailable; counted when `audit flush` replays it)")
                case .unavailable:
                    run.emit(json: .object([status] + json), text: "NOT tracked: the store and the spool are both unavailable")
                case .seen:
                    throw GovernanceError.internalError("spend was recorded as state only")
                }
                return 0
            })
    }
}
