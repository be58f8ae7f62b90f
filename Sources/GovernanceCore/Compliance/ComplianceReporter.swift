/// Builds a compliance report from the store: reads the evidence (one streaming pass, which is
/// also the chain verification with --verify-chain) and judges each section.
public struct ComplianceReporter {
    public let db: SQLConnection
    public let keys: PurposeKeys

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.keys = keys
    }

    public func generate(_ options: ReportOptions, now: Timestamp = .now(), progress: ((Int) -> Void)? = nil) throws -> ComplianceReport {
        guard options.retentionDays >= 1 else { throw GovernanceError.invalid("--retention-days must be at least 1") }
        guard options.sessionsShown >= 1 else { throw GovernanceError.invalid("--sessions-shown must be at least 1") }
        try options.metadata.validate()
        if let from = options.filters.from, let to = options.filters.to, !(from < to) {
            throw GovernanceError.invalid("--from (\(from.iso8601)) must be before --to (\(to.iso8601))")
        }
        let read = try EvidenceReader(db: db, keys: keys).read(options, progress: progress)
        let article12 = Article12Sections(evidence: read.evidence, integrity: read.integrity, failures: read.failures,
                                          options: options, now: now)
        let sections = options.kind == .article12 ? article12.all : SummarySections(article12: article12).all
        return ComplianceReport(reportID: try SessionID.random().value, generatedAt: now, kind: options.kind, options: options,
                                chainIntegrity: read.integrity, chainFailures: read.failures, sections: sections,
                                evidence: read.evidence)
    }


    /// The agent a `report.generated` event names when the report is not about one agent.
    public static let reportingAgent = "governance"

    /// The event that audits a report's generation (observation semantics: the caller records it
    /// through the recorder). It names the agent reported on (or "governance") and goes to the
    /// chain of the one session reported on, or to that agent's own chain.
    public static func generatedEvent(_ report: ComplianceReport, sha256: String, format: String) throws -> PendingEvent {
        let filters = report.options.filters
        let agentID = filters.agentID ?? reportingAgent
        let session = filters.sessionIDs.count == 1 ? filters.sessionIDs[0] : AgentChain.sessionID(for: agentID)
        return try PendingEvent(validating: AuditEventInput(
            sessionID: session, agentID: agentID, kind: EventKind.reportGenerated,
            metadata: .object([
                (EvidenceKinds.Field.reportID, .string(report.reportID)),
                (EvidenceKinds.Field.reportSHA256, .string(sha256)),
                (EvidenceKinds.Field.reportKind, .string(report.kind.rawValue)),
                ("format", .string(format)),
                ("chain_integrity_status", .string(report.chainIntegrity.rawValue)),
                ("filters", report.options.filters.json),
            ])))
    }
}
