/// One session's chain walked in seq order and verified as it goes (`audit trace`): the same
/// check the verifier applies, with every record handed to the caller.
public struct ChainTrace {
    public struct Result: Sendable {
        public var sessionID: String
        public var events = 0
        public var failure: ChainFailure?
        public var verified: Bool { failure == nil }
        /// The failure `audit trace` exits 20 with; nil when the chain verified.
        public var integrityError: GovernanceError? {
            failure.map { failure in
                GovernanceError(.integrityFailure, "audit chain integrity failure: session \(sessionID) seq \(failure.seq): \(failure.reason.rawValue)",
                                hint: "see docs/CHAIN.md for what each reason means",
                                details: [("session_id", .string(sessionID)), ("seq", .int64(failure.seq)), ("reason", .string(failure.reason.rawValue))])
            }
        }
    }

    public let db: SQLConnection
    public let key: HMACKey

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.key = HMACKey(key: keys.chainKey)
    }

    /// Calls `body` with each record and the chain's first failure so far (nil while it holds).
    /// A session with no events and no head is invalid input: there is nothing to trace.
    public func walk(_ session: SessionID, _ body: (AuditRecord, ChainFailure?) throws -> Void) throws -> Result {
        let query = AuditQuery(db: db)
        var check = ChainCheck(sessionID: session.value, key: key)
        var result = Result(sessionID: session.value)
        // The head and the rows from one snapshot, so appends meanwhile raise no false alarm.
        let head = try db.readTransaction { () throws -> (seq: Int64, hmac: String)? in
            let head = try query.head(session)
            try query.chain(session) { record in
                check.check(record)
                result.events += 1
                try body(record, check.failure)
            }
            return head
        }
        if result.events == 0 && head == nil {
            throw GovernanceError.invalid("session \(session.value) has no events",
                                          hint: "list the sessions with `governance audit sessions`")
        }
        check.finish(head: head)
        result.failure = check.failure
        return result
    }
}
