/// The one seam between the modules and the databases (like swift-log's LogHandler): modules write
/// their SQL once, with `?` placeholders, and each driver implements this protocol.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs one statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int

    /// Runs one query and calls `body` for each row as it arrives, in constant memory.
    func forEachRow(_ sql: String, _ parameters: [SQLValue], _ body: (SQLRow) throws -> Void) throws

    /// Runs several statements without parameters (migrations).
    func executeScript(_ sql: String) throws

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock now, so two
    /// writers queue instead of deadlocking), `BEGIN` on PostgreSQL.
    func beginWrite() throws
    func commit() throws
    func rollback()

    /// Starts a read-only snapshot: every query until `endRead` sees the store as it was at the
    /// first read (`BEGIN` on SQLite, whose WAL readers keep their snapshot; `BEGIN ISOLATION
    /// LEVEL REPEATABLE READ READ ONLY` on PostgreSQL).
    func beginRead() throws
    /// Ends the snapshot (nothing was written, so there is nothing to keep).
    func endRead()
    /// True inside a transaction begun on this connection.
    var inTransaction: Bool { get }

    /// Inside a write transaction, serialises appends to these chains across processes and hosts,
    /// locking them in the order given: `pg_advisory_xact_lock` on PostgreSQL; nothing on SQLite,
    /// whose write lock covers it.
    func lockChains(_ keys: [String]) throws

    /// Inside a write transaction: wakes `waitForChange` callers on `channel` when it commits
    /// (`NOTIFY` on PostgreSQL; nothing on SQLite, whose waiters watch the file).
    func notify(_ channel: String) throws

    /// Returns when another connection may have committed a change, or after `timeout` seconds.
    /// PostgreSQL: LISTEN/NOTIFY on `channel`; SQLite: polls `PRAGMA data_version`.
    func waitForChange(_ channel: String, timeout: Double) throws

    /// The most bound parameters one statement may carry.
    var maxParameters: Int { get }

    /// True when the current schema has a table of this name.
    func tableExists(_ name: String) throws -> Bool

    /// Schema SQL written once for both dialects, with the column types that differ spelt as
    /// `{id}` (an auto-assigned 64-bit key) and `{bigint}`, in this driver's own words.
    func schemaSQL(_ sql: String) -> String
}

public enum SQLDialect: String, Sendable {
    case sqlite, postgres
}

public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)

    public static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
}

/// One result row, its columns in select order.
public struct SQLRow: Sendable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public func int(_ i: Int) throws -> Int64 {
        switch values[i] {
        case .int(let v): return v
        case .text(let s):
            if let v = Int64(s) { return v }
            throw GovernanceError.internalError("column \(i) holds \(quoted(s, limit: 64)), not an integer")
        case .null: throw GovernanceError.internalError("column \(i) is NULL, not an integer")
        }
    }

    public func text(_ i: Int) throws -> String {
        switch values[i] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .null: throw GovernanceError.internalError("column \(i) is NULL, not text")
        }
    }

    public func optionalText(_ i: Int) -> String? {
        switch values[i] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .null: return nil
        }
    }

    public func optionalInt(_ i: Int) throws -> Int64? {
        if case .null = values[i] { return nil }
        return try int(i)
    }
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    /// Locks one chain (`lockChains`).
    public func lockChain(_ key: String) throws { try lockChains([key]) }

    /// All rows of a query (for small results; use `forEachRow` for streams).
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql, parameters) { rows.append($0) }
        return rows
    }

    public func queryFirst(_ sql: String, _ parameters: [SQLValue] = []) throws -> SQLRow? {
        try query(sql, parameters).first
    }

    /// Runs `body` on one snapshot of the store. Inside a transaction already open on this
    /// connection, `body` simply runs in it.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        if inTransaction { return try body() }
        try beginRead()
        defer { endRead() }
        return try body()
    }

    /// Runs `body` in a write transaction, committing on success and rolling back on any error.
    public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try beginWrite()
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }
}
