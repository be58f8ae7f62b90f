import Synchronization

/// Gives a policy file its meaning. Every rule is checked before anything is stored, and every
/// error names the file, the path in the document (`agents.x.budget.per_session_usd`) and why.
public enum PolicyParser {
    public static let maxListEntries = 10_000
    public static let maxAgents = 10_000
    public static let maxSessionSeconds: Int64 = 86_400
    /// A reservation holds at most a day.
    public static let maxReservationSeconds: Int64 = 86_400
    public static let maxWindowSeconds: Int64 = 86_400
    public static let maxLoopCalls: Int64 = 1_000_000
    /// Token caps must survive RFC 8785 (IEEE 754 doubles) exactly.
    public static let maxTokens: Int64 = 9_007_199_254_740_991
    /// The most tools one budget prices (`budget.tool_prices`).
    public static let maxToolPrices = 1_000

    /// Parses a YAML or JSON policy file.
    public static func parse(_ bytes: [UInt8], source: String) throws(GovernanceError) -> PolicyDocument {
        try document(try read(bytes, source: source, format: "the policy file format"), source: source)
    }

    /// The bounded YAML reader's document, its errors naming the file (`format`: what the hint
    /// points to in docs/POLICIES.md).
    static func read(_ bytes: [UInt8], source: String, format: String) throws(GovernanceError) -> DocumentNode {
        do {
            return try YAMLReader.read(bytes)
        } catch {
            throw GovernanceError(.invalidInput, "\(source): \(error.message)", hint: "see docs/POLICIES.md for \(format)",
                                  details: [("file", .string(source)), ("reason", .string(error.message))])
        }
    }

    /// A whole document: `{agents: {ID: POLICY, ...}}`.
    public static func document(_ node: DocumentNode, source: String) throws(GovernanceError) -> PolicyDocument {
        let r = Reader(source: source)
        let top = try r.mapping(node, "", keys: ["agents"])
        guard let agentsNode = top.first(where: { $0.0 == "agents" })?.1 else {
            throw r.fail("agents", "is missing; a policy file is `agents: {AGENT_ID: {scope: ..., budget: ..., loop: ...}}`")
        }
        guard case .mapping(let members) = agentsNode else { throw r.fail("agents", "must be a mapping of agent ids to policies, not \(agentsNode.typeName)") }
        guard !members.isEmpty else { throw r.fail("agents", "names no agent") }
        guard members.count <= maxAgents else { throw r.fail("agents", "has \(members.count) entries; the limit is \(maxAgents)") }
        var agents: [AgentPolicy] = []
        for (id, body) in members {
            let path = "agents." + id
            do {
                try Identifier.check(id, field: "the agent id")
            } catch {
                throw r.fail(path, error.message)
            }
            agents.append(try agent(id, body, path: path, r))
        }
        return PolicyDocument(source: source, agents: agents)
    }

    /// One agent's stored policy (its canonical JSON), checked again: the store may be edited by hand.
    /// The parse is a pure function of the agent and the text, so a text already parsed in this
    /// process is answered from memory: a proxy reads the same policy on every call.
    public static func stored(agentID: String, canonicalJSON: String) throws(GovernanceError) -> AgentPolicy {
        let key = StoredText(agentID: agentID, text: canonicalJSON)
        let remembered = RememberedReads.enabled && canonicalJSON.utf8.count <= maxRememberedBytes
        if remembered, let policy = parsed.withLock({ $0[key] }) { return policy }
        let policy = try parseStored(agentID: agentID, canonicalJSON: canonicalJSON)
        if remembered { parsed.withLock { $0.remember(policy, for: key) } }
        return policy
    }

    private struct StoredText: Equatable, Sendable {
        var agentID: String
        var text: String
    }

    /// Texts up to this size are remembered (a few distinct policies, so a few megabytes at most).
    private static let maxRememberedBytes = 65_536
    private static let parsed = Mutex(RecentResults<StoredText, AgentPolicy>(capacity: 16))

