import GovernanceCore

enum Session {
    static let group = GroupSpec("session", "Make session ids",
                                 doc: "A session is one agent run; each session has its own audit chain. Ids are UUIDs. `governance audit sessions` lists the sessions the store holds.",
                                 commands: [New.command])
}
