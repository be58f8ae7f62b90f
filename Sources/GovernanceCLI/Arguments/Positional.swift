import GovernanceCore

/// A command's positional argument, as help, the man page, the completions and the parser see it.
public struct PositionalSpec: Sendable {
    public let id: FlagID
    public let name: String
    public let summary: String
    public let optional: Bool
    public let variadic: Bool
    public let choices: [String]
    public let completion: CompletionKind

    init(_ name: String, _ summary: String, optional: Bool, variadic: Bool, choices: [String], completion: CompletionKind?) {
        id = FlagID()
        self.name = name
        self.summary = summary
        self.optional = optional
        self.variadic = variadic
        self.choices = choices
        self.completion = completion ?? (choices.isEmpty ? .none : .choices)
    }
}

/// A positional argument with the type a handler reads (`try args[agentArgument]`): `String` for
/// one word, `[String]` for a variadic rest. Like flags, reading one the command does not declare
/// throws.
///
///     static let agent: Positional<String> = .one("AGENT", "The agent's id")
///     static let argv: Positional<[String]> = .rest("COMMAND", "The command, after --")
public struct Positional<Value: Sendable>: Sendable {
    public let spec: PositionalSpec
}

extension Positional where Value == String {
    public static func one(_ name: String, _ summary: String, optional: Bool = false, choices: [String] = [],
                           completion: CompletionKind? = nil) -> Positional<String> {
        Positional(spec: PositionalSpec(name, summary, optional: optional, variadic: false, choices: choices, completion: completion))
    }
}

extension Positional where Value == [String] {
    public static func rest(_ name: String, _ summary: String, optional: Bool = false, completion: CompletionKind? = nil) -> Positional<[String]> {
        Positional(spec: PositionalSpec(name, summary, optional: optional, variadic: true, choices: [], completion: completion))
    }
}

/// Anything a command lists among its positional arguments.
public protocol PositionalDeclaration: Sendable {
    var spec: PositionalSpec { get }
}

extension Positional: PositionalDeclaration {}
