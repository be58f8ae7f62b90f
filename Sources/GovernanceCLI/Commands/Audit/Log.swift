import GovernanceCore

extension Audit {
    /// `audit log`: one event, or JSON lines with --batch.
    enum Log {
        static let input: Flag<ContentDigest> = .content("input", "Input text, @FILE or -; stored as its SHA-256")
        static let output: Flag<ContentDigest> = .content("output", "Output text, @FILE or -; stored as its SHA-256")
        static let inputHash: Flag<String> = .text("input-hash", value: "SHA256", "SHA-256 of the input (64 hex characters)")
        static let outputHash: Flag<String> = .text("output-hash", value: "SHA256", "SHA-256 of the output (64 hex characters)")
        static let batch: Flag<Bool> = .toggle("batch", "Read events as JSON lines from FILE or stdin")
        static let strict: Flag<Bool> = .toggle("strict", "With --batch: all or nothing; any rejected line appends none and exits 2")
        static let file: Positional<String> = .one("FILE", "With --batch: a JSON lines file, or - for stdin (the default)", optional: true,
                                                   completion: .file)

        /// What one `audit log` recorded: an event, or a batch.
        enum Logged {
            case one(PendingEvent, Observed)
            case batch(AuditBatch.Report)
        }

        static let command = CommandSpec.observing(
            "log", "Append one event (or a batch) to a session's audit chain",
            doc: """
            Appends an event as the next link of the session's HMAC chain and prints the stored record. \
            --input and --output take text, @FILE or - (stdin) and store only its SHA-256, read as a stream \
            in constant memory; --input-hash and --output-hash take a SHA-256 you computed (64 lowercase hex \
            characters). Metadata is a JSON object (read at most 1 MiB, at most 64 KiB encoded; integers beyond \
            ±(2^53-1) and duplicate keys are rejected so that the record never differs from what was sent). \
            Identifiers (agent, kind, model) are UTF-8 without control characters; their limits count bytes.
            
            With --batch, reads JSON lines from FILE (or stdin, or -): one event per line with the fields \
            session_id, agent_id, kind, model, metadata, input_hash, output_hash, input, output; --session, \
            --agent, --kind and --model fill in what a line leaves out. A line may be at most 1 MiB. Events are \
            appended in order, 1,000 to a transaction. A bad line rejects only itself: the report names it and \
            the reason (the first 1,000 such lines; the rest are counted), and the other lines are appended. \
            With --strict every line is checked before any is appended (at most 100,000 events, held in \
            memory): one rejected line appends nothing, the report lists the rejections and the exit status is 2.
            
            Logging never breaks the calling script: when the store is unreachable the event is written to a \
            local spool ($GOVERNANCE_HOME/spool), a warning goes to stderr and the exit status is 0; the next \
            successful audit log (or `audit flush`) replays the spool first, in order, exactly once. Only when \
            the spool cannot be written either is a placeholder record returned (hmac of zeros, metadata \
            "audit.unavailable": true). --require-durable exits 4 instead of spooling.
            """,
            flags: [SharedFlags.agent.requiredUnless(batch), SharedFlags.kind.requiredUnless(batch), SharedFlags.session.requiredUnless(batch),
                    SharedFlags.model, SharedFlags.metadata.conflicts(with: batch), input.conflicts(with: inputHash, batch),
                    output.conflicts(with: outputHash, batch), inputHash.conflicts(with: batch), outputHash.conflicts(with: batch), batch, strict.requires(batch)],
            positionals: [file],
            examples: [
                "governance audit log --agent billing-agent --kind llm.call --model gpt-4o-mini --metadata '{\"prompt_tokens\":150}'",
                "governance audit log -a billing-agent -k tool.result --output @result.json",
                "governance audit log --batch events.jsonl --json",
                "governance audit log --batch --strict events.jsonl || exit",
            ],
            record: { args, run, recorder -> Logged in
                if try args.has(batch) { return .batch(try logBatch(args, run, recorder)) }
                if let extra = try args[file] {
                    throw GovernanceError.usage("unexpected argument \(Render.quoted(extra))", hint: "a FILE is read only with --batch")
                }
                let kindName = try args.require(SharedFlags.kind)
                try EventKind.checkLoggable(kindName)
                let event = try PendingEvent(validating: AuditEventInput(
                    sessionID: try args.require(SharedFlags.session), agentID: try args.require(SharedFlags.agent), kind: kindName,
                    model: try args[SharedFlags.model], inputHash: try args[input]?.hex ?? args[inputHash],
                    outputHash: try args[output]?.hex ?? args[outputHash], metadata: try args[SharedFlags.metadata] ?? .object([])))
                return .one(event, Observed(try recorder.record([event], returningIDs: true)))
            },
            render: { logged, args, run in
                switch logged {
                case .batch(let report):
                    return renderBatch(report, args, run)
                case .one(let event, let recorded):
                    // The status words are Observed's, as for every observation.
                    switch recorded {
                    case .appended(let records):
                        let r = records[0]
                        run.emit(json: withStatus(r.json, recorded.status()),
                                 text: "logged seq \(r.seq) in session \(r.sessionID) (hmac \(r.hmac.prefix(16))...)")
                    case .spooled(let path):
                        run.emit(json: spooledJSON(event, path: path, status: recorded.status()), text: "spooled (the store is unavailable): \(path)")
                    case .unavailable(let records):
                        run.emit(json: withStatus(records[0].json, recorded.status()), text: "NOT recorded: the store and the spool are both unavailable")
                    case .seen:
                        throw GovernanceError.internalError("audit log recorded no event")
                    }
                }
                return 0
            })

