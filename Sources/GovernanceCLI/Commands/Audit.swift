import GovernanceCore

/// `audit log | verify | events | trace | export`.
enum AuditCommands {
    static let all = [log, verify, events, trace, export, tail, flush]

    static let log = CommandSpec(
        ["audit", "log"], "Append one event (or a batch) to a session's audit chain",
        doc: """
        Appends an event as the next link of the session's HMAC chain and prints the stored record. \
        --input and --output take text, @FILE or - (stdin) and store only its SHA-256; --input-hash and \
        --output-hash take a SHA-256 you computed (64 lowercase hex characters). Metadata is a JSON object \
        (at most 64 KiB encoded; integers beyond ±(2^53-1) and duplicate keys are rejected so that the \
        record never differs from what was sent).
        
        With --batch, reads JSON lines from FILE (or stdin, or -): one event per line with the fields \
        session_id, agent_id, kind, model, metadata, input_hash, output_hash, input, output; --session, \
        --agent, --kind and --model fill in what a line leaves out. Events are appended in order, 1,000 to a \
        transaction. A bad line rejects only itself: the report names it and the reason, and the other \
        lines are appended.
        
        Logging never breaks the calling script: when the store is unreachable the event is written to a \
        local spool ($GOVERNANCE_HOME/spool), a warning goes to stderr and the exit status is 0; the next \
        successful audit log (or `audit flush`) replays the spool first, in order, exactly once. Only when \
        the spool cannot be written either is a placeholder record returned (hmac of zeros, metadata \
        "audit.unavailable": true). --require-durable exits 4 instead of spooling.
        """,
        flags: [
            Flags.agent,
            FlagSpec("kind", short: "k", value: "KIND", "What happened, e.g. llm.call, tool.call (1-256 characters)"),
            Flags.session,
            FlagSpec("model", short: "m", value: "MODEL", "The model used, if any (at most 128 characters)"),
            FlagSpec("metadata", value: "JSON", "A JSON object, @FILE or - (stdin)", completion: .file),
            FlagSpec("input", value: "TEXT", "Input text, @FILE or -; stored as its SHA-256", completion: .file),
            FlagSpec("output", value: "TEXT", "Output text, @FILE or -; stored as its SHA-256", completion: .file),
            FlagSpec("input-hash", value: "SHA256", "SHA-256 of the input (64 hex characters)"),
            FlagSpec("output-hash", value: "SHA256", "SHA-256 of the output (64 hex characters)"),
            FlagSpec("batch", "Read events as JSON lines from FILE or stdin"),
            FlagSpec("require-durable", "Exit 4 when the store is unreachable instead of spooling"),
        ],
        positionals: [PositionalSpec("FILE", "With --batch: a JSON lines file, or - for stdin (the default)", optional: true)],
        examples: [
            "governance audit log --agent billing-agent --kind llm.call --model gpt-4o-mini --metadata '{\"prompt_tokens\":150}'",
            "governance audit log -a billing-agent -k tool.result --output @result.json",
            "governance audit log --batch events.jsonl --json",
        ]
    ) { inv in
        if inv.has("batch") { return try logBatch(inv) }
        if let extra = inv.parsed.positionals.first {
            throw GovernanceError.usage("unexpected argument \"\(extra)\"", hint: "a FILE is read only with --batch")
        }
        let event = try eventInput(inv)
        let recorder = try recorder(inv)
        let outcome = try recorder.record([event], returningIDs: true)
        for warning in recorder.warnings { inv.console.warn(warning) }
        switch outcome {
        case .appended(let records):
            let r = records[0]
            inv.emit(json: withStatus(r.json, "appended"), text: "logged seq \(r.seq) in session \(r.sessionID) (hmac \(r.hmac.prefix(16))...)")
        case .spooled(let path, _):
            inv.emit(json: spooledJSON(event, path: path), text: "spooled (the store is unavailable): \(path)")
        case .placeholder(let records):
            inv.emit(json: withStatus(records[0].json, "unavailable"), text: "NOT recorded: the store and the spool are both unavailable")
        }
        return 0
    }

    static func recorder(_ inv: Invocation) throws -> AuditRecorder {
        let config = try inv.configuration()
        return AuditRecorder(spool: AuditSpool(home: config.home, configuration: config), keys: try inv.keys(),
                             requireDurable: inv.has("require-durable")) { try inv.store() }
    }

    static func withStatus(_ record: JSONValue, _ status: String) -> JSONValue {
        .object([("status", .string(status))] + (record.objectMembers ?? []))
    }

