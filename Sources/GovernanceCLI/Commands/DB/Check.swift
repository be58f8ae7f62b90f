import GovernanceCore

extension DB {
    enum Check {
        static let repair: Flag<Bool> = .toggle("repair", "Rewrite drifted rows to what the chain says, and audit each repair")

        static let command = CommandSpec(
            "check", "Recompute derived state from the audit chain and report every drift",
            doc: """
            Verifies every chain, then recomputes from it what other tables derive from events, and compares: \
            the spend counters (per session, per agent and UTC day, per model: tokens, USD, unpriced calls, and \
            a session clock that may not start after its first spend), the presence rows (status, last seen, \
            bound operator), the kill markers (the latest kill or revive an operator signed) and the approval \
            requests (what was asked, the signed decision, whether a contract used it). Spend and presence are \
            replayed through the same code the appends run. Each drift names the table, the row's key, the \
            field, the expected and the stored value. Exits 0 when nothing drifted and 20 when anything did or \
            a chain does not verify. With --repair, in one write transaction that holds appends off, every \
            repairable drift is set to what the chain says and audited (db.repaired, in the agent's own chain, \
            with the OS user and host); the exit is still 20, since drift was found; a second run exits 0. \
            Repair is refused when a chain does not verify, and never loosens a control the chain cannot prove \
            loosened: an approval marked used, or a kill marker an operator signed, stays.
            """,
            flags: [repair, SharedFlags.agent.filter("Check only this agent's derived state")],
            examples: ["governance db check", "governance db check --repair --agent billing-agent", "governance db check --json"],
            needs: .readChain,
            failures: [.integrityFailure]
        ) { args, run in
            let check = DerivedStateCheck(db: try run.store.connection, keys: try run.keys(), agentID: try args[SharedFlags.agent])
            let report = try check.run(repair: (try args.has(repair)), identity: try OperatorIdentity.current(claimed: nil))
            run.emit(json: report.json, text: text(report))
            if let refused = report.repairRefused {
                throw GovernanceError(.integrityFailure, "repair refused: \(refused)",
                                      hint: "`governance audit verify` names the first bad seq of each chain")
            }
            if !report.ok {
                let first = report.drifts.first
                throw GovernanceError(.integrityFailure,
                                      report.chain.ok ? "derived state drifted from the audit chain: \(Render.count(report.drifts.count, "drift"))"
                                        + ((try args.has(repair)) ? ", \(report.repaired) repaired" : "")
                                        : "audit chain integrity failure: \(Render.count(report.chain.failures.count, "session")) with a broken chain",
                                      hint: !(try args.has(repair)) ? "`governance db check --repair` sets the drifted rows back to what the chain says"
                                        : report.repaired < report.drifts.count ? "what was not repaired needs an operator (see each drift)"
                                        : "every drift was repaired and audited (db.repaired); run `governance db check` again to confirm",
                                      details: [("drifts", .int(report.drifts.count)), ("repaired", .int(report.repaired)),
                                                ("table", .optional(first?.table)), ("field", .optional(first?.field))])
            }
            return 0
        }

        static func text(_ report: DerivedStateCheck.Report) -> String {
            var lines: [String] = []
            for f in report.chain.failures {
                lines.append("chain: session \(Render.escaped(f.sessionID)) seq \(f.seq): \(f.reason.rawValue): \(Render.escaped(f.detail))")
            }
            for d in report.drifts {
                let key = d.key.map { "\($0.0)=\(Render.escaped($0.1))" }.joined(separator: " ")
                var line = "drift: \(d.table) \(key) \(d.field): expected \(value(d.expected)), stored \(value(d.stored))"
                if let why = d.unrepairable { line += " (not repairable: \(why))" }
                lines.append(line)
            }
            let checked = report.checked.map { "\($0.0) \(Render.grouped($0.1))" }.joined(separator: ", ")
            let summary = report.ok ? "no drift" : "\(Render.count(report.drifts.count, "drift")), \(Render.count(report.chain.failures.count, "broken chain"))"
            lines.append("\(summary); checked: \(checked)" + (report.repaired > 0 ? "; repaired \(report.repaired)" : ""))
            if let refused = report.repairRefused { lines.append("repair refused: \(refused)") }
            return lines.joined(separator: "\n")
        }

        /// A drift's value on one line: JSON text, escaped for the terminal.
        static func value(_ v: JSONValue) -> String {
            if case .null = v { return "none" }
            return Render.escaped(JSONWriter.canonical(v))
        }
    }
}
