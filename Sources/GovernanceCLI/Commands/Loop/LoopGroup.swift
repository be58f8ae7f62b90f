import GovernanceCore

enum Loop {
    static let group = GroupSpec("loop", "Detect an agent calling the same tool over and over",
                                 doc: "Calls are counted per agent, session and tool (case-insensitive) in a sliding window (window_seconds, max_calls in the agent's policy). The call that makes the count pass max_calls is a loop: with action raise it is denied (exit 13), with log it is allowed with a warning; loop.detected is audited either way.",
                                 commands: [Record.command, Check.command])
}
