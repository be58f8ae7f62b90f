/// How well the log evidences one section, for the actions observed: never a verdict on the
/// deployment. Ordered from worst to best so that `--fail-on` is a comparison.
public enum EvidenceStatus: String, Sendable, CaseIterable {
    case nonCompliant = "non_compliant"
    case partial = "partial"
    case compliant = "compliant"
    case notApplicable = "not_applicable"

    /// Rank for gating: lower is worse; not_applicable is never gated.
    public var rank: Int {
        switch self {
        case .nonCompliant: 0
        case .partial: 1
        case .compliant: 2
        case .notApplicable: 3
        }
    }

    /// What the status means, in the words the report uses.
    public var reading: String {
        switch self {
        case .compliant: "evidence sufficient for the actions observed"
        case .partial: "evidence partial for the actions observed"
        case .nonCompliant: "evidence insufficient for the actions observed"
        case .notApplicable: "does not apply to this system"
        }
    }
}

public enum ReportKind: String, Sendable, CaseIterable {
    case article12
    case summary
}

/// Whether the report checked the chains it read.
public enum ChainIntegrityStatus: String, Sendable {
    case verified
    case failed
    /// `--verify-chain` was not given.
    case unverified
    /// No event was read, so there was nothing to verify: an empty store, or filters that match
    /// nothing. Never reported as `verified`.
    case empty
}

/// What the report covers: each filter as given (nil: not filtered).
public struct ReportFilters: Sendable {
    public var agentID: String?
    public var sessionIDs: [SessionID]
    public var from: Timestamp?
    public var to: Timestamp?

    public init(agentID: String? = nil, sessionIDs: [SessionID] = [], from: Timestamp? = nil, to: Timestamp? = nil) {
        self.agentID = agentID
        self.sessionIDs = sessionIDs
        self.from = from
        self.to = to
    }

    /// True when an event is inside the agent and time filters (sessions are selected by the query).
    func admits(agentID agent: String, at time: Timestamp) -> Bool {
        if let agentID, agent != agentID { return false }
        if let from, time < from { return false }
        if let to, !(time < to) { return false }
        return true
    }

    public var json: JSONValue {
        .object([
            ("agent", .optional(agentID)),
            ("sessions", .array(sessionIDs.map { .string($0.value) })),
            ("from", .optional(from?.iso8601)),
            ("to", .optional(to?.iso8601)),
        ])
    }
}

/// Options that change how evidence is judged.
public struct ReportOptions: Sendable {
    public var kind: ReportKind
    public var filters: ReportFilters
    public var verifyChain: Bool
    /// The system is a remote biometric identification system (Annex III point 1(a)): paragraph
    /// 12(3) applies.
    public var annexIII1a: Bool
    /// Articles 19(1) and 26(6): at least six months.
    public var retentionDays: Int64
    /// Whether the report's generation is audited (`report.generated`); false for a read-only
    /// credential (`--no-record`), and the report says so.
    public var recordGeneration: Bool
    /// The system, its provider and deployer, and a sign-off, as given.
    public var metadata: ReportMetadata
    /// Rows of the sessions table in the human formats; the rest are counted ("and 12 more
    /// sessions"). The JSON report lists every session the reader kept.
    public var sessionsShown: Int

    public static let defaultRetentionDays: Int64 = 183
    public static let defaultSessionsShown = 50

    public init(kind: ReportKind, filters: ReportFilters = ReportFilters(), verifyChain: Bool = false, annexIII1a: Bool = false,
                retentionDays: Int64 = defaultRetentionDays, recordGeneration: Bool = true, metadata: ReportMetadata = ReportMetadata(),
                sessionsShown: Int = defaultSessionsShown) {
        self.recordGeneration = recordGeneration
        self.metadata = metadata
        self.sessionsShown = sessionsShown
        self.kind = kind
        self.filters = filters
        self.verifyChain = verifyChain
        self.annexIII1a = annexIII1a
        self.retentionDays = retentionDays
    }
}

/// A table of a section, for the human formats (text, Markdown, HTML). Cells are store text:
/// every renderer escapes them for its format.
public struct ReportTable: Sendable {
    public var title: String
    public var columns: [String]
    public var rows: [[String]]
    /// Rows left out to keep the report bounded ("and N more").
    public var omitted: Int
    /// What a row is, plural, for the count of the rest ("and 12 more sessions"); nil: "and 12 more".
    public var rowNoun: String?

