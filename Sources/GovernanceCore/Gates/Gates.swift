import Glibc

/// One approval request as stored.
public struct GateRequest: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, granted, denied
        /// Shown for a pending request past its expiry; never stored.
        case expired
    }

    public var requestID: String
    public var kind: String
    public var agentID: String
    public var sessionID: String?
    public var payloadJSON: String
    public var actionHash: String
    public var tokenHash: String
    public var agentOperator: String?
    public var createdAt: Timestamp
    public var expiresAt: Timestamp
    public var status: Status
    public var decidedBy: String?
    public var decidedOSUser: String?
    public var decidedHost: String?
    public var decidedAt: Timestamp?
    public var reason: String?

    /// The status a reader should see at `time`: a pending request past its expiry is expired.
    public func effectiveStatus(at time: Timestamp = .now()) -> Status {
        status == .pending && time > expiresAt ? .expired : status
    }

    public func json(at time: Timestamp = .now()) -> JSONValue {
        .object([
            ("request_id", .string(requestID)), ("kind", .string(kind)), ("agent_id", .string(agentID)),
            ("session_id", .optional(sessionID)), ("payload", (try? JSONParser.parse(payloadJSON)) ?? .string(payloadJSON)),
            ("action_hash", .string(actionHash)), ("status", .string(effectiveStatus(at: time).rawValue)),
            ("created_at", .string(createdAt.iso8601)), ("expires_at", .string(expiresAt.iso8601)),
            ("agent_operator", .optional(agentOperator)), ("decided_by", .optional(decidedBy)),
            ("decided_os_user", .optional(decidedOSUser)), ("decided_host", .optional(decidedHost)),
            ("decided_at", decidedAt.map { .string($0.iso8601) } ?? .null), ("reason", .optional(reason)),
        ])
    }
}

/// Approval gates: a request gets a signed token bound to its id, its expiry and its action;
/// an operator grants or denies with the token, once, before the expiry, for that action only.
public enum Gates {
    public static let channel = "governance_gates"
    public static let defaultTTL: Int64 = 3600
    /// A week: long enough for a weekend, short enough that a leaked token does not live forever.
    public static let maxTTL: Int64 = 7 * 86_400
    /// Where rejections of tokens that name no stored request are audited.
    public static let unknownRequestAgent = "governance.gates"

    static let columns = "request_id, kind, agent_id, session_id, payload, action_hash, token_hash, agent_operator, created_at_us, expires_at_us, status, decided_by, decided_os_user, decided_host, decided_at_us, reason"

    static func request(from row: SQLRow) throws -> GateRequest {
        GateRequest(requestID: try row.text(0), kind: try row.text(1), agentID: try row.text(2), sessionID: row.optionalText(3),
                    payloadJSON: try row.text(4), actionHash: try row.text(5), tokenHash: try row.text(6),
                    agentOperator: row.optionalText(7), createdAt: Timestamp(microseconds: try row.int(8)),
                    expiresAt: Timestamp(microseconds: try row.int(9)),
                    status: GateRequest.Status(rawValue: try row.text(10)) ?? .denied, decidedBy: row.optionalText(11),
                    decidedOSUser: row.optionalText(12), decidedHost: row.optionalText(13),
                    decidedAt: try row.optionalInt(14).map(Timestamp.init(microseconds:)), reason: row.optionalText(15))
    }

    /// SHA-256 (hex) of the RFC 8785 form of `{"agent", "kind", "payload"}`.
    public static func actionHash(kind: String, agentID: String, payload: JSONValue) -> String {
        Digest.sha256Hex(JSONWriter.canonical(.object([("agent", .string(agentID)), ("kind", .string(kind)), ("payload", payload)])))
    }

    public struct Issued: Sendable {
        public var request: GateRequest
        public var token: String
    }

