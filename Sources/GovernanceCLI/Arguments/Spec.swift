import GovernanceCore

/// How a shell should complete a flag's value.
public enum CompletionKind: String, Sendable {
    case none, file, directory, choices
}

/// One flag, declared once: the parser, `--help`, the man pages and the shell completions are
/// all generated from this (ripgrep's model).
public struct FlagSpec: Sendable {
    public let name: String
    public let short: Character?
    /// The value's placeholder in help (`ID`, `FILE`); nil for a switch that takes no value.
    public let valueName: String?
    public let summary: String
    public let doc: String
    public let choices: [String]
    public let completion: CompletionKind
    /// May be given more than once (values accumulate); otherwise the last one wins.
    public let repeatable: Bool
    /// The environment variable used when the flag is absent, for documentation.
    public let environment: String?

    public init(_ name: String, short: Character? = nil, value: String? = nil, _ summary: String, doc: String = "",
                choices: [String] = [], completion: CompletionKind? = nil, repeatable: Bool = false, environment: String? = nil) {
        self.name = name
        self.short = short
        self.valueName = value
        self.summary = summary
        self.doc = doc
        self.choices = choices
        self.completion = completion ?? (choices.isEmpty ? .none : .choices)
        self.repeatable = repeatable
        self.environment = environment
    }

    public var takesValue: Bool { valueName != nil }

    /// `-a, --agent ID` as shown in help.
    public var usage: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--" + name
        if let valueName { text += " " + valueName }
        return text
    }
}

public struct PositionalSpec: Sendable {
    public let name: String
    public let summary: String
    public let optional: Bool
    public let variadic: Bool
    public let choices: [String]

    public init(_ name: String, _ summary: String, optional: Bool = false, variadic: Bool = false, choices: [String] = []) {
        self.name = name
        self.summary = summary
        self.optional = optional
        self.variadic = variadic
        self.choices = choices
    }
}

/// One command: its place in the tree, its documentation, its flags and its handler.
public struct CommandSpec: Sendable {
    public let path: [String]
    public let summary: String
    public let doc: String
    public let flags: [FlagSpec]
    public let positionals: [PositionalSpec]
    public let examples: [String]
    public let handler: @Sendable (Invocation) throws -> Int32

    public init(_ path: [String], _ summary: String, doc: String = "", flags: [FlagSpec] = [],
                positionals: [PositionalSpec] = [], examples: [String] = [],
                handler: @escaping @Sendable (Invocation) throws -> Int32) {
        self.path = path
        self.summary = summary
        self.doc = doc
        self.flags = flags
        self.positionals = positionals
        self.examples = examples
        self.handler = handler
    }

    public var name: String { path.joined(separator: " ") }

    public func flag(named name: String) -> FlagSpec? { flags.first { $0.name == name } }
    public func flag(short: Character) -> FlagSpec? { flags.first { $0.short == short } }
}

/// A group of commands (`audit`, `db`): a name and what it is for.
public struct GroupSpec: Sendable {
    public let name: String
    public let summary: String
    public let doc: String
}