    /// A spooled event has no place in the chain yet: no id, seq, prev_hash or hmac.
    static func spooledJSON(_ pending: PendingEvent, path: String) -> JSONValue {
        let e = pending.event
        return .object([
            ("status", .string("spooled")), ("spool_file", .string(path)), ("id", .null), ("session_id", .string(e.sessionID.value)),
            ("seq", .null), ("agent_id", .string(e.agentID)), ("kind", .string(e.kind)), ("model", .optional(e.model)),
            ("input_hash", .optional(e.inputHash)), ("output_hash", .optional(e.outputHash)),
            ("metadata", (try? JSONParser.parse(pending.metadata)) ?? .object([])),
            ("created_at", .string(pending.createdAt.iso8601)), ("prev_hash", .null), ("hmac", .null),
        ])
    }

    /// `audit log --batch`: JSON lines in, chunked appends, a report out.
    static func logBatch(_ inv: Invocation) throws -> Int32 {
        for flag in ["metadata", "input", "output", "input-hash", "output-hash"] where inv.has(flag) {
            throw GovernanceError.usage("--\(flag) does not apply to --batch; put it in each line")
        }
        let defaults = BatchInput.Defaults(sessionID: try inv.session(required: false), agentID: try inv.agent(required: false),
                                           kind: inv.value("kind"), model: inv.value("model"))
        let source = inv.parsed.positionals.first ?? "-"
        var fd: Int32 = -1
        let next: () throws -> [UInt8]?
        if source == "-" {
            next = try inv.console.stdinChunks()
        } else {
            let opened = try FileSystem.openForReading(source, what: "batch file")
            fd = opened
            next = { try FileSystem.readChunk(fd: opened, what: "batch file \(source)") }
        }
        defer { if fd >= 0 { FileSystem.close(fd) } }

        let recorder = try recorder(inv)
        var reader = LineReader(next)
        var chunk: [PendingEvent] = []
        var rejected: [(line: Int, reason: String)] = []
        var appended = 0, spooled = 0, unrecorded = 0, lines = 0
        var lastSeq: [String: Int64] = [:]
        var spoolFiles: [String] = []
        func submit() throws {
            guard !chunk.isEmpty else { return }
            switch try recorder.record(chunk) {
            case .appended(let records):
                appended += records.count
                for r in records { lastSeq[r.sessionID] = r.seq }
            case .spooled(let path, let count):
                spooled += count
                spoolFiles.append(path)
            case .placeholder(let records):
                unrecorded += records.count
            }
            chunk.removeAll(keepingCapacity: true)
            inv.console.progress("batch: \(Render.grouped(lines)) lines, \(Render.grouped(appended)) appended, \(Render.grouped(spooled)) spooled, \(Render.grouped(rejected.count)) rejected")
        }
        while let line = try reader.nextLine() {
            lines = reader.lineNumber
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                chunk.append(try BatchInput.event(fromLine: line, defaults: defaults))
            } catch let error as GovernanceError where error.kind == .invalidInput || error.kind == .usage {
                rejected.append((reader.lineNumber, error.message))
            }
            if chunk.count == AuditLog.eventsPerTransaction { try submit() }
        }
        try submit()
        inv.console.endProgress()
        for warning in recorder.warnings { inv.console.warn(warning) }
        if inv.format == .json || inv.quiet {
            // The text report lists every rejected line; otherwise stderr names the first ones.
            for r in rejected.prefix(20) { inv.console.warn("line \(r.line) rejected: \(r.reason)") }
            if rejected.count > 20 { inv.console.warn("\(rejected.count - 20) more lines rejected (see the report)") }
        }