    public init(title: String, columns: [String], rows: [[String]], omitted: Int = 0, rowNoun: String? = nil) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.omitted = omitted
        self.rowNoun = rowNoun
    }

    /// "and 12 more sessions", or "" when nothing was left out.
    public var omittedLine: String {
        omitted > 0 ? "and \(grouped(omitted)) more" + (rowNoun.map { " " + $0 } ?? "") : ""
    }
}

/// One section: what it evidences, its status and why, its figures.
public struct ReportSection: Sendable {
    public var id: String
    public var title: String
    /// The Article paragraphs it evidences, e.g. "Art. 12(1)".
    public var articles: [String]
    public var description: String
    public var status: EvidenceStatus
    /// Why the section earned its status, one sentence each.
    public var findings: [String]
    /// The key figures, as label and value, in order.
    public var facts: [(String, String)]
    public var tables: [ReportTable]
    /// The same figures for machines: stable snake_case names.
    public var data: JSONValue

    public var json: JSONValue {
        .object([
            ("id", .string(id)),
            ("title", .string(title)),
            ("articles", .array(articles.map(JSONValue.string))),
            ("description", .string(description)),
            ("status", .string(status.rawValue)),
            ("findings", .array(findings.map(JSONValue.string))),
            ("data", data),
        ])
    }
}

/// A finished report: every format is rendered from this.
public struct ComplianceReport: Sendable {
    public var reportID: String
    public var generatedAt: Timestamp
    public var kind: ReportKind
    public var options: ReportOptions
    public var chainIntegrity: ChainIntegrityStatus
    public var chainFailures: [ChainFailure]
    public var sections: [ReportSection]
    public var evidence: Evidence

    public static let coverageCaveat = "Only actions routed through governance are included: anything an agent did without calling governance is not in the log and not in this report."
    public static let integrityNote = "The audit chain is tamper-evident, not tamper-proof: a change to a stored event is detected by verification, but the log cannot stop someone with write access from changing or deleting it."
    public static let statusNote = "Statuses read as: evidence sufficient (compliant), partial, or insufficient (non_compliant) for the actions observed. They are not a verdict on the deployment's conformity."

    public var title: String {
        switch kind {
        case .article12: "Article 12 record-keeping evidence (Regulation (EU) 2024/1689)"
        case .summary: "Governance summary"
        }
    }

    /// Sections that `--fail-on` looks at.
    public var applicableSections: [ReportSection] { sections.filter { $0.status != .notApplicable } }

    /// True when a section that applies is at or below `threshold`.
    public func isAtOrBelow(_ threshold: EvidenceStatus) -> Bool {
        applicableSections.contains { $0.status.rank <= threshold.rank }
    }

    public var json: JSONValue {
        .object([
            ("report_id", .string(reportID)),
            ("generated_at", .string(generatedAt.iso8601)),
            ("kind", .string(kind.rawValue)),
            ("title", .string(title)),
            ("regulation", .string("Regulation (EU) 2024/1689 (AI Act)")),
            ("metadata", options.metadata.json),
            ("filters", options.filters.json),
            ("options", .object([
                ("verify_chain", .bool(options.verifyChain)),
                ("annex_iii_1a", .bool(options.annexIII1a)),
                ("retention_days", .int64(options.retentionDays)),
                ("record_generation", .bool(options.recordGeneration)),
            ])),
            ("chain_integrity_status", .string(chainIntegrity.rawValue)),
            ("chain_failures", .array(chainFailures.map(\.json))),
            ("chain_integrity_note", .string(Self.integrityNote)),
            ("coverage_caveat", .string(Self.coverageCaveat)),
            ("coverage_pct", .null),
            ("status_note", .string(Self.statusNote)),
            ("events_read", .int(evidence.events)),
            ("period", .object([("first_event_at", .optional(evidence.firstAt?.iso8601)),
                                ("last_event_at", .optional(evidence.lastAt?.iso8601))])),
            ("sections", .array(sections.map(\.json))),
            ("activity", evidence.activityJSON),
        ])
    }
}
