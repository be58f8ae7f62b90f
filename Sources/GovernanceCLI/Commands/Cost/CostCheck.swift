import GovernanceCore

extension Cost {
    enum Check {
        static let projected: Flag<Int64> = .integer("projected-tokens", "Deny if this call's tokens would pass a token cap; reserve them when allowed",
                                                     doc: "Default: GOVERNANCE_DEFAULT_MAX_TOKENS when set.", range: 1...Int64.max)
        static let maxTokens: Flag<Int64> = .integer("max-tokens", "The call's max_tokens: the same projection under the reference SDK's name",
                                                     doc: "With --model, priced at the model's dearest per-token rate (the worst case) against the USD caps. Default: GOVERNANCE_DEFAULT_MAX_TOKENS when set.",
                                                     range: 1...Int64.max)

        /// The flags of a projection, as `cost check` and `exec` declare them.
        static let projectionFlags: [any FlagDeclaration] = [
            projected.conflicts(with: maxTokens), maxTokens,
            SharedFlags.model.described("The model the call will use: its projected tokens are priced against the USD caps",
                                        doc: "A model without a price is denied when the agent has a USD cap, unless its policy says budget.unpriced: track_at_zero."),
            Cost.pricingFile,
        ]

        /// The projection those flags give (GOVERNANCE_DEFAULT_MAX_TOKENS when no count is given).
        static func projection(_ args: Arguments, _ run: Run) throws -> CostProjection {
            let model = try args[SharedFlags.model], file = try args[Cost.pricingFile]
            // Only a model is priced: building the built-in table (329 models) cost a check without
            // one 715,000 instructions. A pricing file given is still read, and refused when bad.
            let pricing = model == nil && file == nil ? PricingTable([]) : try PricingTable.resolve(file: file, environment: { _ in nil })
            return try CostProjection.resolve(projectedTokens: try args[projected], maxTokens: try args[maxTokens], model: model,
                                              pricing: pricing, environment: { run.environment($0) })
        }

        static let command = CommandSpec.enforcing(
            "check", "Exit 0 and reserve the projection while the agent is within its budget, 12 naming the cap when it is not",
            doc: """
            Goes through the enforcement path (store, kill switch, then the budget), after replaying spend that \
            this host spooled while the store was away. Exits 12 naming the cap, what is used (spend plus live \
            reservations) and the limit when a cap is reached, or when the projection (--projected-tokens or \
            --max-tokens, and with --model its worst-case USD) would pass a cap; the denial is audited as \
            budget.exceeded. A check that passes reserves its projection in the same transaction that read the \
            spend, so concurrent checks never jointly pass a cap; it prints the reservation id, which `cost track \
            --reservation ID` or `cost track-usage --reservation ID` settles. Unsettled reservations expire after \
            the policy's budget.reservation_seconds (default 900). The session clock (per_session_seconds) starts \
            at the session's first tracked or checked call. An agent with no policy exits 11; a policy without a \
            budget has no caps. Prints the budget snapshot when allowed.
            """,
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain] + projectionFlags,
            examples: ["governance cost check --agent billing-agent --projected-tokens 4000",
                       "id=$(governance cost check -a billing-agent -m gpt-4o --max-tokens 4000 --json | jq -r .reservation_id)"],
            failures: [.budgetExceeded, .noPolicy, .invalidInput],
            decide: { args, run, enforcer in
                return try enforcer.costCheck(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                              projection: try projection(args, run))
            },
            render: { decision, _, run in
                var text = "within budget: " + Snapshot.text(decision.snapshot)
                if let r = decision.reservation {
                    text = "reservation \(r.id)\n" + text + "\nreserved \(Render.count(Int(clamping: r.tokens), "token")) and $\(r.usd.decimal) until \(r.expiresAt.iso8601)"
                }
                run.emit(json: .object([("allowed", .bool(true))] + Reservation.json(decision.reservation) + (decision.snapshot.json.objectMembers ?? [])),
                         text: text)
                return 0
            })
    }
}
