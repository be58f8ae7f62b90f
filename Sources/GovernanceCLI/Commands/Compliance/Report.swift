import Glibc
import GovernanceCore

extension Compliance {
    /// `compliance report`: gathers the evidence, renders it, audits its own generation.
    enum Report {
        static let kind: Flag<String> = .choice("kind", ["article12", "summary"], "Which report",
                                                doc: "article12: the seven sections of Article 12 of Regulation (EU) 2024/1689. summary: agents, violations and human oversight.",
                                                requirement: .required)
        static let agent: Flag<String> = .text("agent", short: "a", value: "ID", "Only this agent's events")
        static let session: Flag<SessionID> = Flag(FlagSpec("session", short: "s", kind: .uuid, value: "UUID",
                                                            "Only these sessions (repeatable)", repeatable: true))
        static let from: Flag<Timestamp> = .time("from", "Only events at or after TIME")
        static let to: Flag<Timestamp> = .time("to", "Only events before TIME")
        static let verifyChain: Flag<Bool> = .toggle("verify-chain", "Verify every chain read (exit 20 when one fails; the report is still written)")
        static let annexIII1a: Flag<Bool> = .toggle("annex-iii-1a", "The system is an Annex III point 1(a) system: Art. 12(3) applies")
        static let retentionDays: Flag<Int64> = .integer("retention-days", "Retention period to show the log against (default 183)",
                                                         range: 1...36_500)
        static let failOn: Flag<String> = .choice("fail-on", value: "STATUS", ["non_compliant", "partial"], "Exit 21 when an applicable section is at or below this")
        static let output: Flag<String> = .path("output", short: "o", value: "FILE", "Write the report to FILE instead of stdout")

        static let command = CommandSpec(
            "report", "Write an Article 12 or summary evidence report",
            doc: """
            Reads the audit chain (filtered by --agent, --session, --from and --to) in one streaming pass and judges \
            each section from the evidence: compliant, partial or non_compliant read as "evidence sufficient, partial or \
            insufficient for the actions observed"; sections resting on Art. 12(3) are not_applicable unless \
            --annex-iii-1a. Every report carries report_id, generated_at, kind, filters, chain_integrity_status \
            (verified, failed, unverified), the coverage caveat and coverage_pct (null). Formats: text (default), \
            json (--json), markdown and html (--format), the HTML page self-contained with inline SVG charts. \
            Generating a report is audited as a report.generated event with the report id and the SHA-256 of the \
            bytes written (observation: an unreachable store spools it). --verify-chain exits 20 when a chain fails, \
            after writing the report; otherwise --fail-on exits 21 when any applicable section is at or below it.
            """,
            flags: [kind, agent, session, from, to, verifyChain, annexIII1a, retentionDays, failOn, output],
            examples: [
                "governance compliance report --kind article12 --verify-chain --format html --output article12.html",
                "governance compliance report --kind summary --agent billing-agent --from 2026-11-01 --json",
                "governance compliance report --kind article12 --verify-chain --fail-on partial --quiet",
            ],
            needs: CommandNeeds(store: .read, keys: true, recorder: true),
            failures: [.integrityFailure, .complianceBelowThreshold],
            formats: ["text", "json", "markdown", "html"]
        ) { args, run in
            let options = ReportOptions(
                kind: ReportKind(rawValue: try args.require(kind)) ?? .article12,
                filters: ReportFilters(agentID: args[agent], sessionIDs: args.all(session), from: args[from], to: args[to]),
                verifyChain: args.has(verifyChain), annexIII1a: args.has(annexIII1a),
                retentionDays: args[retentionDays] ?? ReportOptions.defaultRetentionDays)
            let console = run.console
            let report = try ComplianceReporter(db: try run.store.connection, keys: try run.keys())
                .generate(options) { console.progress("report: \(Render.count($0, "event")) read") }
            console.endProgress()

            let format = args.formatName
            let document = render(report, format: format)
            let sha256 = Digest.sha256Hex(document)
            if let path = args[output] {
                try ReportFile.write(document, to: path)
            } else if !run.quiet {
                console.write(document)
            }
            try audit(report, sha256: sha256, format: format, run: run)
            if let path = args[output] {
                let statuses = report.sections.map { "\($0.id)=\($0.status.rawValue)" }.joined(separator: " ")
                // With --json the file holds the report; stdout says where it went.
                if format == "json" {
                    if !run.quiet {
                        console.line(JSONWriter.ordered(.object([("report_id", .string(report.reportID)), ("output", .string(path)),
                                                                 ("sha256", .string(sha256)),
                                                                 ("chain_integrity_status", .string(report.chainIntegrity.rawValue))])))
                    }
                } else if !run.quiet {
                    console.line("wrote \(report.kind.rawValue) report \(report.reportID) to \(Render.escaped(path)) (sha256 \(sha256.prefix(16))...): chain \(report.chainIntegrity.rawValue); \(statuses)")
                }
            }
            return try exitStatus(report, failOn: args[failOn].flatMap(EvidenceStatus.init(rawValue:)))
        }

