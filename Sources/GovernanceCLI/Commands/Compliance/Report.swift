import Glibc
import GovernanceCore

extension Compliance {
    /// `compliance report`: gathers the evidence, renders it, audits its own generation.
    enum Report {
        static let kind: Flag<String> = .choice("kind", ["article12", "summary"], "Which report",
                                                doc: "article12: the seven sections of Article 12 of Regulation (EU) 2024/1689. summary: agents, violations and human oversight.",
)
        static let from: Flag<Timestamp> = .time("from", "Only events at or after TIME")
        static let to: Flag<Timestamp> = .time("to", "Only events before TIME")
        static let verifyChain: Flag<Bool> = .toggle("verify-chain", "Verify every chain read (exit 20 when one fails; the report is still written)")
        static let annexIII1a: Flag<Bool> = .toggle("annex-iii-1a", "The system is an Annex III point 1(a) system: Art. 12(3) applies")
        static let retentionDays: Flag<Int64> = .integer("retention-days", "Retention period to show the log against (default 183)",
                                                         range: 1...36_500)
        static let failOn: Flag<String> = .choice("fail-on", value: "STATUS", ["non_compliant", "partial"], "Exit 21 when an applicable section is at or below this")
        static let output: Flag<String> = .path("output", short: "o", value: "FILE", "Write the report to FILE instead of stdout")
        static let metadataFile: Flag<String> = .path("metadata-file", value: "FILE", "A YAML file naming the system, provider, deployer, version and a sign-off",
                                                  doc: "Keys system_name, system_version, provider, deployer and sign_off (name, role, date YYYY-MM-DD, statement); docs/COMPLIANCE.md shows one. The flags below override its fields. A file that does not parse, or a field that breaks a rule, exits 2 and nothing is written.")
        static let systemName: Flag<String> = .text("system-name", value: "NAME", "The AI system reported on (overrides --metadata-file)")
        static let systemVersion: Flag<String> = .text("system-version", value: "VERSION", "Its version (overrides --metadata-file)")
        static let provider: Flag<String> = .text("provider", value: "NAME", "Its provider (overrides --metadata-file)")
        static let deployer: Flag<String> = .text("deployer", value: "NAME", "Its deployer (overrides --metadata-file)")
        static let sessionsShown: Flag<Int64> = .integer("sessions-shown", value: "N",
                                                         "Sessions listed in the text, markdown and html reports (default \(ReportOptions.defaultSessionsShown)); the rest are counted",
                                                         doc: "The JSON report lists every session (up to \(Evidence.maxSessionsListed), with sessions_omitted counting any beyond).",
                                                         range: 1...Int64(Evidence.maxSessionsListed))
        static let noRecord: Flag<Bool> = .toggle("no-record", "Do not audit the report's generation: a read-only credential can run it (the report says so)")