        static func withStatus(_ record: JSONValue, _ status: String) -> JSONValue {
            .object([("status", .string(status))] + (record.objectMembers ?? []))
        }

        /// A spooled event has no place in the chain yet: no id, seq, prev_hash or hmac.
        static func spooledJSON(_ pending: PendingEvent, path: String, status: String) -> JSONValue {
            let e = pending.event
            return .object([
                ("status", .string(status)), ("spool_file", .string(path)), ("id", .null), ("session_id", .string(e.sessionID.value)),
                ("seq", .null), ("agent_id", .string(e.agentID)), ("kind", .string(e.kind)), ("model", .optional(e.model)),
                ("input_hash", .optional(e.inputHash)), ("output_hash", .optional(e.outputHash)),
                ("metadata", (try? JSONParser.parse(pending.metadata)) ?? .object([])),
                ("created_at", .string(pending.createdAt.iso8601)), ("prev_hash", .null), ("hmac", .null),
            ])
        }

        /// `audit log --batch`: the core ingests; this reads the source and renders the report.
        static func logBatch(_ args: Arguments, _ run: Run, _ recorder: AuditRecorder) throws -> AuditBatch.Report {
            let defaults = BatchInput.Defaults(sessionID: try args[SharedFlags.session], agentID: try args[SharedFlags.agent], kind: try args[SharedFlags.kind],
                                              model: try args[SharedFlags.model])
            let source = try args[file] ?? "-"
            var fd: Int32 = -1
            let next: () throws -> [UInt8]?
            if source == "-" {
                next = try run.console.stdinChunks()
            } else {
                let opened = try FileSystem.openForReading(source, what: "batch file")
                fd = opened
                next = { try FileSystem.readChunk(fd: opened, what: "batch file \(source)") }
            }
            defer { if fd >= 0 { FileSystem.close(fd) } }

            let console = run.console
            let report = try AuditBatch(defaults: defaults, recorder: recorder, strict: try args.has(strict)).ingest(next) { r in
                console.progress("batch: \(Render.count(r.lines, "line")), \(Render.grouped(r.appended)) appended, \(Render.grouped(r.spooled)) spooled, \(Render.grouped(r.rejectedCount)) rejected")
            }
            console.endProgress()
            return report
        }

        static func renderBatch(_ report: AuditBatch.Report, _ args: Arguments, _ run: Run) -> Int32 {
            if run.format == .json || run.quiet {
                // The text report lists every rejected line; otherwise stderr names the first ones.
                for r in report.rejected.prefix(20) { run.console.warn(Render.message("line \(r.line) rejected: \(r.reason)")) }
                if report.rejectedCount > 20 { run.warn("\(Render.grouped(report.rejectedCount - 20)) more lines rejected (see the report)") }
            }
            let sessions = report.lastSeq.sorted { $0.key < $1.key }
            var text = "appended \(Render.count(report.appended, "event")) to \(Render.count(sessions.count, "session"))"
            if report.spooled > 0 { text += "; spooled \(Render.grouped(report.spooled)) (the store is unavailable)" }
            if report.unrecorded > 0 { text += "; \(Render.grouped(report.unrecorded)) NOT recorded (store and spool unavailable)" }
            text += "; rejected \(Render.count(report.rejectedCount, "line"))"
            for (session, seq) in sessions { text += "\n  session \(session) last seq \(seq)" }
            for r in report.rejected { text += "\n  line \(r.line): \(Render.message(r.reason))" }
            if report.rejectedCount > report.rejected.count {
                text += "\n  ... and \(Render.count(report.rejectedCount - report.rejected.count, "more rejected line")) (only the first \(Render.grouped(report.rejected.count)) are listed)"
            }
            run.emit(
                json: .object([
                    ("lines", .int(report.lines)),
                    ("appended", .int(report.appended)),
                    ("spooled", .int(report.spooled)),
                    ("unrecorded", .int(report.unrecorded)),
                    ("rejected", .array(report.rejected.map { .object([("line", .int($0.line)), ("reason", .string($0.reason))]) })),
                    ("rejected_count", .int(report.rejectedCount)),
                    ("sessions", .array(sessions.map { .object([("session_id", .string($0.key)), ("last_seq", .int64($0.value))]) })),
                    ("spool_files", .array(report.spoolFiles.map(JSONValue.string))),
                ]),
                text: text)
            return report.rejectedCount > 0 && ((try? args.has(strict)) ?? true) ? GovernanceError.Kind.invalidInput.exitCode : 0
        }
    }
}
