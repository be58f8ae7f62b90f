/// A priced tool's call, cleared by the enforcement path (`Enforcer.execCheck`): its price
/// (`budget.tool_prices`) is held by `reservation` against the USD caps until the call is passed
/// on, when the charge settles it as tracked spend (`Enforcer.passOn`).
public struct ToolCharge: Sendable, Equatable {
    public var tool: String
    public var usd: Money
    public var reservation: Reservation
    /// The budget sets `alert_at`: a charge that is appended asks for the soft alerts.
    public var alertAt: Bool

    public init(tool: String, usd: Money, reservation: Reservation, alertAt: Bool = false) {
        self.tool = tool
        self.usd = usd
        self.reservation = reservation
        self.alertAt = alertAt
    }

    /// The charge as tracked spend: `cost.tracked` carrying `governance.cost` (the price, 0
    /// tokens, the reservation it settles), the tool, and the `call_id` of its `tool.call`. The
    /// spend is counted, and the reservation settled, when the event enters the chain (`ChainEffects`).
    public func event(agentID: String, sessionID: SessionID, callID: String) -> AuditEventInput {
        var usage = CostLedger.Usage(tokens: 0, usd: usd)
        usage.reservationID = reservation.id
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.costTracked,
                               metadata: .object([(CostLedger.metadataKey, .object(usage.metadata)), ("tool", .string(tool)),
                                                  ("call_id", .string(callID))]))
    }
}

extension Enforcer {
    /// Passes a cleared call on, for every caller of the enforcement path (`perform` for `exec`
    /// and the Swift API, the MCP proxy): appends its `tool.call` and, for a priced tool, the
    /// charge (`ToolCharge.event`) in ONE append, so the call and what it costs are recorded
    /// together or not at all. A call passed on is paid, whatever the tool then does.
    ///
    /// Observation semantics, as for other spend: when the store is unreachable both events are
    /// spooled (the reservation holds the price until the replay counts the spend and settles it,
    /// or until it expires). When neither the store nor the spool takes them, this throws (exit 4)
    /// with `notPassedOn` saying what did not happen, having released the reservation: the caller
    /// must not pass the call on. Returns the seq of `tool.call` (nil when spooled) and the soft
    /// alerts (`alert_at`) the charge reached; the recorder keeps its own warnings.
    public func passOn(call: PendingEvent, callID: String, charge: ToolCharge?, recorder: AuditRecorder,
                       notPassedOn: String) throws -> (callSeq: Int64?, warnings: [String]) {
        var events = [call]
        let agentID = call.event.agentID, session = call.event.sessionID
        do {
            if let charge {
                events.append(try PendingEvent(validating: charge.event(agentID: agentID, sessionID: session, callID: callID)))
            }
            switch try recorder.record(events, returningIDs: true) {
            case .appended(let records):
                var warnings: [String] = []
                if let charge, charge.alertAt, let db = recorder.storeConnection {
                    warnings = CostLedger(db: db).alertAfterSpend(agentID: agentID, sessionID: session, keys: keys,
                                                                  environment: FileSystem.environment)
                }
                return (records.first?.seq, warnings)
            case .spooled, .stateOnly:
                return (nil, [])
            case .placeholder:
                let what = charge == nil ? "the tool.call event" : "the tool.call event and its charge"
                throw GovernanceError.unavailable("\(what) could not be written to the store or the spool; \(notPassedOn): "
                                                  + recorder.warnings.joined(separator: "; "))
            }
        } catch {
            // Not passed on, not paid: the price stops counting (an unreleased one expires).
            if let charge { release(charge.reservation) }
            throw error
        }
    }
}
