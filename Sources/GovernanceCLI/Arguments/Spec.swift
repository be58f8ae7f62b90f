import GovernanceCore

/// How a shell should complete a flag's value.
public enum CompletionKind: String, Sendable {
    case none, file, directory, choices
    /// A group or command name (`governance help <Tab>`).
    case command
    /// A group name (`governance man <Tab>`).
    case group
    /// An agent id from the store (`presence list --names`); nothing when the store is unreachable.
    case agent
}

/// What a flag's value is. The parser checks it before any command runs, with one error style,
/// and a handler reads the value already converted (`args[Log.kind]`), never a raw string.
public enum FlagKind: Sendable, Equatable {
    /// A switch: present or not.
    case toggle
    /// Free text (identifiers are checked again by the core, which owns their rules).
    case text
    /// A whole number within bounds.
    case integer(ClosedRange<Int64>)
    /// An exact decimal such as 0.50 (money is never a float).
    case decimal
    /// An RFC 3339 time or a date.
    case time
    /// A UUID (a session id).
    case uuid
    /// A file path.
    case path
    /// One of a fixed list.
    case choice([String])
    /// A JSON object: the text itself, `@FILE` or `-` (standard input), read at most `maxBytes`.
    case jsonObject(maxBytes: Int)
    /// Content to be hashed: text, `@FILE` or `-`; read as a stream, kept as its SHA-256.
    case content

    var takesValue: Bool { self != .toggle }

    /// The value's placeholder in help when the flag does not name one.
    var defaultValueName: String? {
        switch self {
        case .toggle: nil
        case .text: "TEXT"
        case .integer: "N"
        case .decimal: "DECIMAL"
        case .time: "TIME"
        case .uuid: "UUID"
        case .path: "PATH"
        case .choice: "CHOICE"
        case .jsonObject: "JSON"
        case .content: "TEXT"
        }
    }
}

/// Whether a command needs a flag.
public enum Requirement: Sendable, Equatable {
    case optional
    case required
    /// Required unless one of these flags is given (`audit log --kind`, unless `--batch`).
    case requiredUnless([String])
}

/// One flag, declared once: the parser, the resolver, `--help`, the man pages and the shell
/// completions are all generated from this (ripgrep's model).
public struct FlagSpec: Sendable {
    public let name: String
    public let short: Character?
    /// The value's placeholder in help (`ID`, `FILE`); nil for a switch.
    public let valueName: String?
    public let summary: String
    public let doc: String
    public let kind: FlagKind
    public let completion: CompletionKind
    /// May be given more than once (values accumulate); otherwise the last one wins.
    public let repeatable: Bool
    /// Read when the flag is absent.
    public let environment: String?
    public let requirement: Requirement
    /// Flags that cannot be given together with this one.
    public let conflicts: [String]
    /// Flags that must be given when this one is.
    public let requires: [String]

    public init(_ name: String, short: Character? = nil, kind: FlagKind, value: String? = nil, _ summary: String,
                doc: String = "", completion: CompletionKind? = nil, repeatable: Bool = false, environment: String? = nil,
                requirement: Requirement = .optional, conflicts: [String] = [], requires: [String] = []) {
        self.name = name
        self.short = short
        self.kind = kind
        self.valueName = kind.takesValue ? (value ?? kind.defaultValueName) : nil
        self.summary = summary
        self.doc = doc
        if let completion {
            self.completion = completion
        } else if case .choice = kind {
            self.completion = .choices
        } else {
            self.completion = kind == .path ? .file : .none
        }
        self.repeatable = repeatable
        self.environment = environment
        self.requirement = requirement
        self.conflicts = conflicts
        self.requires = requires
    }

    public var takesValue: Bool { kind.takesValue }

    public var choices: [String] {
        if case .choice(let list) = kind { return list }
        return []
    }

    public var isRequired: Bool { requirement != .optional }

    /// `-a, --agent ID` as shown in help.
    public var usage: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--" + name
        if let valueName { text += " " + valueName }
        return text
    }
}

/// A flag with the Swift type its value has once resolved: handlers read `args[flag]`, so a
/// misspelt flag is a compile error rather than a silent nil.
public struct Flag<Value: Sendable>: Sendable {
    public let spec: FlagSpec
    init(_ spec: FlagSpec) { self.spec = spec }
}

/// Anything a command lists among its flags.
public protocol FlagDeclaration: Sendable {
    var spec: FlagSpec { get }
}

extension Flag: FlagDeclaration {}

extension Flag where Value == Bool {
    public static func toggle(_ name: String, short: Character? = nil, _ summary: String, doc: String = "",
                              conflicts: [String] = [], requires: [String] = []) -> Flag<Bool> {
        Flag(FlagSpec(name, short: short, kind: .toggle, summary, doc: doc, conflicts: conflicts, requires: requires))
    }
}

