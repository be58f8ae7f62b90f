/// Every environment variable the tool reads, named and documented once. The core reads them
/// through these values (`environment(.databaseURL)`); the CLI's flags name the one they fall
/// back to, and the man page's ENVIRONMENT section and the UTF-8 check of the environment list
/// `all`.
public struct EnvironmentVariable: Sendable, Hashable {
    public let name: String
    /// What it sets, for the man page (the flag it stands in for is added there, from the flags).
    public let doc: String

    init(_ name: String, _ doc: String) {
        self.name = name
        self.doc = doc
    }

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    public static let home = EnvironmentVariable("GOVERNANCE_HOME",
        "Home of the embedded store, its generated secret and the spool; default ${XDG_STATE_HOME:-$HOME/.local/state}/governance.")
    public static let databaseURL = EnvironmentVariable("GOVERNANCE_DATABASE_URL", "The store.")
    public static let auditSecret = EnvironmentVariable("GOVERNANCE_AUDIT_SECRET",
        "The audit secret itself (at least 32 bytes with 10 distinct bytes). Prefer a file.")
    public static let auditSecretFile = EnvironmentVariable("GOVERNANCE_AUDIT_SECRET_FILE",
        "A file holding the audit secret, readable only by its owner (and group).")
    public static let sessionID = EnvironmentVariable("GOVERNANCE_SESSION_ID", "The session an event is written to.")
    public static let agentID = EnvironmentVariable("GOVERNANCE_AGENT_ID", "The agent.")
    public static let defaultMaxTokens = EnvironmentVariable("GOVERNANCE_DEFAULT_MAX_TOKENS",
        "The projected tokens of `cost check` when --projected-tokens is not given (a whole number of 1 or more).")
    public static let pricingFile = EnvironmentVariable("GOVERNANCE_PRICING_FILE",
        "A YAML or JSON file that overrides or extends the built-in model prices.")
    public static let operatorKeyFile = EnvironmentVariable("GOVERNANCE_OPERATOR_KEY_FILE",
        "An operator's Ed25519 private key (PEM), private to its owner. Never give it to an agent.")
    public static let execContainment = EnvironmentVariable("GOVERNANCE_EXEC_CONTAINMENT",
        "`process_tree` keeps `exec` from making a cgroup for its step (the /proc fallback); for hosts whose cgroups misbehave.")
    public static let notifyCommand = EnvironmentVariable("GOVERNANCE_NOTIFY_COMMAND",
        "A command run through /bin/sh -c with a JSON document on stdin on an approval request, a kill, a sweep's marking and a budget alert (docs/GATES.md), besides the agent's policy `notify` hook.")
    public static let xdgStateHome = EnvironmentVariable("XDG_STATE_HOME", "Read only when GOVERNANCE_HOME is not set, for its default (above).")
    /// Set for a contract's custom check (with the agent and session above), not read.
    public static let tool = EnvironmentVariable("GOVERNANCE_TOOL", "The tool, for a contract's custom check.")
    /// Set for a governed step whose projection was reserved, not read.
    public static let reservationID = EnvironmentVariable("GOVERNANCE_RESERVATION_ID",
        "The reservation of an exec step's projection, for the command's own `cost track-usage --reservation`.")
    /// Set for a notification hook, not read.
    public static let notifyEvent = EnvironmentVariable("GOVERNANCE_NOTIFY_EVENT", "The event a notification hook is run for.")

    /// The variables the tool reads, in the order the man page lists them.
    public static let all: [EnvironmentVariable] = [
        home, databaseURL, auditSecret, auditSecretFile, sessionID, agentID, defaultMaxTokens, pricingFile, operatorKeyFile,
        execContainment, notifyCommand, xdgStateHome,
    ]
}

extension FileSystem {
    /// The variable's value, or nil when it is not set.
    public static func environment(_ variable: EnvironmentVariable) -> String? { environment(variable.name) }
}
