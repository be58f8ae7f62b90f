/// Flags that several commands share, declared once.
enum Flags {
    static let session = FlagSpec("session", short: "s", value: "UUID", "The session (one agent run)",
                                  doc: "A UUID from `governance session new`.", environment: "GOVERNANCE_SESSION_ID")
    static let agent = FlagSpec("agent", short: "a", value: "ID", "The agent's id (1-256 characters)", environment: "GOVERNANCE_AGENT_ID")
    static let agentFilter = FlagSpec("agent", short: "a", value: "ID", "Only this agent's events")
    static let sessionFilter = FlagSpec("session", short: "s", value: "UUID", "Only this session's events")
    static let kindFilter = FlagSpec("kind", short: "k", value: "KIND", "Only events of this kind")
}
