/// `audit log --batch`: JSON lines in, chained appends out, one report. A bad line rejects only
/// itself; good lines are appended in order, `AuditLog.eventsPerTransaction` to a transaction,
/// through the recorder (so an unreachable store spools the rest).
public struct AuditBatch {
    public struct Report: Sendable {
        public var lines = 0
        public var appended = 0
        public var spooled = 0
        /// Events neither stored nor spooled (placeholders were returned).
        public var unrecorded = 0
        /// The first `keptRejections` rejected lines, in order; `rejectedCount` counts them all.
        public var rejected: [(line: Int, reason: String)] = []
        public var rejectedCount = 0
        public var lastSeq: [String: Int64] = [:]
        public var spoolFiles: [String] = []
    }

    /// The longest line read (documented in docs/JSON.md): an event's metadata is at most 64 KiB
    /// encoded, so a longer line can only be a mistake or an attack.
    public static let maxLineBytes = 1 << 20

    /// How many rejected lines the report names (docs/JSON.md): beyond them they are only
    /// counted, so that a batch's memory does not grow with its length.
    public static let keptRejections = 1_000

    /// The most events a strict batch holds before appending any.
    public static let maxStrictEvents = 100_000

    public let defaults: BatchInput.Defaults
    public let recorder: AuditRecorder
    /// All or nothing: every line is read and checked before the first is appended, and one
    /// rejected line appends none (the batch is held in memory, at most `maxStrictEvents` events).
    public let strict: Bool

    public init(defaults: BatchInput.Defaults, recorder: AuditRecorder, strict: Bool = false) {
        self.defaults = defaults
        self.recorder = recorder
        self.strict = strict
    }

    /// What the parsing thread hands over: up to one transaction's worth of valid events, and
    /// the lines rejected on the way.
    private struct Parsed {
        var events: [PendingEvent] = []
        var rejected: [(line: Int, reason: String)] = []
        var rejectedCount = 0
        var lines = 0
        /// Each session's last event in `events` (its index), found while parsing so that the
        /// appending thread need not look up every record's session.
        var lastOfSession: [String: Int] = [:]
        /// The records the append made, handed back with the rest to be freed on the parsing thread.
        var appended: [AuditRecord] = []
    }

    /// Reads every line from `next` (chunks, nil at the end); `progress` is told after each
    /// transaction. Lines are read, parsed and their MACs begun on a second thread while the
    /// previous chunk is being appended: on two cores the two threads then take about as long
    /// each, and the batch runs at nearly the speed of the append alone (docs/BENCHMARKS.md).
    public func ingest(_ next: @escaping () throws -> [UInt8]?, progress: ((Report) -> Void)? = nil) throws -> Report {
        let defaults = self.defaults, chainKey = recorder.chainKey
        let parser = BackgroundProducer<Parsed>(capacity: 2) { send in
            var reader = LineReader(maxLineBytes: Self.maxLineBytes, next)
            var parsed = Parsed()
            parsed.events.reserveCapacity(AuditLog.eventsPerTransaction)
            var kept = 0
            func reject(_ line: Int, _ reason: @autoclosure () -> String) {
                parsed.rejectedCount += 1
                guard kept < Self.keptRejections else { return }
                kept += 1
                parsed.rejected.append((line, reason()))
            }
            while let line = try reader.nextLine() {
                parsed.lines = reader.lineNumber
                switch line {
                case .tooLong:
                    reject(reader.lineNumber, "the line is longer than \(Self.maxLineBytes >> 20) MiB")
                case .line(let bytes):
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    do {
                        var event = try BatchInput.event(fromLine: bytes, defaults: defaults)
                        event.beginChainMAC(key: chainKey)
                        parsed.lastOfSession[event.event.sessionID.value] = parsed.events.count
                        parsed.events.append(event)
                    } catch let error as GovernanceError where error.kind == .invalidInput || error.kind == .usage {
                        reject(reader.lineNumber, error.message)
                    }
                }
                if parsed.events.count == AuditLog.eventsPerTransaction {
                    guard send(parsed) else { return }
                    parsed = Parsed(lines: reader.lineNumber)
                    parsed.events.reserveCapacity(AuditLog.eventsPerTransaction)
                }
            }
            _ = send(parsed)
        }
        defer { parser.cancel() }
        var report = Report()
        var held: [Parsed] = [], heldEvents = 0
        while let parsed = try parser.next() {
            report.lines = max(report.lines, parsed.lines)
            report.rejected += parsed.rejected
            report.rejectedCount += parsed.rejectedCount
            if strict {
                heldEvents += parsed.events.count
                if heldEvents > Self.maxStrictEvents {
                    throw GovernanceError.invalid("a --strict batch holds at most \(Self.maxStrictEvents) events; nothing was appended",
                                                  hint: "split the file, or drop --strict")
                }
                held.append(parsed)
            } else {
                parser.giveBack(try append(parsed, to: &report, progress: progress))
            }
        }
        guard report.rejectedCount == 0 else { return report }
        for parsed in held { _ = try append(parsed, to: &report, progress: progress) }
        return report
    }

    /// Records one transaction's events; returns the chunk with the records, to be freed on the
    /// parsing thread.
    private func append(_ chunk: Parsed, to report: inout Report, progress: ((Report) -> Void)?) throws -> Parsed {
        var parsed = chunk
        guard !parsed.events.isEmpty else { return parsed }
        switch try recorder.record(parsed.events) {
        case .appended(let records):
            report.appended += records.count
            for (session, last) in parsed.lastOfSession { report.lastSeq[session] = records[last].seq }
            parsed.appended = records
        case .spooled(let path, let count):
            report.spooled += count
            report.spoolFiles.append(path)
        case .placeholder(let records):
            report.unrecorded += records.count
        case .stateOnly:
            break
        }
        progress?(report)
        return parsed
    }
}