    /// Stores a pending request and returns it with its token (which is not stored).
    public static func request(_ db: SQLConnection, keys: PurposeKeys, kind: String, agentID: String, sessionID: SessionID?,
                               payload: JSONValue = .object([]), ttl: Int64 = defaultTTL, at time: Timestamp = .now()) throws -> Issued {
        try Identifier.check(kind, field: "kind")
        try Identifier.check(agentID, field: "agent")
        guard case .object = payload else { throw GovernanceError.invalid("payload must be a JSON object") }
        guard (1...maxTTL).contains(ttl) else { throw GovernanceError.invalid("ttl must be 1 to \(maxTTL) seconds (got \(ttl))") }
        let payloadText = JSONWriter.canonical(payload)
        guard payloadText.utf8.count <= AuditEventInput.maxMetadataBytes else {
            throw GovernanceError.invalid("payload is \(payloadText.utf8.count) bytes encoded; the limit is \(AuditEventInput.maxMetadataBytes) (64 KiB)")
        }
        let id = try SessionID.random().value
        let expires = Timestamp(microseconds: time.microseconds + ttl * 1_000_000)
        let hash = actionHash(kind: kind, agentID: agentID, payload: payload)
        let token = GateToken.sign(requestID: id, expiresAt: expires, actionHash: hash, keys: keys)
        return try db.writeTransaction {
            let bound = try Presence.boundOperator(db, agentID: agentID)
            let request = GateRequest(requestID: id, kind: kind, agentID: agentID, sessionID: sessionID?.value, payloadJSON: payloadText,
                                      actionHash: hash, tokenHash: GateToken.storedHash(token.text), agentOperator: bound,
                                      createdAt: time, expiresAt: expires, status: .pending)
            try db.execute("INSERT INTO governance_gate_requests (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL)",
                           [.text(id), .text(kind), .text(agentID), .optional(sessionID?.value), .text(payloadText), .text(hash),
                            .text(request.tokenHash), .optional(bound), .int(time.microseconds), .int(expires.microseconds),
                            .text(GateRequest.Status.pending.rawValue)])
            try audit(db, keys: keys, request: request, kind: EventKind.gateRequested, time: time,
                      fields: [("request_id", .string(id)), ("gate_kind", .string(kind)), ("action_hash", .string(hash)),
                               ("expires_at", .string(expires.iso8601))])
            try db.notify(channel)
            return Issued(request: request, token: token.text)
        }
    }

    public static func find(_ db: SQLConnection, requestID: String) throws -> GateRequest? {
        try db.queryFirst("SELECT \(columns) FROM governance_gate_requests WHERE request_id = ?", [.text(requestID)]).map(request(from:))
    }

    /// Newest first, at most `limit`.
    public static func list(_ db: SQLConnection, pendingOnly: Bool, limit: Int, at time: Timestamp = .now()) throws -> [GateRequest] {
        let filter = pendingOnly ? "WHERE status = 'pending' AND expires_at_us >= ?" : ""
        let parameters: [SQLValue] = (pendingOnly ? [.int(time.microseconds)] : []) + [.int(Int64(limit))]
        return try db.query("SELECT \(columns) FROM governance_gate_requests \(filter) ORDER BY created_at_us DESC, request_id LIMIT ?",
                            parameters).map(request(from:))
    }

    public enum Decision: String, Sendable {
        case grant, deny
        var status: GateRequest.Status { self == .grant ? .granted : .denied }
    }

    /// Why a token was refused (the audit event's `reason`).
    public enum Rejection: String, Sendable {
        case malformed, forged, unknownRequest = "unknown_request", mismatched, expired, tampered, replayed
    }