extension Flag where Value == String {
    public static func text(_ name: String, short: Character? = nil, value: String? = nil, _ summary: String, doc: String = "",
                            completion: CompletionKind? = nil, environment: String? = nil, requirement: Requirement = .optional,
                            conflicts: [String] = [], requires: [String] = []) -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .text, value: value, summary, doc: doc, completion: completion,
                      environment: environment, requirement: requirement, conflicts: conflicts, requires: requires))
    }

    public static func path(_ name: String, short: Character? = nil, value: String = "PATH", _ summary: String, doc: String = "",
                            completion: CompletionKind = .file, environment: String? = nil, requirement: Requirement = .optional,
                            conflicts: [String] = [], requires: [String] = []) -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .path, value: value, summary, doc: doc, completion: completion,
                      environment: environment, requirement: requirement, conflicts: conflicts, requires: requires))
    }

    public static func choice(_ name: String, short: Character? = nil, value: String? = nil, _ choices: [String], _ summary: String,
                              doc: String = "", environment: String? = nil, requirement: Requirement = .optional) -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .choice(choices), value: value ?? name.uppercased(), summary, doc: doc,
                      environment: environment, requirement: requirement))
    }

    /// An exact decimal, kept as its text for the core to convert (money is never a float).
    public static func decimal(_ name: String, value: String = "DECIMAL", _ summary: String, doc: String = "",
                               requirement: Requirement = .optional) -> Flag<String> {
        Flag(FlagSpec(name, kind: .decimal, value: value, summary, doc: doc, requirement: requirement))
    }
}

extension Flag where Value == Int64 {
    public static func integer(_ name: String, short: Character? = nil, value: String = "N", _ summary: String, doc: String = "",
                               range: ClosedRange<Int64>, environment: String? = nil, requirement: Requirement = .optional,
                               conflicts: [String] = [], requires: [String] = []) -> Flag<Int64> {
        Flag(FlagSpec(name, short: short, kind: .integer(range), value: value, summary, doc: doc, environment: environment,
                      requirement: requirement, conflicts: conflicts, requires: requires))
    }
}

extension Flag where Value == Timestamp {
    public static func time(_ name: String, value: String = "TIME", _ summary: String, doc: String = "") -> Flag<Timestamp> {
        Flag(FlagSpec(name, kind: .time, value: value, summary, doc: doc))
    }
}

extension Flag where Value == SessionID {
    public static func uuid(_ name: String, short: Character? = nil, value: String = "UUID", _ summary: String, doc: String = "",
                            environment: String? = nil, requirement: Requirement = .optional) -> Flag<SessionID> {
        Flag(FlagSpec(name, short: short, kind: .uuid, value: value, summary, doc: doc, environment: environment,
                      requirement: requirement))
    }
}

extension Flag where Value == JSONValue {
    public static func jsonObject(_ name: String, value: String = "JSON", _ summary: String, doc: String = "",
                                  maxBytes: Int = 1 << 20, conflicts: [String] = []) -> Flag<JSONValue> {
        Flag(FlagSpec(name, kind: .jsonObject(maxBytes: maxBytes), value: value, summary, doc: doc, completion: .file,
                      conflicts: conflicts))
    }
}

/// The SHA-256 (64 lowercase hex characters) of a `.content` flag's text, file or stdin.
public struct ContentDigest: Sendable, Equatable {
    public let hex: String
}

extension Flag where Value == ContentDigest {
    public static func content(_ name: String, value: String = "TEXT", _ summary: String, doc: String = "",
                               conflicts: [String] = []) -> Flag<ContentDigest> {
        Flag(FlagSpec(name, kind: .content, value: value, summary, doc: doc, completion: .file, conflicts: conflicts))
    }
}

public struct PositionalSpec: Sendable {
    public let name: String
    public let summary: String
    public let optional: Bool
    public let variadic: Bool
    public let choices: [String]
    public let completion: CompletionKind

    public init(_ name: String, _ summary: String, optional: Bool = false, variadic: Bool = false, choices: [String] = [],
                completion: CompletionKind? = nil) {
        self.name = name
        self.summary = summary
        self.optional = optional
        self.variadic = variadic
        self.choices = choices
        self.completion = completion ?? (choices.isEmpty ? .none : .choices)
    }
}

/// What a command needs prepared before it runs (git's RUN_SETUP bits): the dispatcher does it
/// once, the same way for every command.
public enum StoreNeed: Sendable, Equatable {
    /// No store.
    case none
    /// Read what is there; never creates or migrates a store.
    case read
    /// Read when the store can be reached; an observation command goes on without it
    /// (`run.availableStore` is nil and `run.storeUnavailable` says why).
    case readIfAvailable
    /// Append; the embedded store is created and migrated on first use.
    case write
    /// Open as it is, at whatever schema, creating the embedded store (`init`, `db migrate`).
    case schema
    /// Open as it is, at whatever schema, creating nothing (`db status`).
    case inspect
}

