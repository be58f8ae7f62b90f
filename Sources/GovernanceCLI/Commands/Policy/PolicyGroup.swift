import GovernanceCore

enum Policy {
    static let group = GroupSpec("policy", "Apply, list and remove agents' policies (scope, budget, loop)",
                                 doc: "A policy file (YAML or JSON, docs/POLICIES.md) says per agent which tools and APIs it may use, its budget caps and its loop limits. Scope is default deny: an agent with no policy may do nothing. Every change is audited in the agent's own chain with the SHA-256 of the policy's canonical form.",
                                 commands: [Apply.command, Diff.command, Test.command, List.command, Show.command, Delete.command, Export.command])

    static let agentArgument: Positional<String> = .one("AGENT", "The agent's id", completion: .agent)

    static func text(_ stored: PolicyStore.Stored) -> String {
        "\(Render.escaped(stored.policy.agentID))  sha256 \(stored.sha256.prefix(16))...  applied \(stored.appliedAt.iso8601)  from \(Render.escaped(stored.source))"
    }
}