    private static func parseStored(agentID: String, canonicalJSON: String) throws(GovernanceError) -> AgentPolicy {
        let source = "the stored policy of agent \(quoted(agentID))"
        let json: JSONValue
        do {
            json = try JSONParser.parse(canonicalJSON)
        } catch {
            throw GovernanceError(.integrityFailure, "\(source) is not valid JSON: \(error.message)", hint: "apply the agent's policy again")
        }
        do {
            return try agent(agentID, DocumentNode(json), path: "", Reader(source: source))
        } catch {
            throw GovernanceError(.integrityFailure, error.message, hint: "apply the agent's policy again")
        }
    }

    static func agent(_ id: String, _ node: DocumentNode, path: String, _ r: Reader) throws(GovernanceError) -> AgentPolicy {
        let members = try r.mapping(node, path, keys: ["scope", "budget", "loop", "contracts", "notify"])
        var policy = AgentPolicy(agentID: id)
        for (key, value) in members {
            let p = r.join(path, key)
            switch key {
            case "scope": policy.scope = try scope(value, p, r)
            case "budget": policy.budget = try budget(value, p, r)
            case "loop": policy.loop = try loop(value, p, r)
            case "notify": policy.notify = try notify(value, p, r)
            default:
                policy.contracts = try contracts(value, p, r)
                policy.declaresContracts = true
            }
        }
        return policy
    }

