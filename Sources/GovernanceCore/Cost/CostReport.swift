/// Fleet spend over a time range, grouped by agent, model or UTC day, read from the tracked-spend
/// events themselves (`llm.call` and `cost.tracked` carrying `governance.cost`): the same events
/// the counters count, so the report and the budgets agree. The events are read as stored; `audit
/// verify` is what proves them untouched.
public struct CostReport: Sendable, Equatable {
    public enum Grouping: String, Sendable, CaseIterable {
        case agent, model, day
    }

    public struct Row: Sendable, Equatable {
        /// The agent id, the model (nil: spend tracked without a model, `cost track`), or the day.
        public var key: String?
        public var calls: Int64 = 0
        public var tokens: Int64 = 0
        public var inputTokens: Int64 = 0
        public var outputTokens: Int64 = 0
        public var cachedInputTokens: Int64 = 0
        public var usd = Money.zero
        public var unpricedCalls: Int64 = 0

        mutating func add(_ usage: CostLedger.Usage) {
            calls = calls.saturatingAdd(1)
            tokens = tokens.saturatingAdd(usage.tokens)
            inputTokens = inputTokens.saturatingAdd(usage.inputTokens)
            outputTokens = outputTokens.saturatingAdd(usage.outputTokens)
            cachedInputTokens = cachedInputTokens.saturatingAdd(usage.cachedInputTokens)
            usd = Money(nanos: usd.nanos.saturatingAdd(usage.usd.nanos))
            if usage.model != nil && !usage.priced { unpricedCalls = unpricedCalls.saturatingAdd(1) }
        }

        func json(keyName: String?) -> JSONValue {
            var m: [(String, JSONValue)] = []
            if let keyName { m.append((keyName, .optional(key))) }
            m += [("calls", .int64(calls)), ("usd", .string(usd.decimal)), ("tokens", .int64(tokens)),
                  ("input_tokens", .int64(inputTokens)), ("output_tokens", .int64(outputTokens)),
                  ("cached_input_tokens", .int64(cachedInputTokens)), ("unpriced_calls", .int64(unpricedCalls))]
            return .object(m)
        }
    }

    /// Groups kept at most (a report of more is refused rather than held in memory).
    public static let maxGroups = 100_000
    /// The last microsecond of the year 9999: later times have no four-digit day.
    static let latestMicroseconds: Int64 = 253_402_300_799_999_999

    public var grouping: Grouping
    public var since: Timestamp?
    public var until: Timestamp?
    public var agentID: String?
    /// Most expensive first (by day: oldest first).
    public var rows: [Row]
    public var total: Row
    /// Events whose spend could not be read (edited by hand); not counted.
    public var unreadable: Int64

    public static func build(_ db: SQLConnection, by grouping: Grouping, since: Timestamp?, until: Timestamp?,
                             agentID: String?) throws -> CostReport {
        if let agentID { try Identifier.check(agentID, field: "agent") }
        if let since, let until, until <= since {
            throw GovernanceError.invalid("--until (\(until.iso8601)) must be after --since (\(since.iso8601))")
        }
        var sql = "SELECT agent_id, model, created_at_us, metadata, kind FROM governance_audit_events WHERE kind IN (?, ?)"
        var parameters: [SQLValue] = [.text(EventKind.llmCall), .text(EventKind.costTracked)]
        if let since { sql += " AND created_at_us >= ?"; parameters.append(.int(since.microseconds)) }
        if let until { sql += " AND created_at_us < ?"; parameters.append(.int(until.microseconds)) }
        if let agentID { sql += " AND agent_id = ?"; parameters.append(.text(agentID)) }
        var groups: [String?: Row] = [:]
        var total = Row(key: nil)
        var unreadable: Int64 = 0
        try db.forEachRow(sql, parameters) { row in
            let model = row.optionalText(1)
            let usage: CostLedger.Usage
            let key: String?
            do {
                guard let read = try CostLedger.usage(metadata: try JSONParser.parse(try row.text(3)), model: model, kind: try row.text(4)) else { return }
                usage = read
                switch grouping {
                case .agent: key = try row.text(0)
                case .model: key = model
                case .day:
                    // A time edited into the store past what a day can be read from is counted as unreadable.
                    let at = try row.int(2)
                    guard (0...Self.latestMicroseconds).contains(at) else { throw GovernanceError.invalid("created_at_us out of range") }
                    key = CostLedger.day(Timestamp(microseconds: at))
                }
            } catch {
                unreadable += 1
                return
            }
            if groups[key] == nil {
                guard groups.count < maxGroups else {
                    throw GovernanceError.invalid("the report has more than \(maxGroups) groups", hint: "narrow it with --since, --until or --agent")
                }
                groups[key] = Row(key: key)
            }
            groups[key]!.add(usage)
            total.add(usage)
        }
        let rows = groups.values.sorted { a, b in
            if grouping == .day { return (a.key ?? "") < (b.key ?? "") }
            return a.usd != b.usd ? a.usd.nanos > b.usd.nanos : (a.key ?? "") < (b.key ?? "")
        }
        return CostReport(grouping: grouping, since: since, until: until, agentID: agentID, rows: rows, total: total, unreadable: unreadable)
    }

    public var json: JSONValue {
        let keyName = grouping == .agent ? "agent_id" : grouping.rawValue
        return .object([("by", .string(grouping.rawValue)), ("since", .optional(since?.iso8601)), ("until", .optional(until?.iso8601)),
                        ("agent_id", .optional(agentID)), ("rows", .array(rows.map { $0.json(keyName: keyName) })),
                        ("total", total.json(keyName: nil)), ("unreadable_events", .int64(unreadable))])
    }
}
