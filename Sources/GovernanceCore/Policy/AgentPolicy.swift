/// One agent's policy, as validated: what it may call, what it may spend, how often it may repeat
/// itself. An agent without a policy may do nothing (default deny).
public struct AgentPolicy: Sendable, Equatable {
    public var agentID: String
    public var scope: ScopePolicy?
    public var budget: BudgetPolicy?
    public var loop: LoopPolicy?
    /// True when the policy has a `contracts` key (even `{}`), so an export gives it back unchanged.
    public var declaresContracts: Bool
    /// Pre- and post-conditions per tool, in the file's order.
    public var contracts: [ToolContract] = []
    /// The operator's notification hook for this agent's events.
    public var notify: NotifyPolicy? = nil

    public init(agentID: String, scope: ScopePolicy? = nil, budget: BudgetPolicy? = nil, loop: LoopPolicy? = nil,
                declaresContracts: Bool = false) {
        self.agentID = agentID
        self.scope = scope
        self.budget = budget
        self.loop = loop
        self.declaresContracts = declaresContracts
    }

    /// The policy body (what sits under `agents.<id>`) as JSON; `canonicalJSON` is its RFC 8785
    /// text, which is what is stored and hashed. Money is a decimal string, never a number.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let scope {
            members.append(("scope", .object([
                ("allowed_tools", .array(scope.allowedTools.map(JSONValue.string))),
                ("allowed_apis", .array(scope.allowedAPIs.map { .string($0.text) })),
                ("hidden_tools", .array(scope.hiddenTools.map(JSONValue.string))),
            ])))
        }
        if let budget {
            var caps: [(String, JSONValue)] = []
            if let v = budget.perSessionUSD { caps.append(("per_session_usd", .string(v.decimal))) }
            if let v = budget.perSessionTokens { caps.append(("per_session_tokens", .int64(v))) }
            if let v = budget.perAgentUSDDaily { caps.append(("per_agent_usd_daily", .string(v.decimal))) }
            if let v = budget.perAgentTokensDaily { caps.append(("per_agent_tokens_daily", .int64(v))) }
            if let v = budget.perSessionSeconds { caps.append(("per_session_seconds", .int64(v))) }
            if let v = budget.unpriced { caps.append(("unpriced", .string(v.rawValue))) }
            if let v = budget.reservationSeconds { caps.append(("reservation_seconds", .int64(v))) }
            if let v = budget.alertAtPercent { caps.append(("alert_at", .string("\(v)%"))) }
            if !budget.toolPrices.isEmpty {
                caps.append(("tool_prices", .object(budget.toolPrices.map { ($0.tool, .string($0.usd.decimal)) })))
            }
            members.append(("budget", .object(caps)))
        }
        if let loop {
            members.append(("loop", .object([
                ("window_seconds", .int64(loop.windowSeconds)),
                ("max_calls", .int64(loop.maxCalls)),
                ("action", .string(loop.action.rawValue)),
            ])))
        }
        if let notify {
            var hook: [(String, JSONValue)] = [("command", .string(notify.command))]
            if let t = notify.timeoutSeconds { hook.append(("timeout_seconds", .int64(t))) }
            members.append(("notify", .object(hook)))
        }
        if declaresContracts || !contracts.isEmpty { members.append(("contracts", .object(contracts.map { ($0.tool, $0.json) }))) }
        return .object(members)
    }

    public var canonicalJSON: String { JSONWriter.canonical(json) }

    /// The contract for a tool; nil when there is none.
    public func contract(for tool: String) -> ToolContract? { contracts.first { Identifier.same($0.tool, tool) } }

    /// Lowercase hex SHA-256 of `canonicalJSON` (audited with `policy.applied`).
    public var sha256: String { Digest.sha256Hex(canonicalJSON) }
}

public struct ScopePolicy: Sendable, Equatable {
    public var allowedTools: [String]
    public var allowedAPIs: [APIPattern]
    /// Removed by `filter-tools` and always denied, even when also listed as allowed.
    public var hiddenTools: [String]

    public init(allowedTools: [String] = [], allowedAPIs: [APIPattern] = [], hiddenTools: [String] = []) {
        self.allowedTools = allowedTools
        self.allowedAPIs = allowedAPIs
        self.hiddenTools = hiddenTools
    }
}

/// The five caps; at least one is set. Token caps stay within ±(2^53−1) so the canonical JSON
/// holds them exactly.
public struct BudgetPolicy: Sendable, Equatable {
    /// What one call of a tool costs (`tool_prices`): reserved against the USD caps by the
    /// enforcement path's check and charged as tracked spend when the call is passed on.
    public struct ToolPrice: Sendable, Equatable {
        public var tool: String
        public var usd: Money