    /// Grants or denies the request the token is for. Every refusal is audited and leaves the
    /// request unchanged: a malformed, forged, unknown, mismatched (`expectedRequestID` differs, or
    /// the token is not the one issued), expired or tampered (stored action edited since) token,
    /// or one already used, exits 19; a grant by the operator bound to the agent exits 22.
    /// The change itself is a conditional UPDATE on `status = 'pending'`, so of two concurrent
    /// decisions exactly one wins.
    @discardableResult
    public static func decide(_ db: SQLConnection, keys: PurposeKeys, token text: String, decision: Decision,
                              by identity: OperatorIdentity, reason: String? = nil, expectedRequestID: String? = nil,
                              at time: Timestamp = .now()) throws -> GateRequest {
        if let reason { try OperatorKill.checkReason(reason) }
        let failure: GovernanceError? = try db.writeTransaction {
            let token = GateToken.parse(text)
            let stored = try token.flatMap { try find(db, requestID: $0.requestID) }
            func refuse(_ why: Rejection, _ message: String) throws -> GovernanceError {
                try auditRefusal(db, keys: keys, request: stored, kind: EventKind.gateTokenRejected, reason: why.rawValue, token: text,
                                 decision: decision, identity: identity, time: time)
                return GovernanceError(.approvalTokenRejected, "approval token rejected (\(why.rawValue)): \(message)",
                                       hint: "ask for a new request (`governance gates request`) if the action is still wanted",
                                       details: [("reason", .string(why.rawValue)), ("request_id", .optional(stored?.requestID))])
            }
            guard let token else { return try refuse(.malformed, "not a gt1 token") }
            guard token.isAuthentic(keys: keys) else { return try refuse(.forged, "its signature does not match") }
            guard let request = stored else { return try refuse(.unknownRequest, "no request \(token.requestID) in this store") }
            if let expectedRequestID, expectedRequestID.lowercased() != token.requestID {
                return try refuse(.mismatched, "the token is for request \(token.requestID), not \(quoted(expectedRequestID))")
            }
            guard GateToken.storedHash(text) == request.tokenHash, token.expiresAt == request.expiresAt else {
                return try refuse(.mismatched, "it is not the token issued for request \(request.requestID)")
            }
            let recomputed = actionHash(kind: request.kind, agentID: request.agentID,
                                        payload: (try? JSONParser.parse(request.payloadJSON)) ?? .string(request.payloadJSON))
            guard recomputed == token.actionHash else {
                return try refuse(.tampered, "the stored action of request \(request.requestID) is not the action the token was issued for")
            }
            guard request.status == .pending else {
                return try refuse(.replayed, "request \(request.requestID) was already \(request.status.rawValue)")
            }
            guard time <= token.expiresAt else {
                return try refuse(.expired, "request \(request.requestID) expired at \(token.expiresAt.iso8601)")
            }
            if decision == .grant {
                let current = try Presence.boundOperator(db, agentID: request.agentID)
                let bound = [request.agentOperator, current].compactMap { $0 }
                if bound.contains(identity.name) || bound.contains(identity.osUser) {
                    try auditRefusal(db, keys: keys, request: request, kind: EventKind.gateSelfApprovalRefused, reason: "self_approval",
                                     token: text, decision: decision, identity: identity, time: time)
                    return GovernanceError(.operatorNotPermitted,
                                           "operator \(quoted(identity.name)) (user \(quoted(identity.osUser))) is bound to agent \(quoted(request.agentID)) and cannot grant its requests",
                                           hint: "another operator must grant request \(request.requestID)",
                                           details: [("request_id", .string(request.requestID))])
                }
            }
            let changed = try db.execute("""
                UPDATE governance_gate_requests SET status = ?, decided_by = ?, decided_os_user = ?, decided_host = ?, decided_at_us = ?, reason = ?
                WHERE request_id = ? AND status = 'pending' AND token_hash = ? AND expires_at_us >= ?
                """, [.text(decision.status.rawValue), .text(identity.name), .text(identity.osUser), .text(identity.host),
                      .int(time.microseconds), .optional(reason), .text(request.requestID), .text(request.tokenHash),
                      .int(time.microseconds)])
            guard changed == 1 else { return try refuse(.replayed, "request \(request.requestID) was decided by someone else first") }
            var fields: [(String, JSONValue)] = [("request_id", .string(request.requestID)), ("gate_kind", .string(request.kind))]
            fields += identity.auditFields
            if let reason { fields.append(("reason", .string(reason))) }
            try audit(db, keys: keys, request: request, kind: decision == .grant ? EventKind.gateGranted : EventKind.gateDenied, time: time, fields: fields)
            try db.notify(channel)
            return nil
        }
        if let failure { throw failure }
        guard let token = GateToken.parse(text), let request = try find(db, requestID: token.requestID) else {
            throw GovernanceError.internalError("the decided request vanished")
        }
        return request
    }

