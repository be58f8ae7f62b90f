import GovernanceCore

enum Cost {
    static let group = GroupSpec("cost", "Track spend exactly and stop an agent at its budget",
                                 doc: "Money is exact: integer nano-dollars in the store, decimal USD at the edges, never floating point. Spend is counted per session and per agent and UTC day when its audit event enters the chain, so a spooled `cost track` is counted once, when it is replayed. Five caps (docs/POLICIES.md): per_session_usd, per_session_tokens, per_agent_usd_daily, per_agent_tokens_daily, per_session_seconds.",
                                 commands: [Check.command, Track.command, TrackUsage.command, Snapshot.command, Breakdown.command, Models.command])

    static let pricingFile: Flag<String> = .path("pricing-file", value: "FILE", "Prices that override or extend the built-in table (YAML or JSON)",
                                                 environment: "GOVERNANCE_PRICING_FILE")
    static let requireDurable: Flag<Bool> = .toggle("require-durable", "Exit 4 when the store is unreachable instead of spooling")
    static let reservation: Flag<String> = .text("reservation", value: "ID", "Settle this reservation of `cost check` with the spend",
                                                 doc: "The spend replaces what the check reserved, in the same transaction. An id that is unknown, expired, already settled or another agent's settles nothing.")

    /// `--reservation ID`, checked as the UUID `cost check` printed.
    static func reservationID(_ args: Arguments) throws -> String? {
        guard let text = args[reservation] else { return nil }
        guard let id = SessionID(text) else { throw GovernanceError.invalid("--reservation \(Render.quoted(text)) is not a reservation id (a UUID printed by `cost check`)") }
        return id.value
    }

    /// Records a tracked spend through the recorder: counted and audited in one transaction, or
    /// spooled (counted on replay), or, failing both, a placeholder with a warning.
    static func record(_ usage: CostLedger.Usage, args: Arguments, run: Run) throws -> Int32 {
        var usage = usage
        usage.reservationID = try reservationID(args)
        let agent = try args.require(SharedFlags.agent)
        let session = AgentChain.resolve(args[SharedFlags.optionalSession], agentID: agent)
        let pending = try PendingEvent(validating: CostLedger.event(agentID: agent, sessionID: session, usage: usage))
        let recorder = try run.recorder
        let outcome = try recorder.record([pending], returningIDs: true)
        for warning in recorder.warnings { run.warn(warning) }
        var json: [(String, JSONValue)] = [("agent_id", .string(agent)), ("session_id", .string(session.value))] + usage.metadata
        if let model = usage.model { json.insert(("model", .string(model)), at: 2) }
        let what = "\(Render.count(Int(clamping: usage.tokens), "token")) and $\(usage.usd.decimal)"
        switch outcome {
        case .appended(let records):
            run.emit(json: .object([("status", .string("tracked"))] + json + [("seq", .int64(records[0].seq))]),
                     text: "tracked \(what) in session \(session.value)")
        case .spooled(let path, _):
            run.emit(json: .object([("status", .string("spooled")), ("spool_file", .string(path))] + json),
                     text: "spooled \(what) (the store is unavailable; counted when `audit flush` replays it)")
        case .placeholder:
            run.emit(json: .object([("status", .string("unavailable"))] + json), text: "NOT tracked: the store and the spool are both unavailable")
        }
        return 0
    }
}
