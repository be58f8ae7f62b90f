/// Every figure the reports rest on, gathered in one streaming pass over the events in chain
/// order (session, then seq). Memory is bounded: each map has a cap, and what falls past it is
/// counted ("and N more") rather than kept, so a hostile log cannot grow the report.
public struct Evidence: Sendable {
    public static let maxAgents = 10_000
    public static let maxModels = 1_000
    public static let maxKinds = 1_000
    public static let maxDays = 5_000
    public static let maxSessionsListed = 10_000
    public static let maxOperators = 1_000
    /// Models with their own series in the per-day charts; the rest are "other".
    public static let chartedModels = 8
    static let day: Int64 = 86_400_000_000

    public struct AgentStats: Sendable {
        public var events = 0
        public var sessions = 0
        public var models: [String] = []
        public var modelsOmitted = 0
        public var firstAt = Timestamp(microseconds: .max)
        public var lastAt = Timestamp(microseconds: .min)
        public var anomalies = 0
        public var anomaliesResponded = 0
        public var kills = 0
        public var hasPolicy = false
        /// Took a governed action or was denied one (the report's own events do not count).
        public var acted = false
    }

    public struct SessionSpan: Sendable {
        public var sessionID: String
        public var agentID: String
        public var startAt: Timestamp
        public var endAt: Timestamp
        public var events: Int
    }

    public struct DayStats: Sendable {
        public var events = 0
        /// Index into `chartModels`; the last slot is every other model and events without one.
        public var byModel = [Int](repeating: 0, count: Evidence.chartedModels + 1)
        public var anomalies = 0
        public var responses = 0
    }

    public struct OperatorStats: Sendable {
        public var granted = 0
        public var denied = 0
        public var kills = 0
        public var revivals = 0
    }

    // Scope.
    public internal(set) var events = 0
    public internal(set) var firstAt: Timestamp?
    public internal(set) var lastAt: Timestamp?
    /// The oldest event kept for the agent and sessions filtered on, whatever --from says.
    public internal(set) var oldestRetained: Timestamp?

    // Registration.
    public internal(set) var sessionsRead = 0
    /// Sessions whose seq does not run 1, 2, 3... (a gap, a duplicate, a start past 1).
    public internal(set) var sessionsWithSeqBreaks = 0
    public internal(set) var firstSeqBreak: (session: String, seq: Int64)?
    /// Events whose metadata is not a JSON object or whose required fields are empty.
    public internal(set) var eventsMissingFields = 0

    // Per agent, model, kind, day.
    public internal(set) var agents: [String: AgentStats] = [:]
    /// Events of agents past `maxAgents`: counted in the totals, not per agent.
    public internal(set) var agentEventsOmitted = 0
    public internal(set) var models: [String: Int] = [:]
    public internal(set) var modelsOmitted = 0
    public internal(set) var eventsWithoutModel = 0
    public internal(set) var kinds: [String: Int] = [:]
    public internal(set) var kindsOmitted = 0
    public internal(set) var days: [Int64: DayStats] = [:]
    public internal(set) var daysOmitted = 0
    /// The models with a series of their own in the charts, in the order first seen.
    public internal(set) var chartModels: [String] = []

    // Sessions (duration of use).
    public internal(set) var sessions: [SessionSpan] = []
    public internal(set) var sessionsOmitted = 0

    // Functioning.
    public internal(set) var actions = 0
    public internal(set) var llmCallsWithoutModel = 0
    public internal(set) var anomalies = 0
    public internal(set) var anomaliesResponded = 0
    public internal(set) var responses = 0
    public internal(set) var policiesApplied = 0
    public internal(set) var agentsWithPolicy = 0
    public internal(set) var actingAgentsWithoutPolicy = 0

    // Human oversight.
    public internal(set) var gatesRequested = 0
    public internal(set) var gatesGranted = 0
    public internal(set) var gatesDenied = 0
    public internal(set) var decisionsIdentified = 0
    public internal(set) var grantsFollowedByAction = 0
    public internal(set) var kills = 0
    public internal(set) var killsIdentified = 0
    public internal(set) var revivals = 0
    public internal(set) var operators: [String: OperatorStats] = [:]
    public internal(set) var operatorsOmitted = 0
    public internal(set) var previousReports = 0

    // Annex III 1(a).
    public internal(set) var withReferenceDatabase = 0
    public internal(set) var withInputHash = 0
    public internal(set) var matches = 0
    public internal(set) var matchesWithInput = 0

    public var decisions: Int { gatesGranted + gatesDenied }
    public var dayCount: Int { days.count + daysOmitted }
    public var detectorsRan: Bool { agentsWithPolicy > 0 && actions + anomalies > 0 }
    public var pendingGates: Int { max(0, gatesRequested - decisions) }

    /// `yyyy-mm-dd` of a day index.
    public static func date(ofDay day: Int64) -> String { String(Timestamp(microseconds: day * Self.day).iso8601.prefix(10)) }

