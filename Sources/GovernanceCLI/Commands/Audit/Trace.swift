import GovernanceCore

extension Audit {
    enum Trace {
        static let command = CommandSpec(
            "trace", "Show one session's chain in order, verified",
            doc: """
            Prints every event of one session in seq order and verifies the chain as it goes (HMACs, links, \
            seq continuity and the session head). Text output marks where the chain breaks; --json prints one \
            document with the events and the verification result. Exits 20 when the chain does not verify.
            """,
            flags: [SharedFlags.session.required],
            examples: ["governance audit trace --session $GOVERNANCE_SESSION_ID"],
            needs: .readChain,
            failures: [.integrityFailure, .invalidInput]
        ) { args, run in
            let session = try args.require(SharedFlags.session)
            var events: [JSONValue] = []
            var reported = false
            let result = try ChainTrace(db: try run.store.connection, keys: try run.keys()).walk(session) { record, failure in
                if run.format == .json {
                    events.append(record.json)
                } else if !run.quiet {
                    run.console.line(Render.eventLine(record))
                    if let failure, !reported {
                        reported = true
                        run.console.line("^^^ chain broken at seq \(failure.seq): \(failure.reason.rawValue): \(Render.escaped(failure.detail))")
                    }
                }
            }
            let failure = result.failure
            run.emit(
                json: .object([
                    ("session_id", .string(session.value)),
                    ("verified", .bool(failure == nil)),
                    ("events", .array(events)),
                    ("failure", failure?.json ?? .null),
                ]),
                text: failure.map { f in reported ? "FAILED: chain broken at seq \(f.seq)" : "FAILED: seq \(f.seq): \(f.reason.rawValue): \(Render.escaped(f.detail))" }
                    ?? "verified: \(Render.count(result.events, "event")) in session \(session.value)")
            if let error = result.integrityError { throw error }
            return 0
        }
    }
}
