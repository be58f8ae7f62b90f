/// Follows the audit trail as it grows (the CLI's form of the reference SDK's `subscribe`).
///
/// Row ids are assigned when a row is inserted but become visible when its transaction commits,
/// so on PostgreSQL a smaller id can appear after a larger one. Each poll therefore looks back a
/// window of ids behind the newest one seen and skips the ids it has already delivered.
public struct AuditTail {
    public let db: SQLConnection
    public var filter: AuditFilter
    /// How far behind the newest delivered id to look for late commits.
    public static let lookback: Int64 = 20_000

    private var newest: Int64 = 0
    private var delivered = Set<Int64>()

    public init(db: SQLConnection, filter: AuditFilter) {
        self.db = db
        self.filter = filter
    }

    /// The newest `count` matching events (the backlog shown before following).
    public mutating func backlog(_ count: Int, _ body: (AuditRecord) throws -> Void) throws {
        var query = filter
        query.limit = count
        if count > 0 {
            try AuditQuery(db: db).events(query) { record in
                note(record)
                try body(record)
            }
        }
        // Even with no backlog, follow only what comes after now.
        if let row = try db.queryFirst("SELECT COALESCE(MAX(id), 0) FROM governance_audit_events") {
            newest = max(newest, try row.int(0))
        }
    }

    /// Waits up to `timeout` seconds for changes and delivers new matching events in id order;
    /// returns how many were delivered.
    @discardableResult
    public mutating func poll(timeout: Double, _ body: (AuditRecord) throws -> Void) throws -> Int {
        try db.waitForChange(AuditLog.changeChannel, timeout: timeout)
        var query = filter
        query.limit = nil
        query.afterID = max(0, newest - Self.lookback)
        var fresh: [AuditRecord] = []
        try AuditQuery(db: db).events(query) { record in
            if !delivered.contains(record.id) { fresh.append(record) }
        }
        for record in fresh {
            note(record)
            try body(record)
        }
        return fresh.count
    }

    private mutating func note(_ record: AuditRecord) {
        delivered.insert(record.id)
        newest = max(newest, record.id)
        if delivered.count > Int(Self.lookback) * 2 {
            let floor = newest - Self.lookback
            delivered = delivered.filter { $0 > floor }
        }
    }
}
