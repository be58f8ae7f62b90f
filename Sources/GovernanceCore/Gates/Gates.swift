import Glibc

/// One approval request as stored.
public struct GateRequest: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, granted, denied, cancelled
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
    /// The operator's signature of the decision; a decision without a valid one is not acted on.
    public var decision: SignedAction? = nil
    /// Who asked (OS user and host of the requesting process).
    public var requestedOSUser: String? = nil
    public var requestedHost: String? = nil
    /// The digest of the one step this approval is for (`Gates.stepDigest`), when it names one.
    public var stepDigest: String? = nil
    /// The database logins that asked and decided (PostgreSQL's `session_user`, stamped by the
    /// server, which no client sets); nil on SQLite.
    public var requestedDBUser: String? = nil
    public var decidedDBUser: String? = nil

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
            ("requested_os_user", .optional(requestedOSUser)), ("requested_host", .optional(requestedHost)),
            ("step_digest", .optional(stepDigest)),
            ("requested_db_user", .optional(requestedDBUser)), ("decided_db_user", .optional(decidedDBUser)),
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

    static let columns = "request_id, kind, agent_id, session_id, payload, action_hash, token_hash, agent_operator, created_at_us, expires_at_us, status, decided_by, decided_os_user, decided_host, decided_at_us, reason, decision_document, decision_signature, requested_os_user, requested_host, step_digest"

    /// What reads select: the stored columns and the server's stamps.
    static let selected = columns + ", requested_db_user, decided_db_user"

    static func request(from row: SQLRow) throws -> GateRequest {
        GateRequest(requestID: try row.text(0), kind: try row.text(1), agentID: try row.text(2), sessionID: row.optionalText(3),
                    payloadJSON: try row.text(4), actionHash: try row.text(5), tokenHash: try row.text(6),
                    agentOperator: row.optionalText(7), createdAt: Timestamp(microseconds: try row.int(8)),
                    expiresAt: Timestamp(microseconds: try row.int(9)),
                    status: GateRequest.Status(rawValue: try row.text(10)) ?? .denied, decidedBy: row.optionalText(11),
                    decidedOSUser: row.optionalText(12), decidedHost: row.optionalText(13),
                    decidedAt: try row.optionalInt(14).map(Timestamp.init(microseconds:)), reason: row.optionalText(15),
                    decision: row.optionalText(16).flatMap { d in row.optionalText(17).map { SignedAction(document: d, signature: $0) } },
                    requestedOSUser: row.optionalText(18), requestedHost: row.optionalText(19), stepDigest: row.optionalText(20),
                    requestedDBUser: row.values.count > 21 ? row.optionalText(21) : nil,
                    decidedDBUser: row.values.count > 22 ? row.optionalText(22) : nil)
    }

    /// SHA-256 (hex) of the RFC 8785 form of `{"agent", "kind", "payload"}`.
    public static func actionHash(kind: String, agentID: String, payload: JSONValue) -> String {
        Digest.sha256Hex(JSONWriter.canonical(.object([("agent", .string(agentID)), ("kind", .string(kind)), ("payload", payload)])))
    }

    /// The digest of one governed step: SHA-256 of the RFC 8785 form of `{"argv_sha256", "tool"}`,
    /// where `argv_sha256` is the step's `tool.call` hash of its argv. An approval requested with
    /// it lets exactly that command of that tool run, once.
    public static func stepDigest(tool: String, argv: [String]) -> String {
        Digest.sha256Hex(JSONWriter.canonical(.object([("argv_sha256", .string(ExecEvents.argvHash(argv))), ("tool", .string(tool))])))
    }

    /// The payload member that carries the step an approval is bound to (`gates request --tool T
    /// -- COMMAND`): the operator reviews the command itself, not a digest beside a description the
    /// agent wrote. The action hash covers it, and a decision checks it against the step digest.
    public static let stepMember = "governed_step"

    /// The payload with the bound step added; an agent's own `governed_step` member is refused.
    static func payload(_ payload: JSONValue, step: (tool: String, argv: [String])?) throws -> JSONValue {
        guard case .object(let members) = payload else { throw GovernanceError.invalid("payload must be a JSON object") }
        if members.contains(where: { $0.0 == stepMember }) {
            throw GovernanceError.invalid("the payload member \(stepMember) is governance's: it shows the step bound with --tool",
                                          hint: "rename the member, or bind the step with --tool T -- COMMAND")
        }
        guard let step else { return payload }
        return .object(members + [(stepMember, .object([("tool", .string(step.tool)), ("argv", .array(step.argv.map(JSONValue.string)))]))])
    }

    /// The step a stored payload names, when it names one.
    public static func boundStep(_ payloadJSON: String) -> (tool: String, argv: [String])? {
        guard let payload = try? JSONParser.parse(payloadJSON), case .object(let members) = payload,
              let step = members.first(where: { $0.0 == stepMember })?.1, case .object = step,
              let tool = step["tool"]?.stringValue, case .array(let items)? = step["argv"] else { return nil }
        let argv = items.compactMap(\.stringValue)
        return argv.count == items.count ? (tool, argv) : nil
    }

    public struct Issued: Sendable {
        public var request: GateRequest
        public var token: String
    }

    /// Stores a pending request and returns it with its token (which is not stored).
    public static func request(_ db: SQLConnection, keys: PurposeKeys, kind: String, agentID: String, sessionID: SessionID?,
                               payload givenPayload: JSONValue = .object([]), ttl: Int64 = defaultTTL, stepDigest given: String? = nil,
                               step: (tool: String, argv: [String])? = nil, at time: Timestamp = .now()) throws -> Issued {
        if let given, !Hex.isLowercaseHex(given, length: 64) {
            throw GovernanceError.invalid("an action digest is 64 lowercase hex characters (SHA-256)")
        }
        if step != nil && given != nil { throw GovernanceError.invalid("give a step or an action digest, not both") }
        if let step { try Identifier.check(step.tool, field: "tool") }
        let payload = try Self.payload(givenPayload, step: step)
        let stepDigest = step.map { Self.stepDigest(tool: $0.tool, argv: $0.argv) } ?? given
        let asker = try OperatorIdentity.current(claimed: nil)
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
                                      createdAt: time, expiresAt: expires, status: .pending, requestedOSUser: asker.osUser,
                                      requestedHost: asker.host, stepDigest: stepDigest)
            try db.execute("INSERT INTO governance_gate_requests (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?)",
                           [.text(id), .text(kind), .text(agentID), .optional(sessionID?.value), .text(payloadText), .text(hash),
                            .text(request.tokenHash), .optional(bound), .int(time.microseconds), .int(expires.microseconds),
                            .text(GateRequest.Status.pending.rawValue), .text(asker.osUser), .text(asker.host), .optional(stepDigest)])
            try audit(db, keys: keys, request: request, kind: EventKind.gateRequested, time: time,
                      fields: [("request_id", .string(id)), ("gate_kind", .string(kind)), ("action_hash", .string(hash)),
                               ("expires_at", .string(expires.iso8601)), ("step_digest", .optional(stepDigest))] + asker.hostFields)
            try db.notify(channel)
            return Issued(request: request, token: token.text)
        }
    }

    public static func find(_ db: SQLConnection, requestID: String) throws -> GateRequest? {
        try db.queryFirst("SELECT \(selected) FROM governance_gate_requests WHERE request_id = ?", [.text(requestID)]).map(request(from:))
    }

    /// Newest first, at most `limit`.
    /// `oldestFirst`: the oldest `limit` instead (a review that reaches every request in turn,
    /// whatever number of newer ones an agent files).
    public static func list(_ db: SQLConnection, pendingOnly: Bool, limit: Int, oldestFirst: Bool = false,
                            at time: Timestamp = .now()) throws -> [GateRequest] {
        let filter = pendingOnly ? "WHERE status = 'pending' AND expires_at_us >= ?" : ""
        let parameters: [SQLValue] = (pendingOnly ? [.int(time.microseconds)] : []) + [.int(Int64(limit))]
        let order = oldestFirst ? "ASC" : "DESC"
        return try db.query("SELECT \(selected) FROM governance_gate_requests \(filter) ORDER BY created_at_us \(order), request_id LIMIT ?",
                            parameters).map(request(from:))
    }

    public enum Decision: String, Sendable {
        case grant, deny, cancel
        var status: GateRequest.Status {
            switch self {
            case .grant: .granted
            case .deny: .denied
            case .cancel: .cancelled
            }
        }
        var kind: String {
            switch self {
            case .grant: EventKind.gateGranted
            case .deny: EventKind.gateDenied
            case .cancel: EventKind.gateCancelled
            }
        }
    }

    /// Why a token (or a decision by request id) was refused (the audit event's `reason`).
    public enum Rejection: String, Sendable {
        case malformed, forged, unknownRequest = "unknown_request", mismatched, expired, tampered, replayed
    }

    /// An operator grants, denies or cancels a request by its id, signing the decision with its
    /// key. Refused (exit 19, audited, nothing changed) when the request is unknown, decided,
    /// expired, or its stored action was edited; a grant by the agent itself or by the operator
    /// bound to it exits 22 (audited). The change is a conditional UPDATE on `status = 'pending'`,
    /// so of two concurrent decisions exactly one wins.
    @discardableResult
    public static func decide(_ db: SQLConnection, keys: PurposeKeys, requestID: String, decision: Decision,
                              by credential: OperatorCredential, identity: OperatorIdentity, reason: String? = nil,
                              at time: Timestamp = .now()) throws -> GateRequest {
        guard let id = SessionID(requestID)?.value else {
            throw GovernanceError.invalid("invalid request id \(quoted(requestID)): expected a UUID", hint: "`governance gates list` shows the requests")
        }
        if let reason { try OperatorKill.checkReason(reason) }
        let failure: GovernanceError? = try db.writeTransaction {
            let stored = try find(db, requestID: id)
            guard let request = stored else {
                return try refuse(db, keys: keys, request: nil, .unknownRequest, "no request \(id) in this store", token: nil,
                                  decision: decision, credential: credential, identity: identity, time: time)
            }
            return try decideInTransaction(db, keys: keys, request: request, decision: decision, credential: credential,
                                           identity: identity, reason: reason, token: nil, time: time)
        }
        if let failure { throw failure }
        guard let request = try find(db, requestID: id) else { throw GovernanceError.internalError("the decided request vanished") }
        return request
    }

    /// The same decision through the agent's token: the token is checked first (malformed,
    /// forged, unknown, mismatched with `expectedRequestID` or with the token issued, tampered).
    @discardableResult
    public static func decide(_ db: SQLConnection, keys: PurposeKeys, token text: String, decision: Decision,
                              by credential: OperatorCredential, identity: OperatorIdentity, reason: String? = nil,
                              expectedRequestID: String? = nil, at time: Timestamp = .now()) throws -> GateRequest {
        if let reason { try OperatorKill.checkReason(reason) }
        let failure: GovernanceError? = try db.writeTransaction {
            let token = GateToken.parse(text)
            let stored = try token.flatMap { try find(db, requestID: $0.requestID) }
            func reject(_ why: Rejection, _ message: String) throws -> GovernanceError {
                try refuse(db, keys: keys, request: stored, why, message, token: text, decision: decision, credential: credential,
                           identity: identity, time: time)
            }
            guard let token else { return try reject(.malformed, "not a gt1 token") }
            guard token.isAuthentic(keys: keys) else { return try reject(.forged, "its signature does not match") }
            guard let request = stored else { return try reject(.unknownRequest, "no request \(token.requestID) in this store") }
            if let expectedRequestID, expectedRequestID.lowercased() != token.requestID {
                return try reject(.mismatched, "the token is for request \(token.requestID), not \(quoted(expectedRequestID))")
            }
            guard GateToken.storedHash(text) == request.tokenHash, token.expiresAt == request.expiresAt else {
                return try reject(.mismatched, "it is not the token issued for request \(request.requestID)")
            }
            guard actionHash(of: request) == token.actionHash else {
                return try reject(.tampered, "the stored action of request \(request.requestID) is not the action the token was issued for")
            }
            return try decideInTransaction(db, keys: keys, request: request, decision: decision, credential: credential,
                                           identity: identity, reason: reason, token: text, time: time)
        }
        if let failure { throw failure }
        guard let token = GateToken.parse(text), let request = try find(db, requestID: token.requestID) else {
            throw GovernanceError.internalError("the decided request vanished")
        }
        return request
    }

    static func actionHash(of request: GateRequest) -> String {
        actionHash(kind: request.kind, agentID: request.agentID,
                   payload: (try? JSONParser.parse(request.payloadJSON)) ?? .string(request.payloadJSON))
    }

    private static func decideInTransaction(_ db: SQLConnection, keys: PurposeKeys, request: GateRequest, decision: Decision,
                                            credential: OperatorCredential, identity: OperatorIdentity, reason: String?,
                                            token: String?, time: Timestamp) throws -> GovernanceError? {
        func reject(_ why: Rejection, _ message: String) throws -> GovernanceError {
            try refuse(db, keys: keys, request: request, why, message, token: token, decision: decision, credential: credential,
                       identity: identity, time: time)
        }
        guard actionHash(of: request) == request.actionHash else {
            return try reject(.tampered, "the stored action of request \(request.requestID) was edited after it was asked for")
        }
        if let step = boundStep(request.payloadJSON), request.stepDigest != stepDigest(tool: step.tool, argv: step.argv) {
            return try reject(.tampered, "the step digest of request \(request.requestID) is not the digest of the step it shows")
        }
        guard request.status == .pending else {
            return try reject(.replayed, "request \(request.requestID) was already \(request.status.rawValue)")
        }
        guard time <= request.expiresAt else {
            return try reject(.expired, "request \(request.requestID) expired at \(request.expiresAt.iso8601)")
        }
        if decision == .grant {
            let current = try Presence.boundOperator(db, agentID: request.agentID)
            let bound = [request.agentOperator, current].compactMap { $0 }
            if credential.name == request.agentID || bound.contains(credential.name) {
                try auditRefusal(db, keys: keys, request: request, kind: EventKind.gateSelfApprovalRefused, reason: "self_approval",
                                 token: token, decision: decision, credential: credential, identity: identity, time: time)
                return GovernanceError(.operatorNotPermitted,
                                       "operator \(quoted(credential.name)) is the agent \(quoted(request.agentID)) or bound to it, and cannot grant its requests",
                                       hint: "another operator must grant request \(request.requestID)",
                                       details: [("request_id", .string(request.requestID))])
            }
        }
        let signed = try credential.sign(decision.kind, agentID: request.agentID, fields: decisionFields(request, reason: reason), at: time)
        let changed = try db.execute("""
            UPDATE governance_gate_requests SET status = ?, decided_by = ?, decided_os_user = ?, decided_host = ?, decided_at_us = ?, reason = ?,
                decision_document = ?, decision_signature = ?
            WHERE request_id = ? AND status = 'pending' AND token_hash = ? AND expires_at_us >= ?
            """, [.text(decision.status.rawValue), .text(credential.name), .text(identity.osUser), .text(identity.host),
                  .int(time.microseconds), .optional(reason), .text(signed.document), .text(signed.signature), .text(request.requestID),
                  .text(request.tokenHash), .int(time.microseconds)])
        guard changed == 1 else { return try reject(.replayed, "request \(request.requestID) was decided by someone else first") }
        var fields: [(String, JSONValue)] = [("request_id", .string(request.requestID)), ("gate_kind", .string(request.kind))]
        fields += signed.auditFields + identity.hostFields
        if let reason { fields.append(("reason", .string(reason))) }
        try audit(db, keys: keys, request: request, kind: decision.kind, time: time, fields: fields)
        try db.notify(channel)
        return nil
    }

    /// What a decision's signature covers besides the action, the operator, the agent and the time.
    static func decisionFields(_ request: GateRequest, reason: String?) -> [(String, JSONValue)] {
        [("request_id", .string(request.requestID)), ("action_hash", .string(request.actionHash)),
         ("step_digest", .optional(request.stepDigest)), ("reason", .optional(reason))]
    }

    /// A stored decision the enforcement path may act on: signed by a registered operator, for this
    /// request, its action and its step, with the stored status, and the stored payload still the
    /// action that was signed (a payload edited by hand, to show a step or hide one, is mismatched).
    /// Anything else (a row set to granted by hand) is not a decision.
    public static func verifiedDecision(_ db: SQLConnection, _ request: GateRequest) throws -> Result<GateRequest.Status, SignedAction.Rejection> {
        guard request.status != .pending else { return .success(.pending) }
        guard actionHash(of: request) == request.actionHash else { return .failure(.mismatched) }
        let action = [Decision.grant, .deny, .cancel].first { $0.status == request.status }?.kind ?? ""
        var expect: [(String, JSONValue)] = [("action", .string(action)), ("agent_id", .string(request.agentID)),
                                             ("operator", .optional(request.decidedBy))]
        expect += decisionFields(request, reason: request.reason)
        if let decidedAt = request.decidedAt { expect.append(("at", .string(decidedAt.iso8601))) }
        switch try SignedAction.verify(db, document: request.decision?.document, signature: request.decision?.signature, expect: expect) {
        case .success: return .success(request.status)
        case .failure(let why): return .failure(why)
        }
    }

    private static func refuse(_ db: SQLConnection, keys: PurposeKeys, request: GateRequest?, _ why: Rejection, _ message: String,
                               token: String?, decision: Decision, credential: OperatorCredential, identity: OperatorIdentity,
                               time: Timestamp) throws -> GovernanceError {
        try auditRefusal(db, keys: keys, request: request, kind: EventKind.gateTokenRejected, reason: why.rawValue, token: token,
                         decision: decision, credential: credential, identity: identity, time: time)
        return GovernanceError(.approvalTokenRejected, "approval \(token == nil ? "decision" : "token") rejected (\(why.rawValue)): \(message)",
                               hint: token == nil ? "`governance gates show ID` shows the request's state"
                                   : "ask for a new request (`governance gates request`) if the action is still wanted",
                               details: [("reason", .string(why.rawValue)), ("request_id", .optional(request?.requestID))])
    }

    public enum WaitOutcome: Sendable, Equatable {
        case granted(GateRequest), denied(GateRequest), cancelled(GateRequest), pending(GateRequest), expired(GateRequest), timedOut(GateRequest)
    }

    /// Waits for a decision: woken by the store's change notification (LISTEN/NOTIFY on
    /// PostgreSQL, `data_version` on SQLite), re-reading at least every 0.5-1 s (jittered) in
    /// case a notification is lost. `timeout` nil waits until the request expires; `noWait`
    /// answers at once. `recheck` runs before every read: the enforcement path can pass its
    /// kill-marker check so that a kill ends a long wait (exit 15) within a second.
    public static func wait(_ db: SQLConnection, requestID: String, timeout: Double?, noWait: Bool = false,
                            recheck: (() throws -> Void)? = nil,
                            ignored: ((GateRequest, SignedAction.Rejection) throws -> Void)? = nil) throws -> WaitOutcome {
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
            var status = request.effectiveStatus(at: now)
            if status != .pending && status != .expired, case .failure(let why) = try verifiedDecision(db, request) {
                // A decision no operator signed (a row edited by hand) is no decision.
                try ignored?(request, why)
                status = now > request.expiresAt ? .expired : .pending
            }
            switch status {
            case .granted: return .granted(request)
            case .denied: return .denied(request)
            case .cancelled: return .cancelled(request)
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
    /// chain of `unknownRequestAgent`. A token is never written: only its SHA-256.
    static func auditRefusal(_ db: SQLConnection, keys: PurposeKeys, request: GateRequest?, kind: String, reason: String, token: String?,
                             decision: Decision, credential: OperatorCredential, identity: OperatorIdentity, time: Timestamp) throws {
        var fields: [(String, JSONValue)] = [("reason", .string(reason)), ("decision", .string(decision.rawValue)),
                                             ("request_id", .optional(request?.requestID)),
                                             ("token_sha256", token.map { .string(GateToken.storedHash($0)) } ?? .null),
                                             ("by", .string(credential.name))]
        fields += identity.hostFields
        let target = request ?? GateRequest(requestID: "", kind: "", agentID: unknownRequestAgent, sessionID: nil, payloadJSON: "{}",
                                            actionHash: "", tokenHash: "", agentOperator: nil, createdAt: time, expiresAt: time,
                                            status: .pending)
        try audit(db, keys: keys, request: target, kind: kind, time: time, fields: fields)
    }
}
