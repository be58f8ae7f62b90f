import GovernanceCore

extension Contract {
    /// `contract check-pre` and `contract check-post`: one definition, by phase.
    static func command(_ phase: ContractPhase) -> CommandSpec {
        let (name, when) = phase == .pre ? ("check-pre", "before") : ("check-post", "after")
        let extra = phase == .pre
            ? "A hitl_approved condition uses up the approval it found, once every condition passed, so an approval allows one call; with --action-digest only an approval requested for that digest counts, and without it only one that names no step. A pass is audited as contract.pre_checked (where audit_logged's \"since\" starts)."
            : "audit_logged passes when the session's chain holds a tool.result whose metadata names the tool, after the latest contract.pre_checked for it."
        return CommandSpec.enforcing(
            name, "Exit 0 when the tool's \(phase.rawValue)-conditions hold, 14 naming the first that does not",
            doc: """
            Goes through the enforcement path (store, kill switch), then checks the agent's contract for the \
            tool \(when) the call, in the order of the policy file. A failure exits 14 naming the condition, \
            its message and why, and is audited as contract.\(phase.rawValue)_violation. \(extra) A custom \
            condition runs its command without a shell, with GOVERNANCE_AGENT_ID, GOVERNANCE_SESSION_ID and \
            GOVERNANCE_TOOL set, stdin from /dev/null and its output on stderr; exit 0 within timeout_seconds passes.
            """,
            flags: [SharedFlags.agent.required, SharedFlags.session.required,
                    SharedFlags.tool.required.described("The tool the contract is for")] + (phase == .pre ? [actionDigest] : []),
            examples: ["governance contract \(name) --agent billing-agent --session \"$SESSION\" --tool charge_customer"],
            failures: [.contractViolation, .invalidInput],
            decide: { args, _, enforcer in
                try enforcer.contractCheck(agentID: try args.require(SharedFlags.agent), sessionID: try args.require(SharedFlags.session),
                                           tool: try args.require(SharedFlags.tool), phase: phase, actionDigest: phase == .pre ? try args[actionDigest] : nil)
            },
            render: { outcome, _, run in
                let what = outcome.conditions == 0 ? "no contract for \(Render.quoted(outcome.tool))"
                    : "\(Render.count(outcome.conditions, "\(outcome.phase.rawValue)-condition")) of \(Render.quoted(outcome.tool)) hold"
                run.emit(json: outcome.json, text: "allowed: " + what)
                return 0
            })
    }
}
