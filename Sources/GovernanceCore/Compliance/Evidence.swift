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
    /// Anomaly times kept to match them with responses at the end (16 bytes each).
    public static let maxAnomaliesTimed = 1_000_000
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
        /// Tracked spend (`llm.call` and `cost.tracked` events), in nano-dollars.
        public var usdNanos: Int64 = 0
        public var hasPolicy = false
        /// Took a governed action or was denied one (the report's own events do not count).
        public var acted = false
        /// The newest response (kill, gate, policy change) logged for the agent.
        public var lastResponseAt: Timestamp?
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
    /// Tracked spend of every agent in scope, in nano-dollars.
    public internal(set) var usdNanos: Int64 = 0
    public internal(set) var anomalies = 0
    public internal(set) var anomaliesResponded = 0
    /// Anomalies past `maxAnomaliesTimed` (or of agents past `maxAgents`): counted as not
    /// followed by a response, since their times were not kept.
    public internal(set) var anomaliesUntimed = 0
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
    /// Actions refused because the agent was killed (`agent.killed`): the stop procedure working.
    public internal(set) var killsEnforced = 0
    /// Operator events (kill, revive, grant, deny, policy) without a valid signature of a
    /// registered operator: not counted as anything else (an agent can write its own).
    public internal(set) var unsignedOperatorEvents = 0
    /// Anomalies that were themselves a refusal by the enforcement path (their audit carries the
    /// exit code): the action was blocked, which is the response.
    public internal(set) var anomaliesRefused = 0
    /// Denials that are not anomalies (`agent.killed`, `enforcement.denied`): checks recorded.
    public internal(set) var otherDenials = 0
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
    public var detectorsRan: Bool { agentsWithPolicy > 0 && checks > 0 }
    /// Checks recorded: governed actions and every denial.
    public var checks: Int { actions + anomalies + otherDenials }
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
/// The hot path hashes as little as it can: consecutive events mostly share their kind, agent,
/// model and day, so each is looked up once and then compared with the previous event's.
public final class EvidenceAggregator {
    private var evidence = Evidence()
    private let filters: ReportFilters
    private let annexIII1a: Bool
    /// Each anomaly's agent slot and time: whether a response followed is only known at the end.
    private var anomalyTimes: [(agent: Int, at: Timestamp)] = []

    /// What a kind means to the report, worked out once per distinct kind.
    private struct KindInfo {
        var count = 0
        let isAnomaly: Bool
        let isResponse: Bool
        let isAction: Bool
    }
    private var kindNames = InternedSlots<String>(cap: Evidence.maxKinds)
    private var kindSlots: [KindInfo] = []
    private var agentNames = InternedSlots<String>(cap: Evidence.maxAgents)
    private var agentSlots: [Evidence.AgentStats] = []
    private var modelNames = InternedSlots<String>(cap: Evidence.maxModels)
    private var modelCounts: [Int] = []
    /// Per model slot: its series in the charts (`chartedModels` for "other").
    private var modelChartSlot: [Int] = []
    private var dayKeys = InternedSlots<Int64>(cap: Evidence.maxDays)
    private var daySlots: [Evidence.DayStats] = []

    // The session being read.
    private var session: String?
    private var expectedSeq: Int64 = 1
    private var seqBroken = false
    private var span: Evidence.SessionSpan?
    private var agentsInSession: [Int] = []
    private var grantsAwaitingAction = 0

    /// Whether an operator event carries a valid operator signature (`SignedAction.verifyEvent`);
    /// nil accepts every event (a caller without a store, the tests of the arithmetic).
    private let authenticate: ((AuditRecord) -> Bool)?

    public init(filters: ReportFilters, annexIII1a: Bool, authenticate: ((AuditRecord) -> Bool)? = nil) {
        self.filters = filters
        self.annexIII1a = annexIII1a
        self.authenticate = authenticate
    }

    /// Reads one event. Events outside the agent and time filters still count for the session's
    /// seq check (the chain is judged whole) but for nothing else.
    public func add(_ r: AuditRecord) {
        if r.sessionID != session { closeSession(); openSession(r.sessionID) }
        if r.seq != expectedSeq, !seqBroken {
            seqBroken = true
            if evidence.firstSeqBreak == nil { evidence.firstSeqBreak = (r.sessionID, expectedSeq) }
        }
        expectedSeq = r.seq + 1
        guard filters.admits(agentID: r.agentID, at: r.createdAt) else { return }
        count(r)
    }

