import GovernanceCore

/// Commands without a group word: `governance init`, `governance help`, ...
enum TopLevel {
    static let group = GroupSpec(nil, "Set up, and documentation generated from the command table",
                                 doc: "Commands used without a group word.",
                                 commands: [Init.command, HelpCommand.command, CompletionsCommand.command, CompleteCommand.command, ManCommand.command, Exec.command])
}
