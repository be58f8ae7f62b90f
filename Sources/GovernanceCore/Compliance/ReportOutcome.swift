/// What `compliance report` writes and exits with, for the CLI and the Swift API alike.
extension ComplianceReport {
    /// The report as a document: `json`, `markdown`, `html`, or text (anything else).
    public func rendered(format: String) -> String {
        switch format {
        case "json": JSONWriter.ordered(json) + "\n"
        case "markdown": ReportMarkdown.render(self)
        case "html": ReportHTML.render(self)
        default: ReportText.render(self)
        }
    }

    /// The failure the report exits with, once written: 20 for a failed chain comes first (a
    /// report over a changed log says nothing else for sure), then 21 when an applicable section
    /// is at or below `failOn`.
    public func failure(failOn: EvidenceStatus?) -> GovernanceError? {
        if chainIntegrity == .failed, let first = chainFailures.first {
            return GovernanceError(.integrityFailure,
                                   "audit chain integrity failure: session \(first.sessionID) seq \(first.seq): \(first.reason.rawValue); the report was written with chain_integrity_status \"failed\"",
                                   hint: "`governance audit verify` names every broken chain",
                                   details: [("report_id", .string(reportID)), ("session_id", .string(first.sessionID)),
                                             ("seq", .int64(first.seq)), ("reason", .string(first.reason.rawValue))])
        }
        if let failOn, isAtOrBelow(failOn) {
            let below = applicableSections.filter { $0.status.rank <= failOn.rank }
            return GovernanceError(.complianceBelowThreshold,
                                   "\(plural(below.count, "section")) at or below \(failOn.rawValue): "
                                     + below.map { "\($0.id) (\($0.status.rawValue))" }.joined(separator: ", "),
                                   hint: "each section's findings say what evidence is missing",
                                   details: [("report_id", .string(reportID)),
                                             ("sections", .array(below.map { .object([("id", .string($0.id)), ("status", .string($0.status.rawValue))]) }))])
        }
        return nil
    }
}