        public init(tool: String, usd: Money) {
            self.tool = tool
            self.usd = usd
        }
    }

    public var perSessionUSD: Money?
    public var perSessionTokens: Int64?
    public var perAgentUSDDaily: Money?
    public var perAgentTokensDaily: Int64?
    public var perSessionSeconds: Int64?
    /// What a call to a model without a price does to the USD caps; nil: `.deny`.
    public var unpriced: UnpricedRule?
    /// How long a passing check's reservation holds when nothing settles it; nil: the default.
    public var reservationSeconds: Int64?
    /// The soft alert: the first time tracked spend reaches this percentage of a cap (per
    /// session for the session caps, per UTC day for the daily ones), one `budget.alert` is
    /// audited and sent to the notification hook. Nothing is denied.
    public var alertAtPercent: Int64? = nil
    /// Per-call prices of tools, in canonical order (RFC 8785: UTF-16 code units of the name), so
    /// a policy read back from its canonical JSON is equal to the one parsed from its file. Not a
    /// cap: the USD caps are what a price is held against.
    public var toolPrices: [ToolPrice] = [] {
        didSet { toolPrices.sort { JSONWriter.utf16Precedes($0.tool, $1.tool) } }
    }

    public enum UnpricedRule: String, Sendable, CaseIterable {
        /// With a USD cap, a check for an unpriced model, or after unpriced spend, is denied.
        case deny
        /// Unpriced calls count as $0 (the USD caps do not see them).
        case trackAtZero = "track_at_zero"
    }

    /// 15 minutes.
    public static let defaultReservationSeconds: Int64 = 900

    public init(perSessionUSD: Money? = nil, perSessionTokens: Int64? = nil, perAgentUSDDaily: Money? = nil,
                perAgentTokensDaily: Int64? = nil, perSessionSeconds: Int64? = nil, unpriced: UnpricedRule? = nil,
                reservationSeconds: Int64? = nil, toolPrices: [ToolPrice] = []) {
        self.perSessionUSD = perSessionUSD
        self.perSessionTokens = perSessionTokens
        self.perAgentUSDDaily = perAgentUSDDaily
        self.perAgentTokensDaily = perAgentTokensDaily
        self.perSessionSeconds = perSessionSeconds
        self.unpriced = unpriced
        self.reservationSeconds = reservationSeconds
        self.toolPrices = toolPrices.sorted { JSONWriter.utf16Precedes($0.tool, $1.tool) }
    }

    public var hasUSDCap: Bool { perSessionUSD != nil || perAgentUSDDaily != nil }

    /// The price of one call of `tool`, compared as bytes (as scope compares tool names); nil
    /// when the tool has none.
    public func price(of tool: String) -> Money? {
        toolPrices.first { Identifier.same($0.tool, tool) }?.usd
    }

    /// True when unpriced calls must be denied: a USD cap and no `unpriced: track_at_zero`.
    public var deniesUnpriced: Bool { hasUSDCap && (unpriced ?? .deny) == .deny }

    public var hasCap: Bool {
        perSessionUSD != nil || perSessionTokens != nil || perAgentUSDDaily != nil || perAgentTokensDaily != nil || perSessionSeconds != nil
    }
}

/// `notify:` in an agent's policy: the command its events are sent to (`NotifyHook`).
public struct NotifyPolicy: Sendable, Equatable {
    public var command: String
    /// nil: `NotifyHook.defaultTimeoutSeconds`.
    public var timeoutSeconds: Int64?

    public init(command: String, timeoutSeconds: Int64? = nil) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    public var hook: NotifyHook {
        NotifyHook(command: command, timeoutSeconds: timeoutSeconds ?? NotifyHook.defaultTimeoutSeconds, source: "the policy's notify")
    }
}

public struct LoopPolicy: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        /// Deny the call that trips the detector (exit 13).
        case raise
        /// Allow it with a warning.
        case log
    }

    public var windowSeconds: Int64
    public var maxCalls: Int64
    public var action: Action

    public init(windowSeconds: Int64, maxCalls: Int64, action: Action = .raise) {
        self.windowSeconds = windowSeconds
        self.maxCalls = maxCalls
        self.action = action
    }
}

/// Several agents' policies from one file.
public struct PolicyDocument: Sendable, Equatable {
    /// Where the document came from (a path, or `-` for stdin), for messages and the audit trail.
    public var source: String
    public var agents: [AgentPolicy]

    public init(source: String, agents: [AgentPolicy]) {
        self.source = source
        self.agents = agents
    }
}