        let sessions = lastSeq.sorted { $0.key < $1.key }
        var text = "appended \(Render.grouped(appended)) event\(appended == 1 ? "" : "s") to \(sessions.count) session\(sessions.count == 1 ? "" : "s")"
        if spooled > 0 { text += "; spooled \(Render.grouped(spooled)) (the store is unavailable)" }
        if unrecorded > 0 { text += "; \(Render.grouped(unrecorded)) NOT recorded (store and spool unavailable)" }
        text += "; rejected \(rejected.count) line\(rejected.count == 1 ? "" : "s")"
        for (session, seq) in sessions { text += "\n  session \(session) last seq \(seq)" }
        for r in rejected { text += "\n  line \(r.line): \(r.reason)" }
        inv.emit(
            json: .object([
                ("lines", .int(lines)),
                ("appended", .int(appended)),
                ("spooled", .int(spooled)),
                ("unrecorded", .int(unrecorded)),
                ("rejected", .array(rejected.map { .object([("line", .int($0.line)), ("reason", .string($0.reason))]) })),
                ("sessions", .array(sessions.map { .object([("session_id", .string($0.key)), ("last_seq", .int64($0.value))]) })),
                ("spool_files", .array(spoolFiles.map(JSONValue.string))),
            ]),
            text: text)
        return 0
    }

    /// The event that `audit log`'s flags describe, validated before anything is opened.
    static func eventInput(_ inv: Invocation) throws -> PendingEvent {
        let agent = try inv.agent(required: true)!
        let kind = try inv.required("kind", hint: "say what happened, for example --kind llm.call")
        let session = try inv.session(required: true)!
        let inputHash = try hash(inv, text: "input", hash: "input-hash")
        let outputHash = try hash(inv, text: "output", hash: "output-hash")
        let event = AuditEventInput(sessionID: session, agentID: agent, kind: kind, model: inv.value("model"),
                                    inputHash: inputHash, outputHash: outputHash,
                                    metadata: try inv.jsonObject("metadata") ?? .object([]))
        return try PendingEvent(validating: event)
    }

    private static func hash(_ inv: Invocation, text: String, hash: String) throws -> String? {
        if inv.value(text) != nil && inv.value(hash) != nil {
            throw GovernanceError.usage("give --\(text) or --\(hash), not both")
        }
        if let value = inv.value(text) { return Hex.encode(Digest.sha256(try inv.bytes(ofValue: value, flag: text))) }
        return inv.value(hash)
    }

    static let verify = CommandSpec(
        ["audit", "verify"], "Verify audit chains and name the first bad seq",
        doc: """
        Recomputes every link's HMAC and checks that prev_hash links, that seq is contiguous from 1 with no \
        duplicates, and that each chain ends where its session head says. Rows are streamed, so memory stays \
        flat whatever the length. Exits 0 when everything verifies and 20 on the first failure of any \
        session, naming the session, the seq and the reason. --from-seq/--to-seq check part of one session's \
        chain, anchored on the link before --from-seq.
        """,
        flags: [
            FlagSpec("session", short: "s", value: "UUID", "Verify only this session", environment: "GOVERNANCE_SESSION_ID"),
            FlagSpec("from-seq", value: "N", "Start at seq N (needs --session)"),
            FlagSpec("to-seq", value: "N", "Stop after seq N (needs --session)"),
        ],
        examples: ["governance audit verify", "governance audit verify --session $GOVERNANCE_SESSION_ID --from-seq 100"]
    ) { inv in
        let scope = VerificationScope(sessionID: try inv.session(required: false), fromSeq: try inv.integer("from-seq", minimum: 1),
                                      toSeq: try inv.integer("to-seq", minimum: 1))
        if scope.sessionID == nil, scope.fromSeq != nil || scope.toSeq != nil {
            throw GovernanceError.usage("--from-seq and --to-seq need --session")
        }
        let store = try inv.store()
        let console = inv.console
        let report = try ChainVerifier(db: store.connection, keys: try inv.keys())
            .verify(scope) { console.progress("verifying: \(Render.grouped($0)) rows") }
        console.endProgress()
        inv.emit(json: report.json, text: verificationText(report))
        if let first = report.failures.first, inv.format == .text {
            // Also on stderr, so a script that keeps only stderr still sees which seq broke.
            inv.console.errorLine("governance: error: audit chain integrity failure: session \(first.sessionID) seq \(first.seq): \(first.reason.rawValue)")
        }
        return report.ok ? 0 : GovernanceError.Kind.integrityFailure.exitCode
    }

    static func verificationText(_ report: VerificationReport) -> String {
        let rate = report.elapsedSeconds > 0 ? Int(Double(report.rowsRead) / report.elapsedSeconds) : 0
        let summary = "\(Render.grouped(report.rowsVerified)) rows in \(Render.grouped(report.sessions)) session\(report.sessions == 1 ? "" : "s") (\(Render.grouped(rate)) rows/s)"
        if report.ok { return "verified: " + summary }
        var text = "FAILED: \(report.failures.count) session\(report.failures.count == 1 ? "" : "s") with a broken chain; verified " + summary
        for f in report.failures {
            text += "\n  session \(f.sessionID) seq \(f.seq): \(f.reason.rawValue): \(f.detail)"
        }
        return text
    }

    static let events = CommandSpec(
        ["audit", "events"], "List stored events, filtered, oldest first",
        doc: """
        Streams matching events in the order they were appended: as text, or with --json as JSON lines, one \
        event per line with every stored field. --since and --until take RFC 3339 times or dates (UTC \
        midnight); --until is exclusive. --limit keeps the newest N matches. With --verify, each event's \
        HMAC is recomputed and its session's chain is checked up to it; each line then carries "verified", \
        and the command exits 20 when any event fails.
        """,
        flags: [
            Flags.sessionFilter, Flags.agentFilter, Flags.kindFilter,
            FlagSpec("since", value: "TIME", "Only events at or after TIME"),
            FlagSpec("until", value: "TIME", "Only events before TIME"),
            FlagSpec("limit", short: "n", value: "N", "Only the newest N matching events"),
            FlagSpec("verify", "Verify each event and its chain on read (exit 20 on failure)"),
        ],
        examples: ["governance audit events --agent billing-agent --since 2026-11-26 --json", "governance audit events -s $GOVERNANCE_SESSION_ID --verify"]
    ) { inv in
        var filter = AuditFilter(agentID: inv.value("agent"), kind: inv.value("kind"), since: try inv.timestamp("since"),
                                 until: try inv.timestamp("until"), limit: try inv.integer("limit", minimum: 1).map { Int($0) })
        if let s = inv.value("session") { filter.sessionID = try SessionID.parse(s) }
        let store = try inv.store()
        let verifying = inv.has("verify")
        var records: [AuditRecord] = []
        var failed = false
        if verifying {
            // Verification needs each session's chain, which is read after the listing.
            let keys = try inv.keys()
            let verdicts = try store.connection.readTransaction {  // the listing and the chains: one snapshot
                try AuditQuery(db: store.connection).events(filter) { records.append($0) }
                return try ChainVerifier(db: store.connection, keys: keys).verdicts(for: records)
            }
            for (record, ok) in zip(records, verdicts) {
                failed = failed || !ok
                writeEvent(inv, record, verified: ok)
            }
        } else {
            try AuditQuery(db: store.connection).events(filter) { writeEvent(inv, $0, verified: nil) }
        }
        if failed {
            throw GovernanceError(.integrityFailure, "one or more listed events failed verification",
                                  hint: "run `governance audit verify` to see the first bad seq of each session")
        }
        return 0
    }

    static func writeEvent(_ inv: Invocation, _ record: AuditRecord, verified: Bool?) {
        guard !inv.quiet else { return }
        switch inv.format {
        case .json:
            var line = record.jsonLine
            if let verified { line.removeLast(); line += ",\"verified\":\(verified)}" }
            inv.console.line(line)
        case .text:
            var line = Render.eventLine(record)
            if let verified { line = (verified ? "ok    " : "BAD   ") + line }
            inv.console.line(line)
        }
    }

    static let trace = CommandSpec(
        ["audit", "trace"], "Show one session's chain in order, verified",
        doc: """
        Prints every event of one session in seq order and verifies the chain as it goes (HMACs, links, \
        seq continuity and the session head). Text output marks where the chain breaks; --json prints one \
        document with the events and the verification result. Exits 20 when the chain does not verify.
        """,
        flags: [Flags.session],
        examples: ["governance audit trace --session $GOVERNANCE_SESSION_ID"]
    ) { inv in
        let session = try inv.session(required: true)!
        let store = try inv.store()
        let keys = try inv.keys()
        let query = AuditQuery(db: store.connection)
        var check = ChainCheck(sessionID: session.value, key: HMACKey(key: keys.chainKey))
        var events: [JSONValue] = []
        var reported = false
        // The head and the rows from one snapshot, so appends meanwhile raise no false alarm.
        let head = try store.connection.readTransaction { () throws -> (seq: Int64, hmac: String)? in
            let head = try query.head(session)
            try query.chain(session) { record in
                check.check(record)
                if inv.format == .json {
                    events.append(record.json)
                } else if !inv.quiet {
                    inv.console.line(Render.eventLine(record))
                    if let failure = check.failure, !reported {
                        reported = true
                        inv.console.line("^^^ chain broken at seq \(failure.seq): \(failure.reason.rawValue): \(failure.detail)")
                    }
                }
            }
            return head
        }
        let rows = check.expectedSeq - 1
        if rows == 0 && head == nil {
            throw GovernanceError.invalid("session \(session.value) has no events", hint: "check the id, or list sessions with `governance audit events`")
        }
        check.finish(head: head)
        let failure = check.failure
        inv.emit(
            json: .object([
                ("session_id", .string(session.value)),
                ("verified", .bool(failure == nil)),
                ("events", .array(events)),
                ("failure", failure?.json ?? .null),
            ]),
            text: failure.map { f in reported ? "FAILED: chain broken at seq \(f.seq)" : "FAILED: seq \(f.seq): \(f.reason.rawValue): \(f.detail)" }
                ?? "verified: \(check.rowsVerified) link\(check.rowsVerified == 1 ? "" : "s") in session \(session.value)")
        return failure == nil ? 0 : GovernanceError.Kind.integrityFailure.exitCode
    }

    static let export = CommandSpec(
        ["audit", "export"], "Write every stored field of every event as JSON lines",
        doc: """
        Writes one JSON object per line, in chain order (session, then seq), with every stored field, \
        metadata exactly as it was hashed. Anyone holding the secret can verify the result independently \
        with any RFC 8785 library and HMAC-SHA256: docs/CHAIN.md shows how.
        """,
        flags: [Flags.sessionFilter],
        examples: ["governance audit export > audit.jsonl", "governance audit export --session $GOVERNANCE_SESSION_ID | python3 docs/verify_chain.py"]
    ) { inv in
        let store = try inv.store()
        let query = AuditQuery(db: store.connection)
        if let s = inv.value("session") {
            try query.chain(try SessionID.parse(s)) { inv.console.line($0.jsonLine) }
        } else {
            try query.all { inv.console.line($0.jsonLine) }
        }
        return 0
    }
}