/// What a command does to the world, which decides how failures are treated.
public enum CommandRole: Sendable, Equatable {
    /// Help, man pages, completions, ids: no store.
    case meta
    /// Set-up and reading: a failure is reported as it is.
    case inspect
    /// Observation (`audit log`): never breaks the calling script; an unreachable store spools.
    case observe
    /// Enforcement: goes through the core's one enforcement path (store, kill switch, check,
    /// audit of the denial); an unreachable store fails closed unless `--fail-open`.
    case enforce
}

public struct CommandNeeds: Sendable, Equatable {
    public var store: StoreNeed
    /// The audit secret's purpose keys.
    public var keys: Bool
    /// An `AuditRecorder` (store, spool, placeholder), opened lazily so that an unreachable
    /// store spools instead of failing.
    public var recorder: Bool

    public init(store: StoreNeed = .none, keys: Bool = false, recorder: Bool = false) {
        self.store = store
        self.keys = keys
        self.recorder = recorder
    }

    public static let nothing = CommandNeeds()
    public static let readChain = CommandNeeds(store: .read, keys: true)
    public static let read = CommandNeeds(store: .read)
    public static let record = CommandNeeds(keys: true, recorder: true)
}

/// One command: its name within its group, its documentation, its flags, what it needs and its
/// handler. The group gives it its full path.
public struct CommandSpec: Sendable {
    public let path: [String]
    public let summary: String
    public let doc: String
    public let flags: [FlagSpec]
    public let positionals: [PositionalSpec]
    public let examples: [String]
    public let role: CommandRole
    public let needs: CommandNeeds
    /// Failures this command can end with beyond the ones every command can (1, 2, 3) and the
    /// ones its needs imply (4 with a store): the per-command exit codes in help and the
    /// "reserved" marks in the exit-code table come from these.
    public let failures: [GovernanceError.Kind]
    /// The values of the global --format this command renders (text and json for every command;
    /// a document format such as html only where listed).
    public let formats: [String]
    public let handler: @Sendable (Arguments, Run) throws -> Int32

    public init(_ name: String, _ summary: String, doc: String = "", flags: [any FlagDeclaration] = [],
                positionals: [PositionalSpec] = [], examples: [String] = [], role: CommandRole = .inspect,
                needs: CommandNeeds = .nothing, failures: [GovernanceError.Kind] = [],
                formats: [String] = GlobalFlags.standardFormats,
                handler: @escaping @Sendable (Arguments, Run) throws -> Int32) {
        self.init(path: [name], summary, doc: doc, flags: flags.map(\.spec), positionals: positionals, examples: examples,
                  role: role, needs: needs, failures: failures, formats: formats, handler: handler)
    }

    init(path: [String], _ summary: String, doc: String, flags: [FlagSpec], positionals: [PositionalSpec], examples: [String],
         role: CommandRole, needs: CommandNeeds, failures: [GovernanceError.Kind], formats: [String],
         handler: @escaping @Sendable (Arguments, Run) throws -> Int32) {
        self.path = path
        self.summary = summary
        self.doc = doc
        self.flags = flags
        self.positionals = positionals
        self.examples = examples
        self.role = role
        self.needs = needs
        self.failures = failures
        self.formats = formats
        self.handler = handler
    }

    /// The same command placed under `group`.
    func placed(under group: String?) -> CommandSpec {
        CommandSpec(path: (group.map { [$0] } ?? []) + path, summary, doc: doc, flags: flags, positionals: positionals,
                    examples: examples, role: role, needs: needs, failures: failures, formats: formats, handler: handler)
    }

    public var name: String { path.joined(separator: " ") }

    public func flag(named name: String) -> FlagSpec? { flags.first { $0.name == name } }

    /// Every exit status this command can end with, in order.
    public var exitKinds: [GovernanceError.Kind] {
        var kinds: [GovernanceError.Kind] = [.internalError, .usage, .configuration]
        if needs.store != .none || (role == .observe && flags.contains { $0.name == "require-durable" }) { kinds.append(.storeUnavailable) }
        if role == .enforce { kinds += [.storeUnavailable, .agentKilled] }
        for kind in failures where !kinds.contains(where: { $0.exitCode == kind.exitCode }) { kinds.append(kind) }
        return kinds.sorted { $0.exitCode < $1.exitCode }
    }
}

/// A group of commands (`audit`, `db`): a name, what it is for, and its commands. A group whose
/// `name` is nil holds the top-level commands (`init`, `help`), documented in governance(1).
public struct GroupSpec: Sendable {
    public let name: String?
    public let summary: String
    public let doc: String
    public let commands: [CommandSpec]

    public init(_ name: String?, _ summary: String, doc: String, commands: [CommandSpec]) {
        self.name = name
        self.summary = summary
        self.doc = doc
        self.commands = commands.map { $0.placed(under: name) }
    }

    /// The man page's name: governance(1) for the top-level commands, governance-NAME(1) otherwise.
    public var manPageName: String { name.map { "governance-" + $0 } ?? "governance" }
}

/// An environment variable the tool reads, documented once (the man page's ENVIRONMENT section
/// and the consistency test come from this list).
public struct EnvironmentVariable: Sendable {
    public let name: String
    public let doc: String
}