    /// What was logged for each agent outside the events streamed (other sessions, other times):
    /// the newest response and whether a policy was applied. Only needed when the report is filtered.
    public struct AgentHistory: Sendable {
        public var lastResponse: [String: Timestamp] = [:]
        public var policyAgents: Set<String> = []
        public init() {}
    }

    /// Call once after the last event.
    public func finish(oldestRetained: Timestamp?, history: AgentHistory? = nil) -> Evidence {
        closeSession()
        if let history {
            for (agent, at) in history.lastResponse {
                guard let a = agentNames.existingSlot(agent) else { continue }
                if agentSlots[a].lastResponseAt.map({ $0 < at }) ?? true { agentSlots[a].lastResponseAt = at }
            }
            for agent in history.policyAgents { if let a = agentNames.existingSlot(agent) { agentSlots[a].hasPolicy = true } }
        }
        for (a, at) in anomalyTimes {
            guard let last = agentSlots[a].lastResponseAt, at <= last else { continue }
            agentSlots[a].anomaliesResponded += 1
            evidence.anomaliesResponded += 1
        }
        anomalyTimes = []
        evidence.oldestRetained = oldestRetained
        evidence.agents = Dictionary(uniqueKeysWithValues: zip(agentNames.keys, agentSlots))
        evidence.models = Dictionary(uniqueKeysWithValues: zip(modelNames.keys, modelCounts))
        evidence.kinds = Dictionary(uniqueKeysWithValues: zip(kindNames.keys, kindSlots.map(\.count)))
        evidence.days = Dictionary(uniqueKeysWithValues: zip(dayKeys.keys, daySlots))
        evidence.agentsWithPolicy = agentSlots.filter(\.hasPolicy).count
        evidence.actingAgentsWithoutPolicy = agentSlots.filter { $0.acted && !$0.hasPolicy }.count
        return evidence
    }

    private func openSession(_ id: String) {
        session = id
        expectedSeq = 1
        seqBroken = false
        span = nil
        agentsInSession.removeAll(keepingCapacity: true)
        grantsAwaitingAction = 0
        evidence.sessionsRead += 1
    }

    private func closeSession() {
        guard session != nil else { return }
        if seqBroken { evidence.sessionsWithSeqBreaks += 1 }
        if let span {
            if evidence.sessions.count < Evidence.maxSessionsListed { evidence.sessions.append(span) } else { evidence.sessionsOmitted += 1 }
        }
        session = nil
    }

    private func count(_ r: AuditRecord) {
        if EvidenceKinds.signedResponses.contains(r.kind), let authenticate, !authenticate(r) {
            evidence.unsignedOperatorEvents += 1
            return
        }
        // A report's own event, and governance's bookkeeping in the chain of the pseudo-agent
        // `governance` (operator registrations), are not the activity of any agent or day.
        if r.kind == EventKind.reportGenerated {
            evidence.previousReports += 1
            return
        }
        if r.agentID == EvidenceKinds.pseudoAgent { return }
        evidence.events += 1
        if evidence.firstAt.map({ r.createdAt < $0 }) ?? true { evidence.firstAt = r.createdAt }
        if evidence.lastAt.map({ $0 < r.createdAt }) ?? true { evidence.lastAt = r.createdAt }
        if r.agentID.isEmpty || r.kind.isEmpty || r.metadataJSON.utf8.first != UInt8(ascii: "{") { evidence.eventsMissingFields += 1 }

        if span == nil {
            span = Evidence.SessionSpan(sessionID: r.sessionID, agentID: r.agentID, startAt: r.createdAt, endAt: r.createdAt, events: 0)
        }
        span!.events += 1
        if r.createdAt < span!.startAt { span!.startAt = r.createdAt }
        if span!.endAt < r.createdAt { span!.endAt = r.createdAt }

        let kind = kindSlot(r.kind)
        let info = kind >= 0 ? kindSlots[kind] : KindInfo(isAnomaly: EvidenceKinds.anomalies.contains(r.kind),
                                                            isResponse: EvidenceKinds.responses.contains(r.kind),
                                                            isAction: EvidenceKinds.actions.contains(r.kind))
        if kind >= 0 { kindSlots[kind].count += 1 } else { evidence.kindsOmitted += 1 }

        var chartSlot = Evidence.chartedModels
        if let model = r.model {
            let m = modelSlot(model)
            if m >= 0 { modelCounts[m] += 1; chartSlot = modelChartSlot[m] } else { evidence.modelsOmitted += 1 }
        } else {
            evidence.eventsWithoutModel += 1
        }

        let d = daySlot(r.createdAt.microseconds.floorDivided(by: Evidence.day).0)
        if d >= 0 {
            daySlots[d].events += 1
            daySlots[d].byModel[chartSlot] += 1
            if info.isAnomaly { daySlots[d].anomalies += 1 }
            if info.isResponse { daySlots[d].responses += 1 }
        } else {
            evidence.daysOmitted += 1
        }

        countAgent(r, info: info)
        if info.isAnomaly { evidence.anomalies += 1 }
        if info.isResponse { evidence.responses += 1 }
        if info.isAction { countAction(r) } else if !info.isAnomaly { countOther(r) }
    }

