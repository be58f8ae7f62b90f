import GovernanceCore

/// Flags that several commands share, each defined once. A command declares its own use of one:
/// `SharedFlags.agent.required`, `SharedFlags.session.requiredUnless(batch)`,
/// `SharedFlags.agent.filter("Only this agent's events")`; its handler reads the definition
/// (`try args[SharedFlags.agent]`).
///
/// The rule for the environment: a flag that names where an event is *written* (`--session`,
/// `--agent`) falls back to GOVERNANCE_SESSION_ID / GOVERNANCE_AGENT_ID; a flag that *filters*
/// what is read does not (`filter`), so that `audit verify` in a shell with GOVERNANCE_SESSION_ID
/// exported still verifies every chain (docs/DECISIONS.md).
enum SharedFlags {
    static let agent: Flag<String> = .text("agent", short: "a", value: "ID", "The agent's id (1-256 bytes)", completion: .agent, environment: .agentID,
                                           missingHint: "name the agent, for example --agent billing-agent")
    static let session: Flag<SessionID> = .uuid("session", short: "s", "The session (one agent run)",
                                                doc: "A UUID from `governance session new`.", completion: .session, environment: .sessionID,
                                                missingHint: "run `export GOVERNANCE_SESSION_ID=$(governance session new)` once per agent run")
    /// The session of an enforcement or cost command: without one, the agent's own chain and
    /// counters (a UUIDv5 of the agent id, docs/CHAIN.md).
    static let sessionOrAgentChain = session.described("The session (one agent run); default: the agent's own",
                                                       doc: "A UUID from `governance session new`. Without it, the agent's own chain and session counters are used.")
    /// An event's kind (`llm.call`, `payment.send`).
    static let kind: Flag<String> = .text("kind", short: "k", value: "KIND", "What happened, e.g. llm.call, tool.call (1-256 bytes)")
    static let tool: Flag<String> = .text("tool", short: "t", value: "TOOL", "The tool being called")
    static let model: Flag<String> = .text("model", short: "m", value: "MODEL", "The model used, if any (at most 128 bytes)")
    static let metadata: Flag<JSONValue> = .jsonObject("metadata", "A JSON object, @FILE or - (stdin); at most 64 KiB encoded",
                                                       maxBytes: 1 << 20)
    static let agentFilter = agent.filter("Only this agent's events")
    static let sessionFilter = session.filter("Only this session's events")
}

extension SharedFlags {
    /// The operator an action is recorded for; the OS user and host are recorded as well.
    static let by: Flag<String> = .text("by", value: "OPERATOR", "Who is acting (default: the OS user)",
                                        doc: "Observed with the OS user and the host name, whatever it claims.")
}

extension SharedFlags {
    /// The operator's private key: operator actions (kill, revive, grant, deny, cancel, policy
    /// apply and delete, operator add and remove) are signed with it, and the enforcement path
    /// acts only on signed ones.
    static let operatorKey: Flag<String> = .path("operator-key", value: "FILE",
                                                 "The operator's Ed25519 private key (PEM); the action is signed with it",
                                                 doc: "Its public key must be registered (`governance operator add`). The file must be private to its owner, like the audit secret.",
                                                 environment: .operatorKeyFile)

    /// The registered operator holding `--operator-key`, and where this process runs.
    static func operatorCredential(_ args: Arguments, _ run: Run) throws -> (credential: OperatorCredential, identity: OperatorIdentity) {
        let credential = try OperatorCredential.load(keyFile: try args.require(operatorKey), db: try run.store.connection)
        return (credential, try OperatorIdentity.current(claimed: credential.name))
    }
}
