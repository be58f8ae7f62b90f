import GovernanceCore

enum Secret {
    static let group = GroupSpec("secret", "Make audit secrets",
                                 doc: "The audit secret keys the HMAC chain. Keep it out of argv and logs: give it as a file (GOVERNANCE_AUDIT_SECRET_FILE) or an environment variable.",
                                 commands: [Generate.command])
}
