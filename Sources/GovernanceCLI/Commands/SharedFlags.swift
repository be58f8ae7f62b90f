import GovernanceCore

/// Flags that several commands share, declared once.
///
/// The rule for the environment: a flag that names where an event is *written* (`--session`,
/// `--agent`) falls back to GOVERNANCE_SESSION_ID / GOVERNANCE_AGENT_ID; a flag that *filters*
/// what is read does not, so that `audit verify` in a shell with GOVERNANCE_SESSION_ID exported
/// still verifies every chain (docs/DECISIONS.md).
enum SharedFlags {
    static let session: Flag<SessionID> = .uuid("session", short: "s", "The session (one agent run)",
                                                doc: "A UUID from `governance session new`.", environment: "GOVERNANCE_SESSION_ID",
                                                requirement: .required)
    static let agent: Flag<String> = .text("agent", short: "a", value: "ID", "The agent's id (1-256 bytes)",
                                           environment: "GOVERNANCE_AGENT_ID", requirement: .required)
    /// The session of an enforcement or cost command: without one, the agent's own chain and
    /// counters (a UUIDv5 of the agent id, docs/CHAIN.md).
    static let optionalSession: Flag<SessionID> = .uuid("session", short: "s", "The session (one agent run); default: the agent's own",
                                                        doc: "A UUID from `governance session new`. Without it, the agent's own chain and session counters are used.",
                                                        environment: "GOVERNANCE_SESSION_ID")
    static let agentFilter: Flag<String> = .text("agent", short: "a", value: "ID", "Only this agent's events")
    static let sessionFilter: Flag<SessionID> = .uuid("session", short: "s", "Only this session's events")
    static let kindFilter: Flag<String> = .text("kind", short: "k", value: "KIND", "Only events of this kind")
}

extension SharedFlags {
    /// The operator an action is recorded for; the OS user and host are recorded as well.
    static let by: Flag<String> = .text("by", value: "OPERATOR", "Who is acting (default: the OS user)",
                                        doc: "Recorded with the OS user and the host name, whatever it claims.")
}

extension SharedFlags {
    /// The operator's private key: operator actions (kill, revive, grant, deny, cancel, policy
    /// apply and delete, operator add and remove) are signed with it, and the enforcement path
    /// acts only on signed ones.
    static let operatorKey: Flag<String> = .path("operator-key", value: "FILE",
                                                 "The operator's Ed25519 private key (PEM); the action is signed with it",
                                                 doc: "Its public key must be registered (`governance operator add`). The file must be private to its owner, like the audit secret.",
                                                 environment: "GOVERNANCE_OPERATOR_KEY_FILE", requirement: .required)

    /// The registered operator holding `--operator-key`, and where this process runs.
    static func operatorCredential(_ args: Arguments, _ run: Run) throws -> (credential: OperatorCredential, identity: OperatorIdentity) {
        let credential = try OperatorCredential.load(keyFile: try args.require(operatorKey), db: try run.store.connection)
        return (credential, try OperatorIdentity.current(claimed: credential.name))
    }
}