    // MARK: slots: one hash per distinct value, a comparison for a repeat

    private func kindSlot(_ name: String) -> Int {
        guard let (slot, isNew) = kindNames.slot(name) else { return -1 }
        if isNew {
            kindSlots.append(KindInfo(isAnomaly: EvidenceKinds.anomalies.contains(name), isResponse: EvidenceKinds.responses.contains(name),
                                      isAction: EvidenceKinds.actions.contains(name)))
        }
        return slot
    }

    private func modelSlot(_ name: String) -> Int {
        guard let (slot, isNew) = modelNames.slot(name) else { return -1 }
        if isNew {
            modelCounts.append(0)
            if evidence.chartModels.count < Evidence.chartedModels {
                evidence.chartModels.append(name)
                modelChartSlot.append(evidence.chartModels.count - 1)
            } else {
                modelChartSlot.append(Evidence.chartedModels)
            }
        }
        return slot
    }

    private func daySlot(_ key: Int64) -> Int {
        guard let (slot, isNew) = dayKeys.slot(key) else { return -1 }
        if isNew { daySlots.append(Evidence.DayStats()) }
        return slot
    }

    private func agentSlot(_ name: String) -> Int {
        guard let (slot, isNew) = agentNames.slot(name) else { return -1 }
        if isNew { agentSlots.append(Evidence.AgentStats()) }
        return slot
    }

    private func countAgent(_ r: AuditRecord, info: KindInfo) {
        let a = agentSlot(r.agentID)
        var spent: Int64 = 0
        if r.kind == EventKind.llmCall || r.kind == EventKind.costTracked, let metadata = parsedMetadata(r),
           let usage = try? CostLedger.usage(metadata: metadata, model: r.model, kind: r.kind) {
            spent = usage.usd.nanos
            evidence.usdNanos = evidence.usdNanos.saturatingAdd(spent)
        }
        guard a >= 0 else {
            evidence.agentEventsOmitted += 1
            if info.isAnomaly { evidence.anomaliesUntimed += 1 }
            return
        }
        agentSlots[a].events += 1
        agentSlots[a].usdNanos = agentSlots[a].usdNanos.saturatingAdd(spent)
        if r.createdAt < agentSlots[a].firstAt { agentSlots[a].firstAt = r.createdAt }
        if agentSlots[a].lastAt < r.createdAt { agentSlots[a].lastAt = r.createdAt }
        if !agentsInSession.contains(a) {
            // Bounded too: a session with thousands of agents checks only the first 1,000.
            if agentsInSession.count < 1_000 { agentsInSession.append(a) }
            agentSlots[a].sessions += 1
        }
        if let model = r.model, !agentSlots[a].models.contains(model) {
            if agentSlots[a].models.count < 32 { agentSlots[a].models.append(model) } else { agentSlots[a].modelsOmitted += 1 }
        }
        if info.isAnomaly {
            agentSlots[a].anomalies += 1
            if case .number(let code)? = parsedMetadata(r)?["exit_code"], code != 0 {
                // Refused by the enforcement path: the block is the response.
                evidence.anomaliesRefused += 1
                agentSlots[a].anomaliesResponded += 1
                evidence.anomaliesResponded += 1
            } else if anomalyTimes.count < Evidence.maxAnomaliesTimed {
                anomalyTimes.append((a, r.createdAt))
            } else {
                evidence.anomaliesUntimed += 1
            }
        }
        if info.isResponse, agentSlots[a].lastResponseAt.map({ $0 < r.createdAt }) ?? true { agentSlots[a].lastResponseAt = r.createdAt }
        if r.kind == EventKind.policyApplied { agentSlots[a].hasPolicy = true }
        if r.kind == EventKind.operatorKill { agentSlots[a].kills += 1 }
        if info.isAnomaly || info.isAction || EvidenceKinds.otherDenials.contains(r.kind) { agentSlots[a].acted = true }
    }

