import GovernanceCore

extension Audit {
    enum Verify {
        static let fromSeq: Flag<Int64> = .integer("from-seq", "Start at seq N", range: 1...Int64.max)
        static let toSeq: Flag<Int64> = .integer("to-seq", "Stop after seq N", range: 1...Int64.max)
        static let requireEvents: Flag<Bool> = .toggle("require-events", "Fail (exit 20) when there is nothing to verify")

        static let command = CommandSpec(
            "verify", "Verify audit chains and name the first bad seq",
            doc: """
            Recomputes every event's HMAC and checks that prev_hash links, that seq is contiguous from 1 with no \
            duplicates, and that each chain ends where its session head says. Events are streamed, so memory \
            stays flat whatever the length. Exits 0 when everything verifies and 20 on the first failure of any \
            session, naming the session, the seq and the reason. --from-seq/--to-seq check part of one session's \
            chain, anchored on the event before --from-seq. Without --session every chain is verified, even when \
            GOVERNANCE_SESSION_ID is set. A store that holds no events says "nothing to verify" (JSON: \
            "empty": true) and exits 0, or 20 with --require-events; --session naming a session with no events \
            exits 2. Verify only reads: a store that does not exist, or whose schema is behind, exits 3.
            """,
            flags: [SharedFlags.session.filter("Verify only this session"), fromSeq.requires(SharedFlags.session),
                    toSeq.requires(SharedFlags.session), requireEvents],
            examples: ["governance audit verify", "governance audit verify --session $GOVERNANCE_SESSION_ID --from-seq 100"],
            needs: .readChain,
            failures: [.integrityFailure]
        ) { args, run in
            let scope = VerificationScope(sessionID: try args[SharedFlags.session], fromSeq: try args[fromSeq], toSeq: try args[toSeq])
            let console = run.console
            let report = try ChainVerifier(db: try run.store.connection, keys: try run.keys())
                .verify(scope) { console.progress("verifying: \(Render.count($0, "event")) read") }
            console.endProgress()
            if let refusal = report.emptinessError(scope, requireEvents: try args.has(requireEvents)) { throw refusal }
            run.emit(json: report.json, text: text(report, verbose: run.verbose))
            if let failure = report.integrityError { throw failure }
            return 0
        }

        static func text(_ report: VerificationReport, verbose: Bool) -> String {
            if report.isEmpty { return "nothing to verify: the store holds no events" }
            var summary = "\(Render.count(report.rowsVerified, "event")) in \(Render.count(report.sessions, "session"))"
            if verbose {
                let rate = report.elapsedSeconds > 0 ? Int(Double(report.rowsRead) / report.elapsedSeconds) : 0
                summary += " (\(Render.grouped(rate)) events/s)"
            }
            if report.ok { return "verified: " + summary }
            var text = "FAILED: \(Render.count(report.failures.count, "session")) with a broken chain; verified " + summary
            for f in report.failures {
                text += "\n  session \(Render.escaped(f.sessionID)) seq \(f.seq): \(f.reason.rawValue): \(Render.escaped(f.detail))"
            }
            return text
        }
    }
}