    static func scope(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> ScopePolicy {
        let members = try r.mapping(node, path, keys: ["allowed_tools", "allowed_apis", "hidden_tools"])
        var scope = ScopePolicy()
        for (key, value) in members {
            let p = r.join(path, key)
            let names = try r.strings(value, p)
            switch key {
            case "allowed_tools": scope.allowedTools = try tools(names, p, r)
            case "hidden_tools": scope.hiddenTools = try tools(names, p, r)
            default:
                var patterns: [APIPattern] = []
                var seen = Set<String>()
                for (i, text) in names.enumerated() {
                    let pattern: APIPattern
                    do { pattern = try APIPattern.parse(text) } catch { throw r.fail("\(p)[\(i)]", error.message) }
                    guard seen.insert(pattern.text).inserted else { throw r.fail("\(p)[\(i)]", "repeats \(quoted(text))") }
                    patterns.append(pattern)
                }
                scope.allowedAPIs = patterns
            }
        }
        return scope
    }

    static func tools(_ names: [String], _ path: String, _ r: Reader) throws(GovernanceError) -> [String] {
        var seen = Set<[UInt8]>()
        for (i, name) in names.enumerated() {
            do {
                try Identifier.check(name, field: "a tool name")
            } catch {
                throw r.fail("\(path)[\(i)]", error.message)
            }
            guard seen.insert(Array(name.utf8)).inserted else { throw r.fail("\(path)[\(i)]", "repeats \(quoted(name))") }
        }
        return names
    }

    static func budget(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> BudgetPolicy {
        let members = try r.mapping(node, path, keys: ["per_session_usd", "per_session_tokens", "per_agent_usd_daily",
                                                       "per_agent_tokens_daily", "per_session_seconds", "unpriced",
                                                       "reservation_seconds", "alert_at", "tool_prices"])
        var budget = BudgetPolicy()
        for (key, value) in members {
            let p = r.join(path, key)
            switch key {
            case "per_session_usd": budget.perSessionUSD = try r.money(value, p)
            case "per_agent_usd_daily": budget.perAgentUSDDaily = try r.money(value, p)
            case "per_session_tokens": budget.perSessionTokens = try r.integer(value, p, 0...maxTokens)
            case "per_agent_tokens_daily": budget.perAgentTokensDaily = try r.integer(value, p, 0...maxTokens)
            case "unpriced":
                let text = try r.string(value, p)
                guard let rule = BudgetPolicy.UnpricedRule(rawValue: text) else { throw r.fail(p, "is \(quoted(text)); it must be deny or track_at_zero") }
                budget.unpriced = rule
            case "reservation_seconds": budget.reservationSeconds = try r.integer(value, p, 1...maxReservationSeconds)
            case "alert_at":
                let text = try r.string(value, p)
                guard text.hasSuffix("%"), let percent = Int64(text.dropLast()), text.utf8.dropLast().allSatisfy(isDigit),
                      (1...99).contains(percent) else {
                    throw r.fail(p, "is \(quoted(text)); it must be a whole percentage of the caps from 1% to 99%, e.g. 80%")
                }
                budget.alertAtPercent = percent
            case "tool_prices": budget.toolPrices = try toolPrices(value, p, r)
            default: budget.perSessionSeconds = try r.integer(value, p, 0...maxSessionSeconds)
            }
        }
        guard budget.hasCap else {
            throw r.fail(path, "sets no cap; give at least one of per_session_usd, per_session_tokens, per_agent_usd_daily, per_agent_tokens_daily, per_session_seconds")
        }
        return budget
    }

    /// `tool_prices: {TOOL: USD, ...}`: names under scope's rules (compared as bytes, none twice),
    /// amounts under the USD caps' rules, at most `maxToolPrices` of them.
    static func toolPrices(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> [BudgetPolicy.ToolPrice] {
        guard case .mapping(let members) = node else {
            throw r.fail(path, "must be a mapping of tool names to decimal USD per call, not \(node.typeName)")
        }
        guard members.count <= maxToolPrices else { throw r.fail(path, "has \(members.count) entries; the limit is \(maxToolPrices)") }
        var prices: [BudgetPolicy.ToolPrice] = []
        var bytes = Set<[UInt8]>()
        // The stored form is JSON, whose parser takes keys that Unicode calls canonically
        // equivalent (NFC and NFD `café`) for one key: such a pair could be applied but never
        // read back, so it is refused here too.
        var texts = Set<String>()
        for (tool, value) in members {
            let p = r.join(path, tool)
            do { try Identifier.check(tool, field: "a tool name") } catch { throw r.fail(p, error.message) }
            guard bytes.insert(Array(tool.utf8)).inserted else { throw r.fail(p, "repeats \(quoted(tool))") }
            guard texts.insert(tool).inserted else {
                throw r.fail(p, "repeats \(quoted(tool)) in another Unicode form (canonically equivalent names cannot both be stored); price one form")
            }
            prices.append(BudgetPolicy.ToolPrice(tool: tool, usd: try r.money(value, p)))
        }
        return prices
    }

    /// `notify: {command: "...", timeout_seconds: N}`: the agent's notification hook.
    static func notify(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> NotifyPolicy {
        let members = try r.mapping(node, path, keys: ["command", "timeout_seconds"])
        guard let commandNode = members.first(where: { $0.0 == "command" })?.1 else { throw r.fail(path, "has no command") }
        let command = try r.string(commandNode, r.join(path, "command"))
        guard !command.isEmpty, command.utf8.count <= NotifyHook.maxCommandBytes, !command.utf8.contains(0) else {
            throw r.fail(r.join(path, "command"), "must be 1 to \(NotifyHook.maxCommandBytes) bytes without NUL")
        }
        var notify = NotifyPolicy(command: command)
        if let timeout = members.first(where: { $0.0 == "timeout_seconds" })?.1 {
            notify.timeoutSeconds = try r.integer(timeout, r.join(path, "timeout_seconds"), 1...NotifyHook.maxTimeoutSeconds)
        }
        return notify
    }

    static func loop(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> LoopPolicy {
        let members = try r.mapping(node, path, keys: ["window_seconds", "max_calls", "action"])
        func value(_ key: String) -> DocumentNode? { members.first(where: { $0.0 == key })?.1 }
        guard let window = value("window_seconds") else { throw r.fail(r.join(path, "window_seconds"), "is missing") }
        guard let maxCalls = value("max_calls") else { throw r.fail(r.join(path, "max_calls"), "is missing") }
        var policy = LoopPolicy(windowSeconds: try r.integer(window, r.join(path, "window_seconds"), 1...maxWindowSeconds),
                                maxCalls: try r.integer(maxCalls, r.join(path, "max_calls"), 1...maxLoopCalls))
        if let action = value("action") {
            let p = r.join(path, "action")
            let text = try r.string(action, p)
            guard let parsed = LoopPolicy.Action(rawValue: text) else {
                throw r.fail(p, "is \(quoted(text)); it must be raise or log")
            }
            policy.action = parsed
        }
        return policy
    }

    /// Reads typed values and builds path-naming errors.
    struct Reader {
        let source: String
        /// What the hint points to in docs/POLICIES.md.
        var format = "the policy file format"

        func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

        func fail(_ path: String, _ reason: String) -> GovernanceError {
            // A path holds the file's keys: a long one is quoted, cut, with its length.
            let path = path.utf8.count <= 200 ? path : quoted(path)
            let at = path.isEmpty ? "" : path + ": "
            return GovernanceError(.invalidInput, "\(source): \(at)\(reason)", hint: "see docs/POLICIES.md for \(format)",
                                   details: [("file", .string(source)), ("path", .string(path)), ("reason", .string(reason))])
        }

        func mapping(_ node: DocumentNode, _ path: String, keys: [String]) throws(GovernanceError) -> [(String, DocumentNode)] {
            guard case .mapping(let members) = node else {
                throw fail(path, "must be a mapping, not \(node.typeName)")
            }
            for (key, _) in members where !keys.contains(key) {
                throw fail(join(path, key), "is not a known key (expected one of \(keys.joined(separator: ", ")))")
            }
            return members
        }

        func list(_ node: DocumentNode, _ path: String) throws(GovernanceError) -> [DocumentNode] {
            guard case .sequence(let elements) = node else { throw fail(path, "must be a list, not \(node.typeName)") }
            guard elements.count <= PolicyParser.maxListEntries else {
                throw fail(path, "has \(elements.count) entries; the limit is \(PolicyParser.maxListEntries)")
            }
            return elements
        }

        func strings(_ node: DocumentNode, _ path: String) throws(GovernanceError) -> [String] {
            var out: [String] = []
            for (i, element) in try list(node, path).enumerated() { out.append(try string(element, "\(path)[\(i)]")) }
            return out
        }

        func string(_ node: DocumentNode, _ path: String) throws(GovernanceError) -> String {
            guard case .scalar(let text, let plain) = node, !(plain && YAMLReader.isNullLike(text)) else {
                throw fail(path, "must be a string, not \(node.typeName)")
            }
            return text
        }

        /// A whole number written in plain digits (quoted or not): no signs, exponents or
        /// separators, so `1e3`, `0x10`, `1_000` and `-5` are refused rather than guessed.
        func integer(_ node: DocumentNode, _ path: String, _ range: ClosedRange<Int64>) throws(GovernanceError) -> Int64 {
            guard case .scalar(let text, let plain) = node, !(plain && YAMLReader.isNullLike(text)) else {
                throw fail(path, "must be a whole number, not \(node.typeName)")
            }
            if text.hasPrefix("-"), text.utf8.dropFirst().allSatisfy(isDigit), text.utf8.count > 1 {
                throw fail(path, "is \(text); it must not be negative (\(range.lowerBound) to \(range.upperBound))")
            }
            guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy(isDigit), let value = Int64(text) else {
                throw fail(path, "is \(quoted(text)); it must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            guard range.contains(value) else {
                throw fail(path, "is \(value); it must be from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }

        /// Decimal USD, read from the scalar's own text (never through a floating point).
        func money(_ node: DocumentNode, _ path: String) throws(GovernanceError) -> Money {
            guard case .scalar(let text, let plain) = node, !(plain && YAMLReader.isNullLike(text)) else {
                throw fail(path, "must be a decimal amount of USD, not \(node.typeName)")
            }
            do { return try Money.parse(text) } catch { throw fail(path, error.message) }
        }
    }
}

extension PolicyParser {
    /// Reads and parses policy files (`-` is stdin), each whole, before anything is stored:
    /// `policy apply -f FILE...` passes the result to `PolicyStore.apply`.
    public static func load(_ paths: [String]) throws(GovernanceError) -> [PolicyDocument] {
        guard !paths.isEmpty else { throw .usage("give at least one policy file with -f FILE (- for stdin)") }
        guard paths.filter({ $0 == "-" }).count <= 1 else { throw .usage("stdin (-) can be read only once") }
        var documents: [PolicyDocument] = []
        for path in paths {
            documents.append(try parse(try DocumentFile.read(path, what: "policy file"), source: path))
        }
        return documents
    }
}