    public enum WaitOutcome: Sendable, Equatable {
        case granted(GateRequest), denied(GateRequest), pending(GateRequest), expired(GateRequest), timedOut(GateRequest)
    }

    /// Waits for a decision: woken by the store's change notification (LISTEN/NOTIFY on
    /// PostgreSQL, `data_version` on SQLite), re-reading at least every 0.5-1 s (jittered) in
    /// case a notification is lost. `timeout` nil waits until the request expires; `noWait`
    /// answers at once. `recheck` runs before every read: the enforcement path can pass its
    /// kill-marker check so that a kill ends a long wait (exit 15) within a second.
    public static func wait(_ db: SQLConnection, requestID: String, timeout: Double?, noWait: Bool = false,
                            recheck: (() throws -> Void)? = nil) throws -> WaitOutcome {
        guard SessionID(requestID) != nil else { throw GovernanceError.invalid("invalid request id \(quoted(requestID)): expected a UUID") }
        let started = Timestamp.now()
        // Listen before the first read, so a decision between the read and the wait still wakes us.
        if !noWait { try db.waitForChange(channel, timeout: 0) }
        while true {
            try recheck?()
            guard let request = try find(db, requestID: requestID.lowercased()) else {
                throw GovernanceError.invalid("no approval request \(quoted(requestID))", hint: "`governance gates list` shows the requests")
            }
            let now = Timestamp.now()
            switch request.effectiveStatus(at: now) {
            case .granted: return .granted(request)
            case .denied: return .denied(request)
            case .expired: return .expired(request)
            case .pending:
                if noWait { return .pending(request) }
                let waited = Double(now.microseconds - started.microseconds) / 1e6
                let untilExpiry = Double(request.expiresAt.microseconds - now.microseconds) / 1e6
                let remaining = min(timeout.map { $0 - waited } ?? untilExpiry, untilExpiry + 0.001)
                if let timeout, waited >= timeout { return .timedOut(request) }
                let slice = min(max(remaining, 0.001), 0.5 + Double(try SecureRandom.bytes(1)[0]) / 510)
                try db.waitForChange(channel, timeout: slice)
            }
        }
    }

    // MARK: audit

    static func audit(_ db: SQLConnection, keys: PurposeKeys, request: GateRequest, kind: String, time: Timestamp,
                      fields: [(String, JSONValue)]) throws {
        let session = request.sessionID.flatMap(SessionID.init) ?? AgentChain.sessionID(for: request.agentID)
        try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(sessionID: session, agentID: request.agentID, kind: kind,
                                                                   metadata: .object(fields)), at: time)
    }

    /// A refusal goes to the request's chain when the token names a stored request, else to the
    /// chain of `unknownRequestAgent`. The token is never written: only its SHA-256.
    static func auditRefusal(_ db: SQLConnection, keys: PurposeKeys, request: GateRequest?, kind: String, reason: String, token: String,
                             decision: Decision, identity: OperatorIdentity, time: Timestamp) throws {
        var fields: [(String, JSONValue)] = [("reason", .string(reason)), ("decision", .string(decision.rawValue)),
                                             ("request_id", .optional(request?.requestID)),
                                             ("token_sha256", .string(GateToken.storedHash(token)))]
        fields += identity.auditFields
        let target = request ?? GateRequest(requestID: "", kind: "", agentID: unknownRequestAgent, sessionID: nil, payloadJSON: "{}",
                                            actionHash: "", tokenHash: "", agentOperator: nil, createdAt: time, expiresAt: time,
                                            status: .pending)
        try audit(db, keys: keys, request: target, kind: kind, time: time, fields: fields)
    }

}
