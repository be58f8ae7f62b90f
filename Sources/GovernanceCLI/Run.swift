import GovernanceCore

/// The resources of one run, prepared by the dispatcher from what the command declared it needs
/// (`CommandNeeds`): the console and output settings, the configuration, the store, the keys and
/// the recorder. Flags are not here: they are `Arguments`.
public final class Run: @unchecked Sendable {
    public let console: Console
    public let format: OutputFormat
    public let quiet: Bool
    public let verbose: Bool
    public let environment: @Sendable (String) -> String?
    let table: CommandTable

    private let databaseURL: String?
    private let secretFile: String?
    private var preparedConfiguration: Configuration?
    private var preparedStore: Store?
    private var preparedKeys: PurposeKeys?
    private var preparedRecorder: AuditRecorder?
    /// Where the secret came from, and the file created for it on this run (if one was).
    public private(set) var secretSource: String?
    public private(set) var createdSecret: String?

    init(arguments: Arguments, console: Console, environment: @escaping @Sendable (String) -> String?, table: CommandTable) {
        self.console = console
        self.format = arguments.format
        self.quiet = arguments.quiet
        self.verbose = arguments.verbose
        self.environment = environment
        self.table = table
        // The command line's values: the core resolves GOVERNANCE_DATABASE_URL and the secret's variables.
        databaseURL = arguments.databaseURL
        secretFile = arguments.auditSecretFile
    }

    // MARK: set-up, done once by the dispatcher

    /// Prepares what the command declared, in a fixed order: configuration, store, keys, recorder.
    func prepare(_ needs: CommandNeeds, requireDurable: Bool) throws {
        guard needs != .nothing else { return }
        let config = try configuration()
        switch needs.store {
        case .none: break
        case .read:
            note("store: \(config.redactedStoreDescription)")
            preparedStore = try Store.open(config, access: .read)
        case .write:
            note("store: \(config.redactedStoreDescription)")
            preparedStore = try Store.open(config, access: .write)
        case .schema:
            note("store: \(config.redactedStoreDescription)")
            preparedStore = try Store.open(config, access: .write, migration: .asIs)
        case .inspect:
            note("store: \(config.redactedStoreDescription)")
            preparedStore = try Store.open(config, access: .read, migration: .asIs)
        case .readIfAvailable:
            note("store: \(config.redactedStoreDescription)")
            do {
                preparedStore = try Store.open(config, access: .read)
            } catch let error as GovernanceError where error.kind == .storeUnavailable || error.kind == .configuration {
                // An observation goes on without the store (a store not created yet holds nothing).
                storeUnavailable = error
            }
        }
        // Only a command that writes may generate the embedded store's secret (and the core
        // generates one only while the store holds no events).
        let writes = needs.recorder || needs.store == .write || needs.store == .schema
        if needs.keys { _ = try keys(creating: writes) }
        if needs.recorder {
            let keys = try keys(creating: true)
            preparedRecorder = AuditRecorder(spool: AuditSpool(home: config.home, configuration: config), keys: keys,
                                             requireDurable: requireDurable) { [unowned self] in
                self.note("store: \(config.redactedStoreDescription)")
                return try self.commandStore()
            }
        }
    }

    public func configuration() throws -> Configuration {
        if let preparedConfiguration { return preparedConfiguration }
        let env = environment
        let resolved = try Configuration.resolve(databaseURL: databaseURL, secretFile: secretFile, environment: { env($0) })
        preparedConfiguration = resolved
        return resolved
    }

    /// With `.readIfAvailable`: the store, or nil when it could not be reached (and why).
    public var availableStore: Store? { preparedStore }
    public private(set) var storeUnavailable: GovernanceError?

    /// The store the command declared; asking for one it did not declare is a bug.
    public var store: Store {
        get throws {
            guard let preparedStore else { throw GovernanceError.internalError("the command used a store it did not declare") }
            return preparedStore
        }
    }

    public var recorder: AuditRecorder {
        get throws {
            guard let preparedRecorder else { throw GovernanceError.internalError("the command used a recorder it did not declare") }
            return preparedRecorder
        }
    }

    /// The secret's purpose keys. With `creating` (writers only), a missing secret of an
    /// embedded store that holds no events is created (and said); a reader never creates one.
    public func keys(creating: Bool = false) throws -> PurposeKeys {
        if let preparedKeys { return preparedKeys }
        let env = environment
        let (secret, created) = try configuration().loadSecret(environment: { env($0) }, createIfMissing: creating)
        if let created {
            console.errorLine("governance: created a new audit secret at \(created) (mode 0600); keep it safe: without it the chain cannot be verified")
        }
        secretSource = secret.source
        createdSecret = created
        preparedKeys = secret.keys
        return secret.keys
    }

    /// The core's one enforcement path, for `.enforce` commands (see `CommandSpec.enforcing`).
    func enforcer(failOpen: Bool = false) throws -> Enforcer {
        // The path writes (a denial is audited), so it may create the embedded store's secret.
        // A command that read the store before the path (`gates wait`) hands over that connection
        // rather than opening a second one.
        // Every later step of the command (exec's tool.call, tool.result and post-check) goes
        // through the same connection: a command opens the store once, not once per step.
        Enforcer(configuration: try configuration(), keys: try keys(creating: true), openStore: { [unowned self] in
            try self.commandStore()
        }, failOpen: failOpen)
    }

    /// The one connection the command's enforcement path and its recorder share: the one it
    /// prepared, or one opened for writing on first use. A second connection would cost an open,
    /// and every write through one would empty the other's page cache.
    private func commandStore() throws -> Store {
        if let store = preparedStore ?? sharedStore { return store }
        let store = try Store.open(try configuration(), access: .write)
        sharedStore = store
        return store
    }
    private var sharedStore: Store?

    // MARK: output

    /// Writes the command's result: `json` with --json, `text` otherwise, nothing with --quiet.
    public func emit(json: @autoclosure () -> JSONValue, text: @autoclosure () -> String) {
        guard !quiet else { return }
        switch format {
        case .json: console.line(JSONWriter.ordered(json()))
        case .text: console.line(text())
        }
    }

    /// A line on stderr with --verbose only.
    public func note(_ text: String) {
        if verbose { console.errorLine("governance: \(text)") }
    }

    public func warn(_ text: String) { console.warn(Render.escaped(text)) }
}
