/// A budget's soft alert (`alert_at: 80%`): the first time tracked spend reaches that share of a
/// cap, one `budget.alert` is audited in the session's chain and handed to the notification hook.
/// Once per cap: per session for the session caps, per agent and UTC day for the daily ones; the
/// audit trail itself says whether it was raised, read under the agent's cost lock, so two
/// concurrent calls raise it once. Nothing is denied.
public struct BudgetAlert: Sendable, Equatable {
    public var agentID: String
    public var sessionID: String
    /// The policy key: per_session_usd, per_session_tokens, per_agent_usd_daily, per_agent_tokens_daily.
    public var cap: String
    /// Decimal USD or a token count, as text.
    public var used: String
    public var limit: String
    public var alertAtPercent: Int64
    /// The UTC day, for the daily caps.
    public var day: String?
    public var time: Timestamp

    var metadata: [(String, JSONValue)] {
        var m: [(String, JSONValue)] = [("cap", .string(cap)), ("used", .string(used)), ("limit", .string(limit)),
                                        ("alert_at_percent", .int64(alertAtPercent))]
        if let day { m.append(("day", .string(day))) }
        return m
    }

    public var json: JSONValue { .object(metadata) }

    public var notifyEvent: NotifyEvent {
        NotifyEvent(event: EventKind.budgetAlert, agentID: agentID, sessionID: sessionID, time: time, details: metadata)
    }
}

extension CostLedger {
    /// Raises the alerts the agent's spend has reached and not raised yet (after its spend was
    /// tracked); none without `alert_at`.
    public func raiseAlerts(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, keys: PurposeKeys,
                            at time: Timestamp = .now()) throws -> [BudgetAlert] {
        guard let budget, let percent = budget.alertAtPercent else { return [] }
        return try db.writeTransaction {
            try lockAgent(agentID)
            let used = try snapshot(agentID: agentID, sessionID: sessionID, budget: budget, at: time)
            let day = Self.day(time)
            func reached(_ spent: Int64, _ cap: Int64) -> Bool {
                guard spent > 0 else { return false }
                let (scaled, overflow) = spent.multipliedReportingOverflow(by: 100)
                let (threshold, overflow2) = cap.multipliedReportingOverflow(by: percent)
                return overflow || (!overflow2 && scaled >= threshold)
            }
            var due: [BudgetAlert] = []
            func consider(_ cap: String, _ spent: Int64, _ limit: Int64?, usd: Bool, daily: Bool) {
                guard let limit, reached(spent, limit) else { return }
                due.append(BudgetAlert(agentID: agentID, sessionID: sessionID.value, cap: cap,
                                       used: usd ? Money(nanos: spent).decimal : String(spent),
                                       limit: usd ? Money(nanos: limit).decimal : String(limit), alertAtPercent: percent,
                                       day: daily ? day : nil, time: time))
            }
            consider("per_session_usd", used.sessionUSDUsed.nanos, budget.perSessionUSD?.nanos, usd: true, daily: false)
            consider("per_session_tokens", used.sessionTokensUsed, budget.perSessionTokens, usd: false, daily: false)
            consider("per_agent_usd_daily", used.agentDailyUSDUsed.nanos, budget.perAgentUSDDaily?.nanos, usd: true, daily: true)
            consider("per_agent_tokens_daily", used.agentDailyTokensUsed, budget.perAgentTokensDaily, usd: false, daily: true)
            guard !due.isEmpty else { return [] }
            let raised = try raisedAlerts(agentID: agentID, sessionID: sessionID, day: day, since: Timestamp(microseconds: time.microseconds - 86_400_000_000))
            let log = AuditLog(db: db, keys: keys)
            var alerts: [BudgetAlert] = []
            for alert in due where !raised.contains(alert.day == nil ? "session:" + alert.cap : "day:" + alert.cap) {
                _ = try log.appendOne(AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.budgetAlert,
                                                      metadata: .object(alert.metadata)), at: time)
                alerts.append(alert)
            }
            return alerts
        }
    }

    /// The alerts already raised for the session ("session:CAP") and the agent's day ("day:CAP").
    func raisedAlerts(agentID: String, sessionID: SessionID, day: String, since: Timestamp) throws -> Set<String> {
        var raised: Set<String> = []
        try db.forEachRow("""
            SELECT session_id, metadata FROM governance_audit_events
            WHERE agent_id = ? AND kind = ? AND (session_id = ? OR created_at_us >= ?) LIMIT 10000
            """, [.text(agentID), .text(EventKind.budgetAlert), .text(sessionID.value), .int(since.microseconds)]) { row in
            guard let metadata = try? JSONParser.parse(try row.text(1)), let cap = metadata["cap"]?.stringValue else { return }
            if let eventDay = metadata["day"]?.stringValue {
                if eventDay == day { raised.insert("day:" + cap) }
            } else if try row.text(0) == sessionID.value {
                raised.insert("session:" + cap)
            }
        }
        return raised
    }
}
