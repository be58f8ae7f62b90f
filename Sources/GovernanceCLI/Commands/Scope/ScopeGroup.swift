import GovernanceCore

enum Scope {
    static let group = GroupSpec("scope", "Check tools and API calls against an agent's policy (default deny)",
                                 doc: "An agent may call a tool or an API only when its policy allows it; with no policy it may do nothing (exit 11). Denials are audited in the session's chain (or the agent's own). docs/POLICIES.md gives the matching rules.",
                                 commands: [Check.command, FilterTools.command])
}