    /// Per day: events by model, anomalies and responses (the charts' data).
    public var activityJSON: JSONValue {
        let series = chartModels + ["other"]
        return .object([
            ("models", .array(series.map(JSONValue.string))),
            ("days_omitted", .int(daysOmitted)),
            ("days", .array(days.keys.sorted().map { key in
                let d = days[key]!
                return .object([
                    ("date", .string(Self.date(ofDay: key))),
                    ("events", .int(d.events)),
                    ("events_by_model", .array(d.byModel.map(JSONValue.int))),
                    ("anomalies", .int(d.anomalies)),
                    ("responses", .int(d.responses)),
                ])
            })),
        ])
    }
}

/// Builds `Evidence` from events that arrive in chain order (session, then seq), each once.
public struct EvidenceAggregator {
    public private(set) var evidence = Evidence()
    private let filters: ReportFilters
    private let annexIII1a: Bool
    /// From the pre-pass: per agent, the newest response and whether a policy was ever applied.
    private let lastResponse: [String: Timestamp]
    private let policyAgents: Set<String>

    // The session being read.
    private var session: String?
    private var expectedSeq: Int64 = 1
    private var seqBroken = false
    private var span: Evidence.SessionSpan?
    private var agentsInSession: [String] = []
    private var grantsAwaitingAction = 0

    public init(filters: ReportFilters, annexIII1a: Bool, lastResponse: [String: Timestamp], policyAgents: Set<String>) {
        self.filters = filters
        self.annexIII1a = annexIII1a
        self.lastResponse = lastResponse
        self.policyAgents = policyAgents
    }

    /// Reads one event. Events outside the agent and time filters still count for the session's
    /// seq check (the chain is judged whole) but for nothing else.
    public mutating func add(_ r: AuditRecord) {
        if r.sessionID != session { closeSession(); openSession(r.sessionID) }
        if r.seq != expectedSeq, !seqBroken {
            seqBroken = true
            if evidence.firstSeqBreak == nil { evidence.firstSeqBreak = (r.sessionID, expectedSeq) }
        }
        expectedSeq = r.seq + 1
        guard filters.admits(agentID: r.agentID, at: r.createdAt) else { return }
        count(r)
    }

    /// Call once after the last event.
    public mutating func finish(oldestRetained: Timestamp?) -> Evidence {
        closeSession()
        evidence.oldestRetained = oldestRetained
        evidence.agentsWithPolicy = evidence.agents.values.filter(\.hasPolicy).count
        evidence.actingAgentsWithoutPolicy = evidence.agents.values.filter { $0.acted && !$0.hasPolicy }.count
        return evidence
    }

    private mutating func openSession(_ id: String) {
        session = id
        expectedSeq = 1
        seqBroken = false
        span = nil
        agentsInSession.removeAll(keepingCapacity: true)
        grantsAwaitingAction = 0
        evidence.sessionsRead += 1
    }

    private mutating func closeSession() {
        guard session != nil else { return }
        if seqBroken { evidence.sessionsWithSeqBreaks += 1 }
        if let span {
            if evidence.sessions.count < Evidence.maxSessionsListed { evidence.sessions.append(span) } else { evidence.sessionsOmitted += 1 }
        }
        session = nil
    }

    private mutating func count(_ r: AuditRecord) {
        let e = evidence.events
        evidence.events = e + 1
        if evidence.firstAt.map({ r.createdAt < $0 }) ?? true { evidence.firstAt = r.createdAt }
        if evidence.lastAt.map({ $0 < r.createdAt }) ?? true { evidence.lastAt = r.createdAt }
        if r.agentID.isEmpty || r.kind.isEmpty || r.metadataJSON.utf8.first != UInt8(ascii: "{") { evidence.eventsMissingFields += 1 }

        if span == nil {
            span = Evidence.SessionSpan(sessionID: r.sessionID, agentID: r.agentID, startAt: r.createdAt, endAt: r.createdAt, events: 0)
        }
        span!.events += 1
        if r.createdAt < span!.startAt { span!.startAt = r.createdAt }
        if span!.endAt < r.createdAt { span!.endAt = r.createdAt }

        bump(&evidence.kinds, r.kind, cap: Evidence.maxKinds, omitted: &evidence.kindsOmitted)
        var modelSlot = Evidence.chartedModels
        if let model = r.model {
            bump(&evidence.models, model, cap: Evidence.maxModels, omitted: &evidence.modelsOmitted)
            if let i = evidence.chartModels.firstIndex(of: model) {
                modelSlot = i
            } else if evidence.chartModels.count < Evidence.chartedModels {
                evidence.chartModels.append(model)
                modelSlot = evidence.chartModels.count - 1
            }
        } else {
            evidence.eventsWithoutModel += 1
        }

        let isAnomaly = EvidenceKinds.anomalies.contains(r.kind)
        let isResponse = EvidenceKinds.responses.contains(r.kind)
        let responded = isAnomaly && lastResponse[r.agentID].map { r.createdAt <= $0 } ?? false
        let day = r.createdAt.microseconds.floorDivided(by: Evidence.day).0
        if evidence.days[day] != nil || evidence.days.count < Evidence.maxDays {
            evidence.days[day, default: Evidence.DayStats()].events += 1
            evidence.days[day]!.byModel[modelSlot] += 1
            if isAnomaly { evidence.days[day]!.anomalies += 1 }
            if isResponse { evidence.days[day]!.responses += 1 }
        } else {
            evidence.daysOmitted += 1
        }

        countAgent(r, isAnomaly: isAnomaly, responded: responded)
        if isAnomaly {
            evidence.anomalies += 1
            if responded { evidence.anomaliesResponded += 1 }
        }
        if isResponse { evidence.responses += 1 }
        countKind(r)
    }

