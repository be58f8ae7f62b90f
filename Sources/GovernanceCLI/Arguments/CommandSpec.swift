import GovernanceCore

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
    /// commands column of the exit-code table come from these.
    public let failures: [GovernanceError.Kind]
    public let handler: @Sendable (Arguments, Run) throws -> Int32
    /// Ends with the status of the command it runs (`exec`): the exit-code table lists
    /// `ExecStatus`'s codes for it.
    public private(set) var passesOnChildStatus = false
    /// Has a man page of its own (governance-NAME(1)) besides its place in its group's.
    public private(set) var ownManPage = false
    /// What a run needs when its flags change it (`policy apply --dry-run` reads only); nil: `needs`.
    public private(set) var needsWhen: (@Sendable (Arguments) throws -> CommandNeeds)?

    /// What this run needs, given its flags.
    public func needs(for arguments: Arguments) throws -> CommandNeeds { try needsWhen?(arguments) ?? needs }

    public init(_ name: String, _ summary: String, doc: String = "", flags: [any FlagDeclaration] = [],
                positionals: [any PositionalDeclaration] = [], examples: [String] = [], role: CommandRole = .inspect,
                needs: CommandNeeds = .nothing, failures: [GovernanceError.Kind] = [],
                handler: @escaping @Sendable (Arguments, Run) throws -> Int32) {
        self.init(path: [name], summary, doc: doc, flags: flags.map(\.spec), positionals: positionals.map(\.spec), examples: examples,
                  role: role, needs: needs, failures: failures, handler: handler)
    }

    init(path: [String], _ summary: String, doc: String, flags: [FlagSpec], positionals: [PositionalSpec], examples: [String],
         role: CommandRole, needs: CommandNeeds, failures: [GovernanceError.Kind],
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
        self.handler = handler
    }

    /// The same command placed under `group`.
    func placed(under group: String?) -> CommandSpec {
        var placed = CommandSpec(path: (group.map { [$0] } ?? []) + path, summary, doc: doc, flags: flags, positionals: positionals,
                                 examples: examples, role: role, needs: needs, failures: failures, handler: handler)
        placed.passesOnChildStatus = passesOnChildStatus
        placed.ownManPage = ownManPage
        placed.needsWhen = needsWhen
        return placed
    }

    /// A command whose flags change what it needs prepared (a dry run reads only).
    func needing(_ needs: @escaping @Sendable (Arguments) throws -> CommandNeeds) -> CommandSpec {
        var spec = self
        spec.needsWhen = needs
        return spec
    }

    /// A command that runs another and ends with its status, documented on a page of its own.
    func runningACommand() -> CommandSpec {
        var spec = self
        spec.passesOnChildStatus = true
        spec.ownManPage = true
        return spec
    }

    /// The name of its own man page, when it has one: governance-exec.
    public var manPageName: String? { ownManPage ? "governance-" + path.joined(separator: "-") : nil }

    public var name: String { path.joined(separator: " ") }
    /// The JSON Schema of what the command writes with --json (docs/schemas/; JSON lines: one line).
    public var schemaPath: String { "docs/schemas/" + path.joined(separator: "-") + ".json" }

    /// True when the command takes the flag (any use of its definition).
    public func declares(_ flag: some FlagDeclaration) -> Bool { flags.contains { $0.id == flag.spec.id } }

    /// Every exit status this command can end with, in order, each once.
    public var exitKinds: [GovernanceError.Kind] {
        var kinds: [GovernanceError.Kind] = [.internalError, .usage, .configuration]
        if needs.store != .none || role == .enforce || declares(Observation.requireDurable) { kinds.append(.storeUnavailable) }
        if role == .enforce { kinds.append(.agentKilled) }
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
