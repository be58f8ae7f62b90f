import Glibc

/// The Swift API: one value with the modules of the reference SDK (`audit`, `scope`, `cost`,
/// `loop`, `presence`, `gates`, `contracts`, `compliance`), plus `policy`, `operators` and
/// `step` (a governed step, what `governance exec` runs). Each call is the CLI command's core
/// call: the same decisions, the same audit events, and the same failures. A call whose command
/// exits non-zero throws the `GovernanceError` it exits with (`exitCode`); warnings the command
/// prints on stderr come back in the result. Nothing is printed.
///
/// ```swift
/// let governance = try Governance(configuration: try Configuration.resolve())
/// let allowed = try governance.scope.check(agentID: "billing-agent", tool: "send_email")  // throws exit 10, 11, 15...
/// let granted = try await governance.gates.wait(requestID: issued.request.requestID, timeout: 600)
/// let outcome = try await governance.step(StepRequest(agentID: "billing-agent", tool: "charge", argv: ["./charge.sh", "118"]))
/// ```
///
/// Calls that wait (`gates.wait`, `audit.subscribe`, `step`) are `async`: the core is
/// synchronous, so they run on a thread of their own, with a store connection of their own, and
/// never block the cooperative pool. The other calls are short and synchronous; they share one
/// store connection, opened on first use and reopened after the store was lost, one call at a time.
public final class Governance: Sendable {
    public let configuration: Configuration
    let keys: PurposeKeys
    let connection: SharedStore
    /// The secret file created for an embedded store that had none (the CLI says so on stderr).
    public let createdSecret: String?

    /// Loads the audit secret as the CLI does (`--audit-secret-file`, then the environment, then
    /// `$GOVERNANCE_HOME/audit.secret`, created for an embedded store that holds no events).
    public init(configuration: Configuration, environment: (String) -> String? = FileSystem.environment) throws {
        let (secret, created) = try configuration.loadSecret(environment: environment, createIfMissing: true)
        self.configuration = configuration
        self.keys = secret.keys
        self.createdSecret = created
        self.connection = SharedStore(configuration)
        // A program holding the API re-reads the same policies and signatures call after call.
        RememberedReads.enable()
    }

    /// The configuration the CLI would resolve: `databaseURL`, `GOVERNANCE_DATABASE_URL`, the embedded store.
    public convenience init(databaseURL: String? = nil, secretFile: String? = nil,
                            environment: (String) -> String? = FileSystem.environment) throws {
        try self.init(configuration: try Configuration.resolve(databaseURL: databaseURL, secretFile: secretFile, environment: environment),
                      environment: environment)
    }

    public var audit: Audit { Audit(governance: self) }
    public var scope: Scope { Scope(governance: self) }
    public var cost: Cost { Cost(governance: self) }
    public var loop: Loop { Loop(governance: self) }
    public var presence: Presence { Presence(governance: self) }
    public var gates: Gates { Gates(governance: self) }
    public var contracts: Contracts { Contracts(governance: self) }
    public var compliance: Compliance { Compliance(governance: self) }
    public var policy: Policy { Policy(governance: self) }
    public var operators: Operators { Operators(governance: self) }

    /// One governed step, as `governance exec` runs it: the checks (kill switch 15, scope 10/11,
    /// budget 12, loop 13, pre-conditions 14; a refusal is audited and the command never starts),
    /// `tool.call` (with the charge of a tool the budget prices, `Enforcer.passOn`), the contained
    /// command under the kill switch and the timeout, `tool.result`, the post-conditions. The
    /// outcome's `exitStatus` is what `exec` exits with; a refusal is `.refused(error)`, not a
    /// throw, like every other ending of the step.
    ///
    /// This process supervises the step: it becomes a child subreaper, and where no cgroup v2
    /// can be made, every child it gains while the step runs is taken for one the step left
    /// behind and is stopped with it. A program that starts processes of its own on other threads
    /// while a step runs should run its steps in a process of their own (`governance exec`).
    public func step(_ request: StepRequest) async throws -> StepOutcome {
        let configuration = configuration, keys = keys
        return try await Governance.offPool {
            let dedicated = LazyStore(configuration, access: .write)
            defer { dedicated.close() }
            return try Enforcer(configuration: configuration, keys: keys, openStore: { try dedicated.store() }).runStep(request)
        }
    }

    /// One MCP session, as `governance mcp proxy` runs it: the server started as this process's
    /// contained child, every `tools/call` checked and audited, `tools/list` filtered, the rest
    /// passed through, until the client's side (`request.input`) closes, the server ends or an
    /// operator kills the agent. `report` gets the warnings and refused messages. The same
    /// caveat as `step`: this process supervises the server. Ignore SIGPIPE first (as the CLI
    /// does): a client that goes away must not end the process before the server is stopped.
    public func proxyMCP(_ request: MCPProxyRequest, report: @escaping @Sendable (String) -> Void) async throws -> MCPProxyOutcome {
        let configuration = configuration, keys = keys
        return try await Governance.offPool {
            let dedicated = LazyStore(configuration, access: .write)
            defer { dedicated.close() }
            return try Enforcer(configuration: configuration, keys: keys, openStore: { try dedicated.store() }).proxyMCP(request, report: report)
        }
    }

    // MARK: shared plumbing

