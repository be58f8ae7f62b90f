import GovernanceCore

enum Audit {
    static let group = GroupSpec("audit", "Write, read and verify the tamper-evident audit trail",
                                 doc: "Every event is a link in its session's HMAC chain (docs/CHAIN.md). Changing, removing, duplicating or moving any stored event makes `audit verify` exit 20 and name the first bad seq.",
                                 commands: [Log.command, Verify.command, Events.command, Trace.command, Sessions.command,
                                            Export.command, Tail.command, Flush.command])

    /// The filters `events` and `tail` share, read from their flags in one place.
    enum Filters {
        static let since: Flag<Timestamp> = .time("since", "Only events at or after TIME")
        static let until: Flag<Timestamp> = .time("until", "Only events before TIME")
        static let all: [any FlagDeclaration] = [SharedFlags.sessionFilter, SharedFlags.agentFilter, SharedFlags.kind.filter("Only events of this kind")]

        /// `times`: the command also declares --since and --until (`events`; `tail` starts now).
        static func filter(_ args: Arguments, times: Bool) throws -> AuditFilter {
            AuditFilter(sessionID: try args[SharedFlags.session], agentID: try args[SharedFlags.agent], kind: try args[SharedFlags.kind],
                        since: times ? try args[since] : nil, until: times ? try args[until] : nil)
        }
    }

    /// One event as `events`, `tail` and `trace` print it: a text line, or a JSON line with every
    /// stored field (and "verified" when it was checked).
    static func write(_ record: AuditRecord, verified: Bool? = nil, run: Run) {
        guard !run.quiet else { return }
        switch run.format {
        case .json:
            // The record's own line (metadata spliced as stored, after its one validity check);
            // a listing of a million events must not parse and re-encode each one twice.
            var line = record.jsonLine
            if let verified { line.removeLast(); line += ",\"verified\":\(verified)}" }
            run.console.line(line)
        case .text:
            var line = Render.eventLine(record)
            if let verified { line = (verified ? "ok    " : "BAD   ") + line }
            run.console.line(line)
        }
    }
}