        static let command = CommandSpec(
            "report", "Write an Article 12 or summary evidence report",
            doc: """
            Reads the audit chain (filtered by --agent, --session, --from and --to) in one streaming pass and judges \
            each section from the evidence: compliant, partial or non_compliant read as "evidence sufficient, partial or \
            insufficient for the actions observed"; sections resting on Art. 12(3) are not_applicable unless \
            --annex-iii-1a. Every report carries report_id, generated_at, kind, filters, chain_integrity_status \
            (verified, failed, unverified, or empty when no event was read), the coverage caveat and coverage_pct (null). Formats: text (default), \
            json (--json), markdown and html (--format), the HTML page self-contained with inline SVG charts and \
            numbered pages in print. The human formats show times as 2026-11-24 08:15 UTC and list the first \
            --sessions-shown sessions with a count of the rest; the JSON keeps exact times and every session. \
            --metadata-file FILE and --system-name, --system-version, --provider and --deployer name the system in every \
            format; the file may add a sign-off (name, role, date, statement). \
            Generating a report is audited as a report.generated event with the report id and the SHA-256 of the \
            bytes written (observation: an unreachable store spools it); --no-record leaves that out, so a CI job with \
            read-only access can report, and the report says its generation was not audited. A report's own event \
            and the pseudo-agent `governance` are never counted as activity. --verify-chain exits 20 when a chain fails, \
            after writing the report; otherwise --fail-on exits 21 when any applicable section is at or below it.
            """,
            flags: [kind.required, SharedFlags.agentFilter, SharedFlags.session.filter("Only these sessions (repeatable)").repeatable, from, to, verifyChain, annexIII1a, retentionDays, failOn, DocumentFormat.flag, output, noRecord,
                    metadataFile, systemName, systemVersion, provider, deployer, sessionsShown],
            examples: [
                "governance compliance report --kind article12 --verify-chain --format html --output article12.html",
                "governance compliance report --kind summary --agent billing-agent --from 2026-11-01 --json",
                "governance compliance report --kind article12 --metadata-file system.yaml --system-version \"$VERSION\" --format html -o report.html",
                "governance compliance report --kind article12 --verify-chain --fail-on partial --quiet",
            ],
            needs: CommandNeeds(store: .read, keys: true, recorder: true),
            failures: [.integrityFailure, .complianceBelowThreshold]
        ) { args, run in
            // The file is read and checked, with the flags (`generate`), before anything is written.
            var given = try args[metadataFile].map { path in try ReportMetadata.read(file: path) } ?? ReportMetadata()
            given = given.overridden(by: ReportMetadata(systemName: try args[systemName], systemVersion: try args[systemVersion],
                                                        provider: try args[provider], deployer: try args[deployer]))
            let options = ReportOptions(
                kind: ReportKind(rawValue: try args.require(kind)) ?? .article12,
                filters: ReportFilters(agentID: try args[SharedFlags.agent], sessionIDs: try args.all(SharedFlags.session), from: try args[from], to: try args[to]),
                verifyChain: try args.has(verifyChain), annexIII1a: try args.has(annexIII1a),
                retentionDays: try args[retentionDays] ?? ReportOptions.defaultRetentionDays, recordGeneration: !(try args.has(noRecord)), metadata: given,
                sessionsShown: Int(try args[sessionsShown] ?? Int64(ReportOptions.defaultSessionsShown)))
            let console = run.console
            let report = try ComplianceReporter(db: try run.store.connection, keys: try run.keys())
                .generate(options) { console.progress("report: \(Render.count($0, "event")) read") }
            console.endProgress()

            let format = args.formatName
            let document = report.rendered(format: format)
            let sha256 = Digest.sha256Hex(document)
            if let path = try args[output] {
                try ReportFile.write(document, to: path)
            } else if !run.quiet {
                console.write(document)
            }
            if options.recordGeneration { try audit(report, sha256: sha256, format: format, run: run) }
            if let path = try args[output] {
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
            if let failure = report.failure(failOn: try args[failOn].flatMap(EvidenceStatus.init(rawValue:))) { throw failure }
            return 0
        }

        /// `report.generated`, through the recorder: a report is never lost for want of a store.
        static func audit(_ report: ComplianceReport, sha256: String, format: String, run: Run) throws {
            let recorder = try run.recorder
            let outcome = try recorder.record([try ComplianceReporter.generatedEvent(report, sha256: sha256, format: format)])
            for warning in recorder.warnings { run.warn(warning) }
            if case .placeholder = outcome { run.warn("report.generated for report \(report.reportID) was NOT recorded") }
        }
    }
}

/// Writes a report file. A regular file (or a new one) is replaced whole: a temporary file
/// beside it, created exclusively and never through a symbolic link, then renamed over it (a
/// rename replaces the directory entry and follows no link). An existing FIFO or character device
/// (`/dev/null`, a pipe a reader waits on) is written in place, since renaming over it would
/// destroy it. A symbolic link is refused: following it could write outside the named directory.
enum ReportFile {
    static func write(_ text: String, to path: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFIFO, S_IFCHR: if try writeInPlace(text, to: path) { return }
            case S_IFLNK:
                throw GovernanceError(.invalidInput, "\(Render.quoted(path)) is a symbolic link; a report is never written through one",
                                      hint: "name the file it points to, or leave out --output to write to stdout")
            default:
                throw GovernanceError(.invalidInput, "\(Render.quoted(path)) is not a regular file, FIFO or character device",
                                      hint: "name a file to create or replace")
            }
        } else if errno != ENOENT {
            throw failure(path)
        }
        try replace(text, at: path)
    }

    /// False when `path` turned out to be a regular file after all (replaced in the meantime).
    private static func writeInPlace(_ text: String, to path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { FileSystem.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure(path) }
        guard st.st_mode & S_IFMT == S_IFIFO || st.st_mode & S_IFMT == S_IFCHR else { return false }
        guard FileDescriptorWriter.writeAll(fd: fd, Array(text.utf8)) else { throw failure(path) }
        return true
    }

    private static func replace(_ text: String, at path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = (slash.map { String(path[...$0]) } ?? "") + "." + name + ".tmp-governance-" + Hex.encode(try SecureRandom.bytes(8))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path) }
        // Each failure is read from errno at once, before unlink() may change it.
        var error = FileDescriptorWriter.writeAll(fd: fd, Array(text.utf8)) && fsync(fd) == 0 ? nil : failure(path)
        if Glibc.close(fd) != 0, error == nil { error = failure(path) }
        if error == nil, rename(temporary, path) != 0 { error = failure(path) }
        if let error {
            unlink(temporary)
            throw error
        }
        FileSystem.syncDirectory(directory)
    }

    private static func failure(_ path: String) -> GovernanceError {
        GovernanceError(.invalidInput, "cannot write \(Render.quoted(path)): \(errnoMessage())", hint: "check the directory exists and is writable")
    }
}
