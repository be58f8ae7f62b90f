import GovernanceCore

extension Session {
    enum New {
        static let command = CommandSpec(
            "new", "Print a fresh session id (a random UUID)",
            doc: "Nothing is stored: a session's chain begins with its first event.",
            examples: ["export GOVERNANCE_SESSION_ID=$(governance session new)"],
            role: .meta
        ) { _, run in
            let id = try SessionID.random()
            run.emit(json: .object([("session_id", .string(id.value))]), text: id.value)
            return 0
        }
    }
}
