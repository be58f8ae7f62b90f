import GovernanceCore

extension Audit {
    enum Flush {
        static let command = CommandSpec(
            "flush", "Replay spooled events into the chain",
            doc: """
            Appends every event waiting in the local spool ($GOVERNANCE_HOME/spool) to its session's chain, \
            in the order the events happened, exactly once: each replayed event is recorded in the same \
            transaction as its append, so a flush that is interrupted and run again neither loses nor \
            duplicates an event. A damaged spool file is moved to spool/.../rejected/ and reported. Exits 4 \
            when the store is still unreachable (the spool is kept).
            """,
            examples: ["governance audit flush", "governance audit flush --json"],
            needs: CommandNeeds(store: .write, keys: true)
        ) { _, run in
            let config = try run.configuration()
            let spool = AuditSpool(home: config.home, configuration: config)
            let pending = spool.pendingFiles().count
            let console = run.console
            let report = try spool.flush(into: AuditLog(db: try run.store.connection, keys: try run.keys())) {
                console.progress("flush: \(Render.count($0, "event")) replayed")
            }
            console.endProgress()
            for r in report.rejected {
                run.warn(r.line > 0 ? "spool file \(r.file) line \(r.line) was set aside, not chained: \(r.reason)"
                                    : "spool file \(r.file) was set aside, not chained: \(r.reason)")
            }
            var text = pending == 0 ? "nothing to flush: the spool is empty"
                : "replayed \(Render.count(report.appended, "event")) from \(Render.count(report.files, "spool file"))"
            if report.alreadyPresent > 0 {
                text += " (\(Render.count(report.alreadyPresent, "event")) already in the chain from an interrupted flush, not added again)"
            }
            for (session, seq) in report.lastSeq.sorted(by: { $0.key < $1.key }) { text += "\n  session \(session) last seq \(seq)" }
            run.emit(json: report.json, text: text)
            return 0
        }
    }
}