    /// Runs `body` with the enforcement path over the shared connection.
    func enforcing<Value>(_ body: (Enforcer) throws -> EnforcementResult<Value>) throws -> Checked<Value> {
        let result = try connection.run { open in
            let result = try body(Enforcer(configuration: configuration, keys: keys, openStore: open))
            if case .denied(let error) = result.outcome, error.kind == .storeUnavailable { throw StoreLost(result: result) }
            return result
        }
        return try Checked(result)
    }

    /// Runs `body` with the shared connection.
    func reading<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try connection.run { open in try body(try open().connection) }
    }

    /// Records events as an observation command does: the store, else the spool, else placeholders.
    func recording(_ events: [PendingEvent], requireDurable: Bool, stateOnly: ((SQLConnection) throws -> Bool)? = nil) throws -> Recorded {
        try connection.run { open in
            let recorder = AuditRecorder(spool: AuditSpool(home: configuration.home, configuration: configuration), keys: keys,
                                         requireDurable: requireDurable, openStore: open)
            let outcome = try recorder.record(events, returningIDs: true, stateOnly: stateOnly)
            let recorded = Recorded(outcome: outcome, warnings: recorder.warnings)
            // The next call tries the store again rather than a connection that failed.
            switch outcome {
            case .appended, .stateOnly: return recorded
            case .spooled, .placeholder: break
            }
            throw StoreLost(result: recorded)
        }
    }

    /// The operator acting with `credential`, and where this process runs (recorded with the action).
    func signer(_ credential: OperatorCredential) throws -> OperatorIdentity {
        try OperatorIdentity.current(claimed: credential.name)
    }

    /// Runs blocking work on a thread of its own and resumes the caller when it is done.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let started = spawnThread {
                continuation.resume(with: Result { try body() })
            }
            if !started {
                continuation.resume(throwing: GovernanceError.internalError("no thread could be started for a blocking call"))
            }
        }
    }
}

/// What an allowed enforcement call returns: the check's value (nil when the store was
/// unreachable and `failOpen` allowed it unchecked) and the warnings the CLI prints.
public struct Checked<Value> {
    public var value: Value?
    /// The store could not be reached and the call allowed it without a check (`failOpen`).
    public var failedOpen: Bool
    public var warnings: [String]

    /// A denial throws its error, with the warnings of the path in its details (`warnings`).
    init(_ result: EnforcementResult<Value>) throws(GovernanceError) {
        switch result.outcome {
        case .allowed(let value): self.value = value; failedOpen = false
        case .allowedFailOpen: value = nil; failedOpen = true
        case .denied(var error):
            if !result.warnings.isEmpty { error.details.append(("warnings", .array(result.warnings.map(JSONValue.string)))) }
            throw error
        }
        warnings = result.warnings
    }
}

extension Checked: Sendable where Value: Sendable {}

/// What an observation call did with its events, as `audit log` reports it.
public struct Recorded: Sendable {
    public enum Status: String, Sendable {
        /// In the chain.
        case appended
        /// In the local spool (`audit flush`, or the next append, replays it).
        case spooled
        /// Neither the store nor the spool took it: placeholder records (hmac of zeros).
        case unavailable
        /// A presence report that changed nothing the chain records: the presence row took it
        /// (last seen), and no event was written.
        case seen
    }

    public var outcome: AuditRecorder.Outcome
    public var warnings: [String]

    public var status: Status {
        switch outcome {
        case .appended: .appended
        case .spooled: .spooled
        case .placeholder: .unavailable
        case .stateOnly: .seen
        }
    }

    /// The stored records (placeholders when `unavailable`; none when spooled).
    public var records: [AuditRecord] {
        switch outcome {
        case .appended(let records), .placeholder(let records): records
        case .spooled, .stateOnly: []
        }
    }

    public var spoolFile: String? {
        if case .spooled(let path, _) = outcome { return path }
        return nil
    }
}

/// The connection the short calls of one `Governance` share: opened on first use, one call at a
/// time, dropped when a call found the store gone so that the next one reconnects.
final class SharedStore: @unchecked Sendable {
    private let configuration: Configuration
    private var store: Store?
    private var mutex = pthread_mutex_t()

    init(_ configuration: Configuration) {
        self.configuration = configuration
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// `body` gets a function that opens (or returns) the connection; it may throw `StoreLost`
    /// to return its result and drop the connection.
    func run<T>(_ body: (_ open: @escaping () throws -> Store) throws -> T) throws -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let open: () throws -> Store = { [unowned self] in
            if let store { return store }
            let opened = try Store.open(configuration)
            store = opened
            return opened
        }
        do {
            return try body(open)
        } catch let lost as StoreLost {
            store = nil
            guard let result = lost.result as? T else { throw GovernanceError.internalError("a lost store's result has another type") }
            return result
        } catch let error as GovernanceError where error.kind == .storeUnavailable {
            store = nil
            throw error
        }
    }
}

/// A result to return after which the shared connection is dropped (never leaves its thread).
struct StoreLost: Error, @unchecked Sendable {
    let result: Any
}

/// A connection for one long call (a step, a wait, a subscription), opened when first needed.
final class LazyStore {
    private let configuration: Configuration
    private let access: StoreAccess
    private var opened: Store?

    init(_ configuration: Configuration, access: StoreAccess) {
        self.configuration = configuration
        self.access = access
    }

    func store() throws -> Store {
        if let opened { return opened }
        let store = try Store.open(configuration, access: access)
        opened = store
        return store
    }

    func close() { opened = nil }
}