    private func countAction(_ r: AuditRecord) {
        evidence.actions += 1
        if r.kind == EventKind.llmCall, r.model == nil { evidence.llmCallsWithoutModel += 1 }
        if r.kind == EventKind.toolCall, grantsAwaitingAction > 0 {
            grantsAwaitingAction -= 1
            evidence.grantsFollowedByAction += 1
        }
        if r.inputHash != nil { evidence.withInputHash += 1 }
        guard annexIII1a else { return }
        let metadata = parsedMetadata(r)
        if let db = metadata?[EvidenceKinds.Field.referenceDatabase]?.stringValue, !db.isEmpty { evidence.withReferenceDatabase += 1 }
        if metadata?[EvidenceKinds.Field.match] == .bool(true) {
            evidence.matches += 1
            if r.inputHash != nil { evidence.matchesWithInput += 1 }
        }
    }

    /// Gates, kills, policies, earlier reports: the only kinds whose metadata is parsed.
    private func countOther(_ r: AuditRecord) {
        switch r.kind {
        case EventKind.gateRequested:
            evidence.gatesRequested += 1
        case EventKind.gateGranted, EventKind.gateDenied:
            let granted = r.kind == EventKind.gateGranted
            if granted { evidence.gatesGranted += 1; grantsAwaitingAction += 1 } else { evidence.gatesDenied += 1 }
            if let who = operatorName(r) {
                evidence.decisionsIdentified += 1
                countOperator(who) { if granted { $0.granted += 1 } else { $0.denied += 1 } }
            }
        case EventKind.killEnforced, EventKind.enforcementDenied:
            evidence.otherDenials += 1
            if r.kind == EventKind.killEnforced { evidence.killsEnforced += 1 }
        case EventKind.operatorKill, EventKind.operatorRevive:
            let killed = r.kind == EventKind.operatorKill
            if killed { evidence.kills += 1 } else { evidence.revivals += 1 }
            if let who = operatorName(r) {
                if killed { evidence.killsIdentified += 1 }
                countOperator(who) { if killed { $0.kills += 1 } else { $0.revivals += 1 } }
            }
        case EventKind.policyApplied:
            evidence.policiesApplied += 1
        default:
            break
        }
    }

    private func countOperator(_ name: String, _ update: (inout Evidence.OperatorStats) -> Void) {
        guard evidence.operators[name] != nil || evidence.operators.count < Evidence.maxOperators else {
            evidence.operatorsOmitted += 1
            return
        }
        update(&evidence.operators[name, default: Evidence.OperatorStats()])
    }

    private func parsedMetadata(_ r: AuditRecord) -> JSONValue? { try? JSONParser.parse(r.metadataJSON) }

    /// The operator a decision names (`by`, else `operator`); a missing or empty field is "not
    /// identified", never a failure.
    private func operatorName(_ r: AuditRecord) -> String? {
        let metadata = parsedMetadata(r)
        for field in [EvidenceKinds.Field.operatorBy, EvidenceKinds.Field.operatorName] {
            if let name = metadata?[field]?.stringValue, !name.trimmingSpaces.isEmpty { return name }
        }
        return nil
    }
}

/// Distinct keys numbered in the order first seen, up to a cap: the aggregator keeps its figures in
/// arrays by slot, and a key equal to the previous one costs a comparison instead of a hash.
struct InternedSlots<Key: Hashable> {
    private var index: [Key: Int] = [:]
    private(set) var keys: [Key] = []
    private var last: (key: Key, slot: Int)?
    let cap: Int

    init(cap: Int) { self.cap = cap }

    /// The key's slot (`isNew` when it was just given one), or nil once the cap is reached.
    mutating func slot(_ key: Key) -> (slot: Int, isNew: Bool)? {
        if let last, last.key == key { return (last.slot, false) }
        var result: (slot: Int, isNew: Bool)
        if let existing = index[key] {
            result = (existing, false)
        } else {
            guard keys.count < cap else { return nil }
            result = (keys.count, true)
            index[key] = keys.count
            keys.append(key)
        }
        last = (key, result.slot)
        return result
    }

    func existingSlot(_ key: Key) -> Int? { index[key] }
}

