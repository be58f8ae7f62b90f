import Glibc

/// Follows the audit trail as it grows (the CLI's form of the reference SDK's `subscribe`).
///
/// Row ids are assigned when a row is inserted but become visible when its transaction commits,
/// so on PostgreSQL a smaller id can appear after a larger one. Each poll therefore looks back a
/// window of ids behind the newest one seen and skips the ids it has already seen. Every id that
/// was visible when following began counts as seen, so only the backlog asked for is printed
/// and each later event once.
///
/// A follower outlives its store: when the connection is lost (a PostgreSQL restart) it reopens
/// the store with backoff, and when the SQLite file is replaced (a restored backup moved into
/// place) it opens the new file. It reports both through `notice`; the caller says so.
public struct AuditTail {
    public private(set) var store: Store
    public var filter: AuditFilter
    /// How far behind the newest delivered id to look for late commits.
    public static let lookback: Int64 = 20_000
    /// The longest pause between two attempts to reopen a lost store.
    public static let maximumBackoffSeconds = 5.0

    /// What happened to the store while following.
    public enum Notice: Sendable, Equatable {
        /// The store cannot be reached; the follower keeps trying.
        case lost(reason: String)
        /// The store is back; events committed meanwhile follow.
        case regained
        /// The SQLite file was replaced by another; the follower follows the new file from its
        /// current end.
        case replaced(path: String)

        public var message: String {
            switch self {
            case .lost(let reason): "lost the store (\(reason)); reconnecting"
            case .regained: "regained the store; following again"
            case .replaced(let path): "the store file \(path) was replaced by another file; following the new file from its current end"
            }
        }
    }

    private let reopen: () throws -> Store
    private var newest: Int64 = 0
    private var seen = Set<Int64>()

    /// `reopen` opens the same store again (for reading) after it was lost or replaced.
    public init(store: Store, filter: AuditFilter, reopen: @escaping () throws -> Store) {
        self.store = store
        self.filter = filter
        self.reopen = reopen
    }

    /// The newest `count` matching events (the backlog shown before following).
    public mutating func backlog(_ count: Int, _ body: (AuditRecord) throws -> Void) throws {
        let top = try markVisibleAsSeen()
        guard count > 0 else { return }
        var query = filter
        query.limit = count
        try AuditQuery(db: store.connection).events(query) { record in
            // Newer than `top`: committed after the ids were read, so the first poll prints it.
            if record.id <= top {
                note(record.id)
                try body(record)
            }
        }
    }

    /// Counts every id now visible in the look-back window as seen; returns the newest.
    @discardableResult
    private mutating func markVisibleAsSeen() throws -> Int64 {
        let top = try store.connection.queryFirst("SELECT COALESCE(MAX(id), 0) FROM governance_audit_events")?.int(0) ?? 0
        try store.connection.forEachRow("SELECT id FROM governance_audit_events WHERE id > ? AND id <= ?",
                                        [.int(max(0, top - Self.lookback)), .int(top)]) { seen.insert(try $0.int(0)) }
        newest = max(newest, top)
        return top
    }

    /// Waits up to `timeout` seconds for changes and delivers new matching events in id order;
    /// returns how many were delivered. A lost store is reopened here (with backoff, reported
    /// through `notice`) before returning; only errors other than unavailability are thrown.
    @discardableResult
    public mutating func poll(timeout: Double, notice: (Notice) -> Void = { _ in },
                              _ body: (AuditRecord) throws -> Void) throws -> Int {
        if store.fileWasReplaced, case .sqlite(let path) = store.location {
            notice(.replaced(path: path))
            try reconnect(notice: notice, announce: false)
            // Ids in another file mean other events: start again from its current end.
            newest = 0
            seen.removeAll()
            try markVisibleAsSeen()
            return 0
        }
        do {
            return try deliverNew(timeout: timeout, body)
        } catch let error as GovernanceError where error.kind == .storeUnavailable {
            notice(.lost(reason: error.message))
            try reconnect(notice: notice, announce: true)
            return 0
        }
    }

    private mutating func deliverNew(timeout: Double, _ body: (AuditRecord) throws -> Void) throws -> Int {
        try store.connection.waitForChange(AuditLog.changeChannel, timeout: timeout)
        var query = filter
        query.limit = nil
        query.afterID = max(0, newest - Self.lookback)
        var fresh: [AuditRecord] = []
        try AuditQuery(db: store.connection).events(query) { record in
            if !seen.contains(record.id) { fresh.append(record) }
        }
        // Ids that did not match the filter are seen too, so the window check stays cheap.
        for record in fresh {
            note(record.id)
            try body(record)
        }
        return fresh.count
    }

    /// Reopens the store until it answers, waiting longer after each failure.
    private mutating func reconnect(notice: (Notice) -> Void, announce: Bool) throws {
        var pause = 0.2
        var lostSaid = announce
        while true {
            do {
                store = try reopen()
                if lostSaid { notice(.regained) }
                return
            } catch let error as GovernanceError where error.kind == .storeUnavailable || error.kind == .configuration && store.file != nil {
                // A SQLite file that is gone for a moment (being replaced) is waited for too.
                if !lostSaid {
                    notice(.lost(reason: error.message))
                    lostSaid = true
                }
                usleep(UInt32(pause * 1_000_000))
                pause = min(pause * 2, Self.maximumBackoffSeconds)
            }
        }
    }

    private mutating func note(_ id: Int64) {
        seen.insert(id)
        newest = max(newest, id)
        if seen.count > Int(Self.lookback) * 2 {
            let floor = newest - Self.lookback
            seen = seen.filter { $0 > floor }
        }
    }
}
