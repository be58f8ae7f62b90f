import Glibc

/// The shared store's driver on libpq. Parameters are always bound (`PQexecParams`), never
/// interpolated; libpq's own URL syntax, `PG*` variables, `sslmode` and service files apply.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgres
    private let pq: LibPQ
    private let connection: OpaquePointer
    private let redactedURL: String
    /// Kept to mask its passwords in libpq's messages, which may echo parts of it.
    private let url: String
    private var translated: [String: String] = [:]

    public init(url: String) throws {
        redactedURL = Configuration.redactPassword(url)
        self.url = url
        let pq = try LibPQ.shared.get()
        self.pq = pq
        guard let handle = pq.connectdb(url) else {
            throw GovernanceError.unavailable("cannot allocate a PostgreSQL connection")
        }
        guard pq.status(handle) == LibPQ.connectionOK else {
            let message = Configuration.redact(Self.trimmed(pq.errorMessage(handle)), url: url)
            pq.finish(handle)
            throw GovernanceError.unavailable("cannot connect to PostgreSQL at \(redactedURL): \(message)")
        }
        connection = handle
        // libpq prints NOTICEs to stderr by default; the core never prints.
        _ = pq.setNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { pq.finish(connection) }

    private static func trimmed(_ message: UnsafeMutablePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        var text = String(cString: message)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text
    }

    /// `?` placeholders become `$1`, `$2`, ...: the modules write SQL once, with `?`.
    private func postgresSQL(_ sql: String) -> String {
        if let done = translated[sql] { return done }
        let out = PostgresPlaceholders.translate(sql)
        translated[sql] = out
        return out
    }

    private func failure(_ result: OpaquePointer?, _ context: String) -> GovernanceError {
        let message = Configuration.redact(Self.trimmed(result.map { pq.resultErrorMessage($0) } ?? pq.errorMessage(connection)), url: url)
        let state = result.flatMap { pq.resultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        if Self.isCorruption(state) {
            return GovernanceError(.integrityFailure, "PostgreSQL at \(redactedURL) reports damaged data (\(context)): \(message)",
                                   hint: "the server found a damaged page or index; restore from a backup before trusting the store",
                                   details: [("sqlstate", .string(state)), ("store_damaged", .bool(true))])
        }
        // Raised by the server's own checks on spend (RolesSchema): bad input, nothing written.
        if state == "22003" || state == "22023", let primary = result.flatMap({ pq.resultErrorField($0, Int32(UInt8(ascii: "M"))) }) {
            return GovernanceError.invalid(String(cString: primary))
        }
        if state == "42501" {
            return GovernanceError(.storeUnavailable, "PostgreSQL at \(redactedURL) refused this to the connected role (\(context)): \(message)",
                                   hint: "the login's role lacks the privilege: operator actions need the operator role, see `governance db roles --help`",
                                   details: [("sqlstate", .string(state))])
        }
        if pq.status(connection) != LibPQ.connectionOK || Self.isOperational(state) {
            return GovernanceError(.storeUnavailable, "PostgreSQL at \(redactedURL) is unavailable (\(context)): \(message)",
                                   details: state.isEmpty ? [] : [("sqlstate", .string(state))])
        }
        return GovernanceError(.internalError, "PostgreSQL \(context): \(message)",
                               details: state.isEmpty ? [] : [("sqlstate", .string(state))])
    }

    /// XX001 data_corrupted, XX002 index_corrupted: like SQLite's CORRUPT, an integrity failure
    /// (exit 20), never an outage that --fail-open would wave through.
    static func isCorruption(_ state: String) -> Bool { state == "XX001" || state == "XX002" }

    /// SQLSTATEs that say the server cannot take the work now, not that the SQL is wrong: the
    /// recorder spools on these (or exits 4 under --require-durable); exit 1 is for bugs.
    static func isOperational(_ state: String) -> Bool {
        let operationalClasses = [
            "08",  // connection exception
            "53",  // insufficient resources (disk full, out of memory, too many connections)
            "54",  // program limit exceeded
            "55",  // object not in prerequisite state (lock not available, 55P03)
            "57",  // operator intervention: query canceled (statement timeout, 57014), shutdown (57P)
            "58",  // system error (I/O error)
            "40",  // transaction rollback: serialization failure (40001), deadlock (40P01)
            "HV", "XX",  // foreign data wrapper and internal server errors
        ]
        if operationalClasses.contains(where: state.hasPrefix) { return true }
        switch state {
        case "25006",  // read-only SQL transaction (a standby, default_transaction_read_only)
             "25P03",  // idle in transaction session timeout
             "25P04",  // transaction timeout
             "42501":  // insufficient privilege: the role may not write here
            return true
        default:
            return false
        }
    }

    /// PostgreSQL text cannot hold a NUL, and libpq's text parameters are C strings that would end
    /// at one: a value holding NUL is refused (exit 2), never stored cut.
    private static func checkNoNUL(_ parameters: [SQLValue]) throws {
        for case .text(let s) in parameters {
            var s = s
            if s.withUTF8({ $0.contains(0) }) {
                throw GovernanceError.invalid("a text value holds a NUL character, which PostgreSQL cannot store")
            }
        }
    }

    /// Calls libpq with the parameters as C strings (text format); NULL stays NULL.
    private func withParameters<T>(_ parameters: [SQLValue], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> T) -> T {
        let strings: [String?] = parameters.map {
            switch $0 {
            case .null: nil
            case .int(let v): String(v)
            case .text(let s): s
            }
        }
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
                body(buffer.isEmpty ? nil : UnsafePointer($0), Int32(parameters.count))
            }
        }
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = []) throws -> Int {
        let text = postgresSQL(sql)
        try Self.checkNoNUL(parameters)
        let result = withParameters(parameters) { values, count in
            pq.execParams(connection, text, count, nil, values, nil, nil, 0)
        }
        defer { pq.clear(result) }
        let status = pq.resultStatus(result)
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else { throw failure(result, "execute") }
        return pq.cmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    public func forEachRow(_ sql: String, _ parameters: [SQLValue] = [], _ body: (SQLRow) throws -> Void) throws {
        let text = postgresSQL(sql)
        try Self.checkNoNUL(parameters)
        let sent = withParameters(parameters) { values, count in
            pq.sendQueryParams(connection, text, count, nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw failure(nil, "query") }
        // Single-row mode streams the result instead of buffering it whole in the client.
        _ = pq.setSingleRowMode(connection)
        var firstError: GovernanceError?
        while let result = pq.getResult(connection) {
            defer { pq.clear(result) }
            let status = pq.resultStatus(result)
            if status == LibPQ.singleTuple, firstError == nil {
                let columns = pq.nfields(result)
                var values: [SQLValue] = []
                values.reserveCapacity(Int(columns))
                for c in 0..<columns {
                    if pq.getisnull(result, 0, c) == 1 {
                        values.append(.null)
                    } else {
                        let length = Int(pq.getlength(result, 0, c))
                        let pointer = UnsafeRawPointer(pq.getvalue(result, 0, c)!).assumingMemoryBound(to: UInt8.self)
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)))
                    }
                }
                do { try body(SQLRow(values)) } catch {
                    // Drain the rest of the result so the connection stays usable.
                    firstError = (error as? GovernanceError) ?? .internalError("\(error)")
                    _ = pq.requestCancel(connection)
                }
            } else if status != LibPQ.tuplesOK && status != LibPQ.singleTuple && status != LibPQ.commandOK, firstError == nil {
                firstError = failure(result, "query")
            }
        }
        if let firstError { throw firstError }
    }

    public func executeScript(_ sql: String) throws {
        let result = pq.exec(connection, sql)
        defer { pq.clear(result) }
        let status = pq.resultStatus(result)
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else { throw failure(result, "script") }
    }

    public private(set) var inTransaction = false

    public func beginWrite() throws {
        try executeScript("BEGIN")
        inTransaction = true
    }
    public func commit() throws {
        inTransaction = false
        try executeScript("COMMIT")
    }
    public func rollback() {
        inTransaction = false
        _ = try? executeScript("ROLLBACK")
    }
    public func beginRead() throws {
        try executeScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        inTransaction = true
    }
    public func endRead() { rollback() }

    /// One statement a lock, so that they are taken in the order given: PostgreSQL does not
    /// promise to evaluate a SELECT list from left to right, and two writers that took the same
    /// locks in different orders would deadlock.
    public func lockChains(_ keys: [String]) throws {
        for key in keys { try execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [.text(key)]) }
    }

    public func notify(_ channel: String) throws {
        try execute("SELECT pg_notify(?, '')", [.text(channel)])
    }

    public func tableExists(_ name: String) throws -> Bool {
        try queryFirst("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?", [.text(name)]) != nil
    }

    public func schemaSQL(_ sql: String) -> String {
        sql.replacing("{id}", with: "BIGSERIAL PRIMARY KEY").replacing("{bigint}", with: "BIGINT")
    }

    /// The extended protocol counts parameters in a 16-bit field.
    public var maxParameters: Int { 65_535 }

    private var listening: Set<String> = []

    public func waitForChange(_ channel: String, timeout: Double) throws {
        if !listening.contains(channel) {
            // Identifiers cannot be bound; channel names are fixed strings of the core.
            precondition(channel.allSatisfy { $0.isLetter || $0 == "_" }, "channel names are plain identifiers")
            try executeScript("LISTEN \(channel)")
            listening.insert(channel)
        }
        if drainNotifications() { return }
        var descriptor = pollfd(fd: pq.socket(connection), events: Int16(POLLIN), revents: 0)
        let rc = poll(&descriptor, 1, Int32(timeout * 1000))
        if rc < 0 && errno != EINTR {
            throw GovernanceError.unavailable("waiting for PostgreSQL notifications failed: \(errnoMessage())")
        }
        guard pq.consumeInput(connection) == 1 else { throw failure(nil, "listen") }
        _ = drainNotifications()
    }

    /// Consumes pending notifications; true when there was at least one.
    private func drainNotifications() -> Bool {
        _ = pq.consumeInput(connection)
        var any = false
        while let notification = pq.notifies(connection) {
            any = true
            pq.freemem(notification)
        }
        return any
    }
}
