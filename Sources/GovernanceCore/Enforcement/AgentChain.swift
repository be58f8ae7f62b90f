/// Every event lands in some chain: one with no session goes to its agent's own chain, whose
/// session id is `UUIDv5(namespace, UTF-8 agent id)` (docs/CHAIN.md states the namespace).
public enum AgentChain {
    /// `UUIDv5(NAMESPACE_URL, "urn:governance:agent-chain:v1")`, so any UUID library can derive it.
    public static let namespace = SessionID("6bf85211-ec46-54e2-b0c7-e9d7509eb432")!

    public static func sessionID(for agentID: String) -> SessionID {
        UUIDv5.make(namespace: namespace, name: agentID)
    }

    /// The given session, or the agent's own chain.
    public static func resolve(_ session: SessionID?, agentID: String) -> SessionID {
        session ?? sessionID(for: agentID)
    }
}
