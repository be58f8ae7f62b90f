import GovernanceCore

enum Contract {
    static let group = GroupSpec("contract", "Check a tool's pre- and post-conditions from the agent's policy",
                                 doc: "A contract lists, per agent and tool, up to 20 pre-conditions (checked before the call) and 20 post-conditions (after it): hitl_approved, budget_available, scope_allowed, audit_logged, custom (docs/POLICIES.md). The first failing condition exits 14 naming it and its message; no contract for the pair exits 0.",
                                 commands: [command(.pre), command(.post)])

    static let actionDigest: Flag<String> = .text("action-digest", value: "SHA256",
                                                  "hitl_approved uses only an approval requested with this digest (gates request --action-digest)")
}
