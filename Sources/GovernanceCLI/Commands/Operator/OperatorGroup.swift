import GovernanceCore

/// Operators: the people who kill, revive, decide approvals and apply policies, each with an
/// Ed25519 key pair whose public half is registered in the store.
enum Operator {
    static let group = GroupSpec("operator", "Operators: register the keys that sign kills, approvals and policies",
                                 doc: """
                                 An agent holds the audit secret, so nothing derived from it can tell an operator from \
                                 the agent. Each operator has an Ed25519 key pair instead: the private key stays with the \
                                 operator (never with the agent), the public key is registered with `operator add`, and \
                                 every operator action is signed with it. The enforcement path acts only on signed \
                                 actions; a row written into the store by hand is ignored and the ignoring audited. The \
                                 first operator of a store is added without a signature; every later add or remove is \
                                 signed by a registered operator. docs/SECURITY.md gives the threat model.
                                 """,
                                 commands: [Keygen.command, Add.command, List.command, Remove.command])
}