extension AuditCommands {
    static let tail = CommandSpec(
        ["audit", "tail"], "Print the newest events, and with --follow every new one as it is appended",
        doc: """
        Prints the newest events (10 unless -n says otherwise), oldest first, as text or JSON lines. With \
        --follow it then waits and prints each new matching event as soon as it is committed, by any \
        process or host, until interrupted. PostgreSQL wakes it with LISTEN/NOTIFY; SQLite is polled \
        every 50 ms. Output is flushed after each event, so it can be piped.
        """,
        flags: [
            FlagSpec("follow", short: "f", "Keep printing new events until interrupted"),
            FlagSpec("lines", short: "n", value: "N", "How many existing events to print first (default 10)"),
            Flags.sessionFilter, Flags.agentFilter, Flags.kindFilter,
        ],
        examples: ["governance audit tail -f", "governance audit tail -f --json --agent billing-agent | jq .kind"]
    ) { inv in
        var filter = AuditFilter(agentID: inv.value("agent"), kind: inv.value("kind"))
        if let s = inv.value("session") { filter.sessionID = try SessionID.parse(s) }
        let count = Int(try inv.integer("lines", minimum: 0) ?? 10)
        let store = try inv.store()
        var tail = AuditTail(db: store.connection, filter: filter)
        let print: (AuditRecord) -> Void = { writeEvent(inv, $0, verified: nil) }
        try tail.backlog(count, print)
        inv.console.flush()
        guard inv.has("follow") else { return 0 }
        Signals.allowInterruption()
        while true {
            if try tail.poll(timeout: 1.0, print) > 0 { inv.console.flush() }
        }
    }

