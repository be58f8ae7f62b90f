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
        public var rejected: [(line: Int, reason: String)] = []
        public var lastSeq: [String: Int64] = [:]
        public var spoolFiles: [String] = []
    }

    /// The longest line read (documented in docs/JSON.md): an event's metadata is at most 64 KiB
    /// encoded, so a longer line can only be a mistake or an attack.
    public static let maxLineBytes = 1 << 20

    public let defaults: BatchInput.Defaults
    public let recorder: AuditRecorder

    public init(defaults: BatchInput.Defaults, recorder: AuditRecorder) {
        self.defaults = defaults
        self.recorder = recorder
    }

    /// Reads every line from `next` (chunks, nil at the end); `progress` is told after each
    /// transaction.
    public func ingest(_ next: @escaping () throws -> [UInt8]?, progress: ((Report) -> Void)? = nil) throws -> Report {
        var reader = LineReader(maxLineBytes: Self.maxLineBytes, next)
        var report = Report()
        var chunk: [PendingEvent] = []
        chunk.reserveCapacity(AuditLog.eventsPerTransaction)
        func submit() throws {
            guard !chunk.isEmpty else { return }
            switch try recorder.record(chunk) {
            case .appended(let records):
                report.appended += records.count
                for r in records { report.lastSeq[r.sessionID] = r.seq }
            case .spooled(let path, let count):
                report.spooled += count
                report.spoolFiles.append(path)
            case .placeholder(let records):
                report.unrecorded += records.count
            }
            chunk.removeAll(keepingCapacity: true)
            progress?(report)
        }
        while let line = try reader.nextLine() {
            report.lines = reader.lineNumber
            switch line {
            case .tooLong:
                report.rejected.append((reader.lineNumber, "the line is longer than \(Self.maxLineBytes >> 20) MiB"))
            case .line(let bytes):
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    chunk.append(try BatchInput.event(fromLine: bytes, defaults: defaults))
                } catch let error as GovernanceError where error.kind == .invalidInput || error.kind == .usage {
                    report.rejected.append((reader.lineNumber, error.message))
                }
            }
            if chunk.count == AuditLog.eventsPerTransaction { try submit() }
        }
        try submit()
        return report
    }
}