    private mutating func countAgent(_ r: AuditRecord, isAnomaly: Bool, responded: Bool) {
        guard evidence.agents[r.agentID] != nil || evidence.agents.count < Evidence.maxAgents else {
            evidence.agentEventsOmitted += 1
            return
        }
        var stats = evidence.agents[r.agentID] ?? Evidence.AgentStats()
        if stats.events == 0 { stats.hasPolicy = policyAgents.contains(r.agentID) }
        stats.events += 1
        if r.createdAt < stats.firstAt { stats.firstAt = r.createdAt }
        if stats.lastAt < r.createdAt { stats.lastAt = r.createdAt }
        if !agentsInSession.contains(r.agentID) {
            // A session with thousands of agents is bounded too: past the cap, sessions are not counted twice-checked.
            if agentsInSession.count < 1_000 { agentsInSession.append(r.agentID) }
            stats.sessions += 1
        }
        if let model = r.model, !stats.models.contains(model) {
            if stats.models.count < 32 { stats.models.append(model) } else { stats.modelsOmitted += 1 }
        }
        if isAnomaly { stats.anomalies += 1; if responded { stats.anomaliesResponded += 1 } }
        if r.kind == EvidenceKinds.agentKilled { stats.kills += 1 }
        if isAnomaly || EvidenceKinds.actions.contains(r.kind) { stats.acted = true }
        evidence.agents[r.agentID] = stats
    }

    /// The kinds whose metadata matters: only these are parsed.
    private mutating func countKind(_ r: AuditRecord) {
        switch r.kind {
        case EvidenceKinds.toolCall, EvidenceKinds.llmCall:
            evidence.actions += 1
            if r.kind == EvidenceKinds.llmCall, r.model == nil { evidence.llmCallsWithoutModel += 1 }
            if r.kind == EvidenceKinds.toolCall, grantsAwaitingAction > 0 {
                grantsAwaitingAction -= 1
                evidence.grantsFollowedByAction += 1
            }
            if r.inputHash != nil { evidence.withInputHash += 1 }
            if annexIII1a {
                let metadata = parsedMetadata(r)
                if let db = metadata?[EvidenceKinds.Field.referenceDatabase]?.stringValue, !db.isEmpty { evidence.withReferenceDatabase += 1 }
                if metadata?[EvidenceKinds.Field.match] == .bool(true) {
                    evidence.matches += 1
                    if r.inputHash != nil { evidence.matchesWithInput += 1 }
                }
            }
        case EvidenceKinds.gateRequested:
            evidence.gatesRequested += 1
        case EvidenceKinds.gateGranted, EvidenceKinds.gateDenied:
            let granted = r.kind == EvidenceKinds.gateGranted
            if granted { evidence.gatesGranted += 1; grantsAwaitingAction += 1 } else { evidence.gatesDenied += 1 }
            if let who = operatorName(r) {
                evidence.decisionsIdentified += 1
                countOperator(who) { if granted { $0.granted += 1 } else { $0.denied += 1 } }
            }
        case EvidenceKinds.agentKilled, EvidenceKinds.agentRevived:
            let killed = r.kind == EvidenceKinds.agentKilled
            if killed { evidence.kills += 1 } else { evidence.revivals += 1 }
            if let who = operatorName(r) {
                if killed { evidence.killsIdentified += 1 }
                countOperator(who) { if killed { $0.kills += 1 } else { $0.revivals += 1 } }
            }
        case EvidenceKinds.policyApplied:
            evidence.policiesApplied += 1
        case EvidenceKinds.reportGenerated:
            evidence.previousReports += 1
        default:
            break
        }
    }

    private mutating func countOperator(_ name: String, _ update: (inout Evidence.OperatorStats) -> Void) {
        guard evidence.operators[name] != nil || evidence.operators.count < Evidence.maxOperators else {
            evidence.operatorsOmitted += 1
            return
        }
        update(&evidence.operators[name, default: Evidence.OperatorStats()])
    }

    private func parsedMetadata(_ r: AuditRecord) -> JSONValue? { try? JSONParser.parse(r.metadataJSON) }

    /// The operator a decision names; a missing or empty field is "not identified", never a failure.
    private func operatorName(_ r: AuditRecord) -> String? {
        guard let name = parsedMetadata(r)?[EvidenceKinds.Field.operatorName]?.stringValue,
              !name.trimmingSpaces.isEmpty else { return nil }
        return name
    }

    private func bump(_ map: inout [String: Int], _ key: String, cap: Int, omitted: inout Int) {
        if map[key] != nil || map.count < cap { map[key, default: 0] += 1 } else { omitted += 1 }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