        static func render(_ report: ComplianceReport, format: String) -> String {
            switch format {
            case "json": JSONWriter.ordered(report.json) + "\n"
            case "markdown": ReportMarkdown.render(report)
            case "html": ReportHTML.render(report)
            default: ReportText.render(report)
            }
        }

        /// `report.generated`, through the recorder: a report is never lost for want of a store.
        static func audit(_ report: ComplianceReport, sha256: String, format: String, run: Run) throws {
            let recorder = try run.recorder
            let outcome = try recorder.record([try ComplianceReporter.generatedEvent(report, sha256: sha256, format: format)])
            for warning in recorder.warnings { run.warn(warning) }
            if case .placeholder = outcome { run.warn("report.generated for report \(report.reportID) was NOT recorded") }
        }

        /// 20 for a failed chain comes first: a report over a changed log says nothing else for sure.
        static func exitStatus(_ report: ComplianceReport, failOn: EvidenceStatus?) throws -> Int32 {
            if report.chainIntegrity == .failed, let first = report.chainFailures.first {
                throw GovernanceError(.integrityFailure,
                                      "audit chain integrity failure: session \(first.sessionID) seq \(first.seq): \(first.reason.rawValue); the report was written with chain_integrity_status \"failed\"",
                                      hint: "`governance audit verify` names every broken chain",
                                      details: [("report_id", .string(report.reportID)), ("session_id", .string(first.sessionID)),
                                                ("seq", .int64(first.seq)), ("reason", .string(first.reason.rawValue))])
            }
            if let failOn, report.isAtOrBelow(failOn) {
                let below = report.applicableSections.filter { $0.status.rank <= failOn.rank }
                throw GovernanceError(.complianceBelowThreshold,
                                      "\(Render.count(below.count, "section")) at or below \(failOn.rawValue): "
                                        + below.map { "\($0.id) (\($0.status.rawValue))" }.joined(separator: ", "),
                                      hint: "each section's findings say what evidence is missing",
                                      details: [("report_id", .string(report.reportID)),
                                                ("sections", .array(below.map { .object([("id", .string($0.id)), ("status", .string($0.status.rawValue))]) }))])
            }
            return 0
        }
    }
}

/// Writes a report file whole or not at all: a temporary file beside it, then rename.
enum ReportFile {
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-governance"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GovernanceError(.invalidInput, "cannot write \(Render.quoted(path)): \(errnoMessage())", hint: "check the directory exists and is writable")
        }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = errnoMessage()
                FileSystem.close(fd); unlink(temporary)
                throw GovernanceError(.invalidInput, "cannot write \(Render.quoted(path)): \(message)")
            }
            written += n
        }
        bytes.removeAll()
        guard fsync(fd) == 0, Glibc.close(fd) == 0, rename(temporary, path) == 0 else {
            let message = errnoMessage()
            unlink(temporary)
            throw GovernanceError(.invalidInput, "cannot write \(Render.quoted(path)): \(message)")
        }
    }
}
