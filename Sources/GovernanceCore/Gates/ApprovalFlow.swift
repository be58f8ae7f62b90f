/// The approval flow on the enforcement path: asking (a killed agent may not ask) and waiting,
/// where every outcome but a grant is a denial the path audits: denied or cancelled (16), timed
/// out or expired (17), still pending under `noWait` (18). A decision that no registered operator
/// signed is not a decision: the wait goes on, and the ignored row is audited.
extension Enforcer {
    public func requestApproval(agentID: String, sessionID: SessionID?, kind: String, payload: JSONValue = .object([]),
                                ttl: Int64 = Gates.defaultTTL, stepDigest: String? = nil,
                                step: (tool: String, argv: [String])? = nil) throws -> EnforcementResult<Gates.Issued> {
        var request = EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "gates.request", metadata: [("kind", .string(kind))])
        request.neverFailsOpen = true
        return try enforce(request) { context in
            try Gates.request(context.db, keys: keys, kind: kind, agentID: agentID, sessionID: sessionID, payload: payload, ttl: ttl,
                              stepDigest: stepDigest, step: step)
        }
    }

    /// Waits for the decision on `request` (read by the caller, who knows its agent).
    public func waitForApproval(_ request: GateRequest, timeout: Double?, noWait: Bool = false) throws -> EnforcementResult<GateRequest> {
        let agent = request.agentID
        var path = EnforcementRequest(agentID: agent, sessionID: request.sessionID.flatMap(SessionID.init), action: "gates.wait",
                                      metadata: [("request_id", .string(request.requestID))])
        path.neverFailsOpen = true
        return try enforce(path) { context in
            let outcome = try Gates.wait(context.db, requestID: request.requestID, timeout: timeout, noWait: noWait, recheck: {
                // A kill ends a wait that is already blocked, not only the next call.
                if let marker = try KillMarkers.read(context.db, agentID: agent).marker { throw marker.error }
            }, ignored: { _, why in context.ignored(EventKind.gateGranted, why) })
            return try Self.approval(outcome)
        }
    }

    /// The granted request, or the outcome as a denial carrying the request in its details.
    static func approval(_ outcome: Gates.WaitOutcome) throws -> GateRequest {
        func denial(_ kind: GovernanceError.Kind, _ r: GateRequest, _ message: String, hint: String?) -> GovernanceError {
            GovernanceError(kind, message, hint: hint, details: [("request_id", .string(r.requestID)), ("request", r.json())])
        }
        switch outcome {
        case .granted(let r):
            return r
        case .denied(let r):
            throw denial(.approvalDenied, r, "request \(r.requestID) was denied by \(quoted(r.decidedBy ?? "?"))" + (r.reason.map { ": \(quoted($0))" } ?? ""),
                         hint: nil)
        case .cancelled(let r):
            throw denial(.approvalDenied, r, "request \(r.requestID) was cancelled by \(quoted(r.decidedBy ?? "?"))" + (r.reason.map { ": \(quoted($0))" } ?? ""),
                         hint: "make a new request if the action is still wanted")
        case .pending(let r):
            throw denial(.approvalPending, r, "request \(r.requestID) is pending (expires \(r.expiresAt.iso8601))",
                         hint: "wait without --no-wait, or ask an operator to run `governance gates grant \(r.requestID)`")
        case .expired(let r):
            throw denial(.approvalTimedOut, r, "request \(r.requestID) expired at \(r.expiresAt.iso8601) without a decision", hint: "make a new request")
        case .timedOut(let r):
            throw denial(.approvalTimedOut, r, "no decision on request \(r.requestID) within the timeout", hint: "wait again, or ask an operator to decide")
        }
    }
}