    static let flush = CommandSpec(
        ["audit", "flush"], "Replay spooled events into the chain",
        doc: """
        Appends every event waiting in the local spool ($GOVERNANCE_HOME/spool) to its session's chain, \
        in the order the events happened, exactly once: each replayed event is recorded in the same \
        transaction as its append, so a flush that is interrupted and run again neither loses nor \
        duplicates an event. A damaged spool file is moved to spool/.../rejected/ and reported. Exits 4 \
        when the store is still unreachable (the spool is kept).
        """,
        examples: ["governance audit flush", "governance audit flush --json"]
    ) { inv in
        let config = try inv.configuration()
        let spool = AuditSpool(home: config.home, configuration: config)
        let pending = spool.pendingFiles().count
        let store = try inv.store()
        let console = inv.console
        let report = try spool.flush(into: AuditLog(db: store.connection, keys: try inv.keys())) {
            console.progress("flush: \(Render.grouped($0)) events replayed")
        }
        console.endProgress()
        for file in report.rejectedFiles { console.warn("a damaged spool file was set aside: \(file)") }
        var text = pending == 0 ? "nothing to flush: the spool is empty"
            : "replayed \(Render.grouped(report.appended)) event\(report.appended == 1 ? "" : "s") from \(report.files) spool file\(report.files == 1 ? "" : "s")"
        if report.alreadyPresent > 0 { text += " (\(report.alreadyPresent) already in the chain from an interrupted flush, not added again)" }
        for (session, seq) in report.lastSeq.sorted(by: { $0.key < $1.key }) { text += "\n  session \(session) last seq \(seq)" }
        inv.emit(json: report.json, text: text)
        return 0
    }
}
