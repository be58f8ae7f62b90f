import CSQLite
import Glibc

/// The embedded store's driver: WAL, a busy timeout, `BEGIN IMMEDIATE` for writes, prepared
/// statements cached per SQL text.
public final class SQLiteConnection: SQLConnection {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// How long a writer waits for another process's write lock before giving up.
    public static let busyTimeoutMilliseconds: Int32 = 30_000

    /// How the file is opened.
    public enum OpenMode: Sendable {
        /// Creates the file when it is missing, owner-only (0600 whatever the umask; SQLite gives
        /// the -wal and -shm files the database file's mode), and switches it to WAL.
        case create
        /// An existing file, read and written as it is: nothing is created or converted.
        case readWrite
    }

    public init(path: String, mode: OpenMode = .create) throws {
        self.path = path
        if mode == .create {
            // SQLite would create the file 0644 less the umask; the store is only its owner's.
            _ = try FileSystem.createEmptyFile(path, mode: 0o600)
        }
        let flags = mode == .create ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READWRITE
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        db = handle
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let damaged = rc & 0xFF == SQLITE_NOTADB || rc & 0xFF == SQLITE_CORRUPT ? error(rc, "open") : nil
            sqlite3_close(handle)
            db = nil
            if let damaged { throw damaged }
            throw GovernanceError.unavailable("cannot open the SQLite store \(path): \(message)",
                                              hint: "check that the directory exists and is writable")
        }
        sqlite3_busy_timeout(db, Self.busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        // A committed transaction is durable in the WAL (synchronous=FULL). Checkpointing it into
        // the database file at every close was two more fsyncs per command; the commit that takes
        // the WAL past wal_autocheckpoint (1,000 pages) checkpoints instead. The -wal and -shm
        // files are then part of the store between commands (docs/DECISIONS.md, backups).
        _ = governance_sqlite_no_checkpoint_on_close(db)
        // WAL lets readers run beside a writer; FULL syncs each commit so an acknowledged audit
        // event survives a power cut, not only a crash. A reader converts nothing.
        if mode == .create { try switchToWAL() }
        try executeScript("PRAGMA synchronous=FULL;")
    }

    /// Switching a new file to WAL needs a moment of exclusive access, and SQLite reports a busy
    /// database here without consulting the busy handler; several processes opening a new store
    /// at once must wait their turn instead of failing.
    private func switchToWAL() throws {
        let deadline = Timestamp.now().microseconds + Int64(Self.busyTimeoutMilliseconds) * 1000
        var pause: UInt32 = 1_000
        while true {
            let rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nil, nil, nil)
            if rc == SQLITE_OK { return }
            guard rc & 0xFF == SQLITE_BUSY || rc & 0xFF == SQLITE_LOCKED, Timestamp.now().microseconds < deadline else {
                throw error(rc, "journal_mode=WAL")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    private func error(_ rc: Int32, _ context: String) -> GovernanceError {
        let message = String(cString: sqlite3_errmsg(db))
        switch rc & 0xFF {
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            // A damaged store is evidence, not an outage: --fail-open must not run an agent past it.
            return GovernanceError(.integrityFailure, "the SQLite store \(path) is damaged (\(context)): \(message)",
                                   hint: "keep the file for inspection; restore the store from a backup (`governance audit export` from a copy that verifies)",
                                   details: [("store_damaged", .bool(true))])
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL,
             SQLITE_PERM, SQLITE_PROTOCOL, SQLITE_NOLFS, SQLITE_AUTH:
            return .unavailable("the SQLite store \(path) cannot be used (\(context)): \(message)")
        default:
            return .internalError("SQLite \(context): \(message)")
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, "prepare") }
        statements[sql] = statement
        return statement
    }

    // SQLite copies bound text at once with SQLITE_TRANSIENT.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ statement: OpaquePointer, _ parameters: [SQLValue]) throws {
        for (i, value) in parameters.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .int(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .text(let s):
                // With its byte count: a NUL inside the text is kept, not taken for its end.
                var text = s
                rc = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        chars.isEmpty ? sqlite3_bind_text(statement, index, "", 0, Self.transient)
                            : sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count), Self.transient)
                    }
                }
            }
            guard rc == SQLITE_OK else { throw error(rc, "bind") }
        }
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = []) throws -> Int {
        let statement = try prepared(sql)
        defer { sqlite3_reset(statement) }
        try bind(statement, parameters)
        var rc = sqlite3_step(statement)
        while rc == SQLITE_ROW { rc = sqlite3_step(statement) }
        guard rc == SQLITE_DONE else { throw error(rc, "execute") }
        return Int(sqlite3_changes(db))
    }

    public func forEachRow(_ sql: String, _ parameters: [SQLValue] = [], _ body: (SQLRow) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { sqlite3_reset(statement) }
        try bind(statement, parameters)
        let columns = sqlite3_column_count(statement)
        var values = [SQLValue](repeating: .null, count: Int(columns))
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc, "query") }
            for c in 0..<columns {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_NULL: values[Int(c)] = .null
                case SQLITE_INTEGER: values[Int(c)] = .int(sqlite3_column_int64(statement, c))
                default:
                    let count = Int(sqlite3_column_bytes(statement, c))
                    if let pointer = sqlite3_column_text(statement, c) {
                        values[Int(c)] = .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
                    } else {
                        values[Int(c)] = .text("")
                    }
                }
            }
            try body(SQLRow(values))
        }
    }

    public func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(message)
            let failure = error(rc, "script")
            throw GovernanceError(failure.kind, "SQLite: \(text)", hint: failure.recoveryHint)
        }
    }

    public func beginWrite() throws { try execute("BEGIN IMMEDIATE") }
    public func commit() throws { try execute("COMMIT") }
    public func rollback() { _ = try? execute("ROLLBACK") }
    /// A deferred BEGIN takes its WAL snapshot at the first read and holds it to the end.
    public func beginRead() throws { try execute("BEGIN") }
    public func endRead() { _ = try? execute("ROLLBACK") }
    public var inTransaction: Bool { sqlite3_get_autocommit(db) == 0 }
    public func lockChains(_ keys: [String]) throws {}
    public func notify(_ channel: String) throws {}

    public func tableExists(_ name: String) throws -> Bool {
        try queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(name)]) != nil
    }

    /// SQLite's rowid is its cheapest key.
    public func schemaSQL(_ sql: String) -> String {
        sql.replacing("{id}", with: "INTEGER PRIMARY KEY").replacing("{bigint}", with: "INTEGER")
    }

    /// SQLITE_MAX_VARIABLE_NUMBER is 32766 since SQLite 3.32.
    public var maxParameters: Int { 32_766 }

    private var lastDataVersion: Int64?

    public func waitForChange(_ channel: String, timeout: Double) throws {
        func dataVersion() throws -> Int64 { try queryFirst("PRAGMA data_version")?.int(0) ?? 0 }
        let deadline = Timestamp.now().microseconds + Int64(timeout * 1_000_000)
        let start = try lastDataVersion ?? dataVersion()
        while Timestamp.now().microseconds < deadline {
            usleep(50_000)
            let now = try dataVersion()
            if now != start {
                lastDataVersion = now
                return
            }
        }
        lastDataVersion = start
    }
}
