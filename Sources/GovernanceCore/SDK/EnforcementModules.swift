extension Governance {
    /// `scope check | filter-tools`.
    public struct Scope: Sendable {
        let governance: Governance

        /// `scope check --tool T`: allowed, or throws 10 (violation), 11 (no policy), 15 (killed),
        /// 4 (store unreachable, unless `failOpen`). A denial is audited.
        public func check(agentID: String, sessionID: SessionID? = nil, tool: String, failOpen: Bool = false) throws -> Checked<ScopeCheck.Decision> {
            try check(agentID: agentID, sessionID: sessionID, .tool(tool), failOpen: failOpen)
        }

        /// `scope check --api "METHOD URL"`.
        public func check(agentID: String, sessionID: SessionID? = nil, api: String, failOpen: Bool = false) throws -> Checked<ScopeCheck.Decision> {
            try check(agentID: agentID, sessionID: sessionID, .api(api), failOpen: failOpen)
        }

        public func check(agentID: String, sessionID: SessionID? = nil, _ request: ScopeCheck.Request,
                          failOpen: Bool = false) throws -> Checked<ScopeCheck.Decision> {
            try governance.enforcing { try $0.scopeCheck(agentID: agentID, sessionID: sessionID, request, failOpen: failOpen) }
        }

        /// `scope filter-tools`: `tools` without the agent's hidden ones. A courtesy, not a check:
        /// when the store is unreachable the list comes back unfiltered, with a warning.
        public func filterTools(agentID: String, _ tools: [String]) throws -> (tools: [String], warnings: [String]) {
            do {
                let policy = try governance.reading { try PolicyStore(db: $0).policy(for: agentID) }
                return (ScopeCheck.filterTools(tools, policy: policy), [])
            } catch let error as GovernanceError where error.kind == .storeUnavailable || error.kind == .configuration {
                return (tools, ["the store is unavailable (\(error.message)); the tools are returned unfiltered"])
            }
        }
    }

    /// `cost check | track | track-usage | snapshot | breakdown | models`.
    public struct Cost: Sendable {
        let governance: Governance

        /// `cost check`: within budget (the snapshot, and the reservation of a non-empty
        /// projection, to settle with `track(reservationID:)`), or throws 12 naming the cap, 11,
        /// 15, 4. `CostProjection.resolve` prices `--max-tokens` with `--model` as the command does.
        public func check(agentID: String, sessionID: SessionID? = nil, projection: CostProjection = .none,
                          failOpen: Bool = false) throws -> Checked<BudgetDecision> {
            try governance.enforcing { try $0.costCheck(agentID: agentID, sessionID: sessionID, projection: projection, failOpen: failOpen) }
        }

        /// `cost track`: counts the spend (per session, per agent and UTC day) when its event
        /// (`cost.tracked`, or `llm.call` for a model) enters the chain; an observation.
        public func track(agentID: String, sessionID: SessionID? = nil, usage: CostLedger.Usage, reservationID: String? = nil,
                          requireDurable: Bool = false) throws -> Recorded {
            var usage = usage
            if let reservationID {
                guard let id = SessionID(reservationID) else {
                    throw GovernanceError.invalid("--reservation \(quoted(reservationID)) is not a reservation id (a UUID printed by `cost check`)")
                }
                usage.reservationID = id.value
            }
            let session = AgentChain.resolve(sessionID, agentID: agentID)
            let event = try PendingEvent(validating: CostLedger.event(agentID: agentID, sessionID: session, usage: usage))
            var recorded = try governance.recording([event], requireDurable: requireDurable)
            // The budget's soft alerts (`alert_at`) this spend reached, as `cost track` raises them.
            if recorded.status == .appended {
                recorded.warnings += try governance.reading { db in
                    CostLedger(db: db).alertAfterSpend(agentID: agentID, sessionID: session, keys: governance.keys, environment: FileSystem.environment)
                }
            }
            return recorded
        }

        /// `cost track-usage`: prices a model call from `pricing` and tracks it as `llm.call`; an
        /// unpriced model is tracked at $0 with a warning.
        public func trackUsage(agentID: String, sessionID: SessionID? = nil, model: String, inputTokens: Int64, outputTokens: Int64,
                               cachedInputTokens: Int64 = 0, pricing: PricingTable = .builtIn, reservationID: String? = nil,
                               requireDurable: Bool = false) throws -> Recorded {
            let usage = try CostLedger.Usage(model: model, inputTokens: inputTokens, outputTokens: outputTokens,
                                             cachedInputTokens: cachedInputTokens, pricing: pricing)
            var recorded = try track(agentID: agentID, sessionID: sessionID, usage: usage, reservationID: reservationID, requireDurable: requireDurable)
            if !usage.priced {
                recorded.warnings.insert("no price is known for model \(quoted(model)): it is tracked at $0 (see `governance cost models --unpriced`, or give a --pricing-file)", at: 0)
            }
            return recorded
        }

        /// `cost snapshot`: what the session and the agent today have spent, and what is left.
        public func snapshot(agentID: String, sessionID: SessionID? = nil) throws -> BudgetSnapshot {
            try governance.reading { db in
                try CostLedger(db: db).snapshot(agentID: agentID, sessionID: AgentChain.resolve(sessionID, agentID: agentID),
                                                budget: try PolicyStore(db: db).policy(for: agentID)?.budget)
            }
        }

        /// `cost breakdown`: spend per model.
        public func breakdown(agentID: String) throws -> [ModelUsage] {
            try governance.reading { try CostLedger(db: $0).breakdown(agentID: agentID) }
        }

        /// `cost report`: fleet spend from `since` up to `until`, grouped by agent, model or UTC day.
        public func report(by grouping: CostReport.Grouping = .agent, since: Timestamp? = nil, until: Timestamp? = nil,
                           agentID: String? = nil) throws -> CostReport {
            try governance.reading { try CostReport.build($0, by: grouping, since: since, until: until, agentID: agentID) }
        }

        /// `cost models`: the pricing table in effect (the built-in one, overridden by `pricingFile`
        /// or GOVERNANCE_PRICING_FILE).
        public func models(pricingFile: String? = nil) throws -> [ModelPrice] {
            try PricingTable.resolve(file: pricingFile).all
        }

        /// `cost models --unpriced`.
        public func unpricedModels() throws -> [String] {
            try governance.reading { try CostLedger(db: $0).unpricedModels() }
        }
    }

    /// `loop record | check`.
    public struct Loop: Sendable {
        let governance: Governance

        /// `loop record`: counts the call; a loop under `action: raise` throws 13 (under `log`
        /// it is allowed, audited and warned).
        public func record(agentID: String, sessionID: SessionID? = nil, tool: String, failOpen: Bool = false) throws -> Checked<LoopDetector.Observation> {
            try governance.enforcing { try $0.loopRecord(agentID: agentID, sessionID: sessionID, tool: tool, failOpen: failOpen) }
        }

        /// `loop check`: the tools in a detected loop now (an observation: nothing is recorded).
        public func check(agentID: String, sessionID: SessionID? = nil) throws -> [LoopDetector.Observation] {
            try governance.reading { db in
                try LoopDetector(db: db).check(agentID: agentID, sessionID: AgentChain.resolve(sessionID, agentID: agentID),
                                               policy: try PolicyStore(db: db).policy(for: agentID)?.loop)
            }
        }
    }

    /// `contract check-pre | check-post`.
    public struct Contracts: Sendable {
        let governance: Governance

        /// `contract check-pre`: the tool's pre-conditions hold, or throws 14 naming the first that
        /// does not (audited as `contract.pre_violation`). A `hitl_approved` uses up its approval.
        public func checkPre(agentID: String, sessionID: SessionID, tool: String, actionDigest: String? = nil,
                             failOpen: Bool = false) throws -> Checked<ContractOutcome> {
            try governance.enforcing {
                try $0.contractCheck(agentID: agentID, sessionID: sessionID, tool: tool, phase: .pre, actionDigest: actionDigest, failOpen: failOpen)
            }
        }

        /// `contract check-post`.
        public func checkPost(agentID: String, sessionID: SessionID, tool: String, failOpen: Bool = false) throws -> Checked<ContractOutcome> {
            try governance.enforcing { try $0.contractCheck(agentID: agentID, sessionID: sessionID, tool: tool, phase: .post, failOpen: failOpen) }
        }
    }

    /// `compliance report`.
    public struct Compliance: Sendable {
        let governance: Governance

        /// A written report: the model, the document in `format`, and its SHA-256 (recorded in
        /// `report.generated`).
        public struct Written: Sendable {
            public var report: ComplianceReport
            public var document: String
            public var sha256: String
            public var warnings: [String]
        }

        /// `compliance report --kind article12`: the seven sections of Article 12.
        public func article12(_ filters: ReportFilters = ReportFilters(), verifyChain: Bool = true, annexIII1a: Bool = false,
                              retentionDays: Int64 = ReportOptions.defaultRetentionDays, format: String = "json",
                              failOn: EvidenceStatus? = nil) throws -> Written {
            try report(ReportOptions(kind: .article12, filters: filters, verifyChain: verifyChain, annexIII1a: annexIII1a,
                                     retentionDays: retentionDays), format: format, failOn: failOn)
        }

        /// `compliance report --kind summary`: agents, violations and human oversight.
        public func summary(_ filters: ReportFilters = ReportFilters(), verifyChain: Bool = false, format: String = "json") throws -> Written {
            try report(ReportOptions(kind: .summary, filters: filters, verifyChain: verifyChain), format: format, failOn: nil)
        }

        /// Gathers, renders (`json`, `markdown`, `html`, `text`) and audits the report. As the
        /// command, a failed chain throws 20 and `failOn` 21, after the report was audited; the
        /// written report is then not returned (run again without `verifyChain`/`failOn` to read it).
        public func report(_ options: ReportOptions, format: String = "json", failOn: EvidenceStatus? = nil) throws -> Written {
            let report = try governance.reading { try ComplianceReporter(db: $0, keys: governance.keys).generate(options) }
            let document = report.rendered(format: format)
            let sha256 = Digest.sha256Hex(document)
            var recorded = try governance.recording([try ComplianceReporter.generatedEvent(report, sha256: sha256, format: format)],
                                                    requireDurable: false)
            if recorded.status == .unavailable { recorded.warnings.append("report.generated for report \(report.reportID) was NOT recorded") }
            if let failure = report.failure(failOn: failOn) { throw failure }
            return Written(report: report, document: document, sha256: sha256, warnings: recorded.warnings)
        }
    }
}
