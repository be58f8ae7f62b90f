import Glibc

extension Governance {
    /// `audit log | verify | trace | events | tail`.
    public struct Audit: Sendable {
        let governance: Governance

        /// `audit log`: appends events, in order, as the next links of their chains. An
        /// observation: when the store is unreachable they are spooled (with a warning), and when
        /// the spool fails too, placeholder records come back; `requireDurable` throws exit 4
        /// instead. Reserved kinds (those a governance command owns) are refused, exit 2.
        public func log(_ events: [AuditEventInput], requireDurable: Bool = false) throws -> Recorded {
            let pending = try events.map { event -> PendingEvent in
                try EventKind.checkLoggable(event.kind)
                return try PendingEvent(validating: event)
            }
            return try governance.recording(pending, requireDurable: requireDurable)
        }

        public func log(_ event: AuditEventInput, requireDurable: Bool = false) throws -> Recorded {
            try log([event], requireDurable: requireDurable)
        }

        /// `audit verify`: every chain in `scope`, streamed. Throws what the command exits with:
        /// 20 naming the first broken chain (or, under `requireEvents`, an empty store), 2 for a
        /// named session without events.
        public func verify(_ scope: VerificationScope = VerificationScope(), requireEvents: Bool = false) throws -> VerificationReport {
            let report = try governance.reading { try ChainVerifier(db: $0, keys: governance.keys).verify(scope) }
            if let refusal = report.emptinessError(scope, requireEvents: requireEvents) { throw refusal }
            if let failure = report.integrityError { throw failure }
            return report
        }

        /// `audit trace`: one session's events in seq order, verified as they are read; a broken
        /// chain throws exit 20 (`audit.events(_:verify:)` lists the events of a broken chain).
        public func trace(_ session: SessionID) throws -> [AuditRecord] {
            var records: [AuditRecord] = []
            let result = try governance.reading { db in
                try ChainTrace(db: db, keys: governance.keys).walk(session) { record, _ in records.append(record) }
            }
            if let failure = result.integrityError { throw failure }
            return records
        }

        /// `audit events`: matching events, oldest first. `verify` checks each event and its
        /// chain up to it (`get_events` with verify-on-read; at most `AuditQuery.maxVerified`
        /// events) and throws exit 20 when any fails.
        public func events(_ filter: AuditFilter, verify: Bool = false) throws -> [AuditRecord] {
            guard verify else {
                var records: [AuditRecord] = []
                try governance.reading { db in try AuditQuery(db: db).events(filter) { records.append($0) } }
                return records
            }
            let listed = try governance.reading { try AuditQuery(db: $0).verifiedEvents(filter, keys: governance.keys) }
            if listed.contains(where: { !$0.verified }) { throw AuditQuery.verificationFailed }
            return listed.map(\.record)
        }

        /// What `subscribe` delivers: an event, or what happened to the store (lost, back,
        /// replaced), which `audit tail -f` says on stderr.
        public enum Delivery: Sendable {
            case event(AuditRecord)
            case notice(String)
        }

        /// `audit tail [-n backlog] -f`: the newest `backlog` matching events, then each new one
        /// as it is committed by any process or host, until the stream is dropped or cancelled.
        /// Runs on a thread and a (read) connection of its own; reconnects as the command does.
        public func subscribe(_ filter: AuditFilter = AuditFilter(), backlog: Int = 0) -> AsyncThrowingStream<Delivery, any Error> {
            let configuration = governance.configuration
            let (stream, continuation) = AsyncThrowingStream<Delivery, any Error>.makeStream()
            let stop = StopFlag()
            continuation.onTermination = { _ in stop.set() }
            let started = spawnThread {
                do {
                    let store = try Store.open(configuration, access: .read)
                    var tail = AuditTail(store: store, filter: filter) { try Store.open(configuration, access: .read) }
                    try tail.backlog(backlog) { continuation.yield(.event($0)) }
                    while !stop.isSet {
                        // A short wait, so that a cancelled subscription ends within a quarter second.
                        try tail.poll(timeout: 0.25, notice: { continuation.yield(.notice($0.message)) }) { continuation.yield(.event($0)) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            if !started { continuation.finish(throwing: GovernanceError.internalError("no thread could be started for the subscription")) }
            return stream
        }

        /// The reference SDK's `track` decorator: runs `body` and audits its end as one event of
        /// `kind` with `outcome` (`ok` or `error`), `duration_us` and, on failure, `error`. The
        /// body's error is rethrown; the event is an observation (spooled when the store is away).
        public func tracked<T: Sendable>(agentID: String, sessionID: SessionID, kind: String, metadata: [(String, JSONValue)] = [],
                                         _ body: () async throws -> T) async throws -> (value: T, recorded: Recorded) {
            let started = Timestamp.now()
            func event(_ outcome: [(String, JSONValue)]) -> AuditEventInput {
                let duration = Timestamp.now().microseconds - started.microseconds
                return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: kind,
                                       metadata: .object(metadata + outcome + [("duration_us", .int64(duration))]))
            }
            do {
                let value = try await body()
                return (value, try log(event([("outcome", .string("ok"))])))
            } catch {
                let message = (error as? GovernanceError)?.message ?? "\(error)"
                _ = try? log(event([("outcome", .string("error")), ("error", .string(message))]))
                throw error
            }
        }
    }
}

/// Set once, read from another thread.
final class StopFlag: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value = false

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func set() {
        pthread_mutex_lock(&mutex)
        value = true
        pthread_mutex_unlock(&mutex)
    }

    var isSet: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return value
    }
}
