/// `policy test`: decision cases run against policy files with the enforcement path's own
/// decision functions (`ScopeCheck.check`, `BudgetSnapshot.judge`, `LoopDetector.verdict`,
/// `ContractEvaluation.judge`), fed from the case instead of the store. No store is opened:
/// what the store would say (spend, earlier calls, approvals) is part of each case.
/// The cases file's format is in docs/POLICIES.md.
public enum PolicyTest {
    public static let maxCases = 10_000
    public static let maxCalls = 10_000

    public enum Expectation: String, Sendable { case allow, deny }

    /// What a case asks about.
    enum Question: Sendable {
        case scope(ScopeCheck.Request)
        case budget(BudgetSnapshot, CostProjection)
        case loop([(tool: String, at: Int64)])
        case contract(tool: String, facts: StatedFacts)

        var name: String {
            switch self {
            case .scope: "scope"
            case .budget: "budget"
            case .loop: "loop"
            case .contract: "contract"
            }
        }
    }

    public struct Case: Sendable {
        public var name: String
        public var agentID: String
        public var expect: Expectation
        /// Text the decision's message must contain.
        public var reason: String?
        var question: Question
    }

    /// One case's outcome.
    public struct Result: Sendable {
        public var name: String
        public var agentID: String
        public var check: String
        public var expect: Expectation
        public var decision: Expectation
        /// The denial's error code (`scope_violation`), nil when allowed.
        public var code: String?
        /// The exit status the enforcing command would end with (0 when allowed).
        public var exitCode: Int32
        /// The denial's message, or what allowed the call.
        public var message: String
        public var warnings: [String]
        /// Why the case failed; nil when it passed.
        public var failure: String?

        public var passed: Bool { failure == nil }

        public var json: JSONValue {
            .object([("name", .string(name)), ("agent_id", .string(agentID)), ("check", .string(check)),
                     ("expect", .string(expect.rawValue)), ("decision", .string(decision.rawValue)), ("passed", .bool(passed)),
                     ("code", .optional(code)), ("exit_code", .int(Int(exitCode))), ("message", .string(message)),
                     ("warnings", .array(warnings.map(JSONValue.string))), ("failure", .optional(failure))])
        }
    }

    public struct Report: Sendable {
        public var results: [Result]

        public var passed: Bool { results.allSatisfy(\.passed) }

        public var json: JSONValue {
            let failed = results.filter { !$0.passed }.count
            return .object([("passed", .bool(passed)),
                            ("summary", .object([("cases", .int(results.count)), ("passed", .int(results.count - failed)), ("failed", .int(failed))])),
                            ("cases", .array(results.map(\.json)))])
        }
    }

    /// Runs every case against the policies of `documents` (an agent no file names has no
    /// policy: default deny).
    public static func run(_ cases: [Case], documents: [PolicyDocument]) throws -> Report {
        var policies: [String: AgentPolicy] = [:]
        for document in documents {
            for policy in document.agents {
                guard policies[policy.agentID] == nil else {
                    throw GovernanceError(.invalidInput, "\(document.source): agents.\(policy.agentID): is defined twice in the files",
                                          hint: "define each agent once across the files tested together")
                }
                policies[policy.agentID] = policy
            }
        }
        return Report(results: cases.map { run($0, policy: policies[$0.agentID]) })
    }

    static func run(_ c: Case, policy: AgentPolicy?) -> Result {
        var warnings: [String] = []
        var decision = Expectation.allow
        var message: String
        var code: String?
        var exitCode: Int32 = 0
        do {
            message = try decide(c, policy: policy, warnings: &warnings)
        } catch {
            decision = .deny
            message = error.message
            code = error.kind.rawValue
            exitCode = error.exitCode
        }
        var failure: String?
        if decision != c.expect {
            failure = "expected \(c.expect.rawValue), got \(decision.rawValue)"
        } else if let reason = c.reason, !message.contains(reason) {
            failure = "the message does not contain \(quoted(reason))"
        }
        return Result(name: c.name, agentID: c.agentID, check: c.question.name, expect: c.expect, decision: decision, code: code,
                      exitCode: exitCode, message: message, warnings: warnings, failure: failure)
    }

    /// The allowing message, or the denial thrown.
    static func decide(_ c: Case, policy: AgentPolicy?, warnings: inout [String]) throws(GovernanceError) -> String {
        switch c.question {
        case .scope(let request):
            let decision = try ScopeCheck.check(request, policy: policy, agentID: c.agentID)
            return "allowed by \(quoted(decision.matched))"
        case .budget(var snapshot, let projection):
            guard let policy else { throw noPolicy(c.agentID) }
            snapshot.budget = policy.budget
            try snapshot.judge(projection: projection, agentID: c.agentID)
            return policy.budget == nil ? "allowed: the policy sets no budget" : "allowed: within every cap"
        case .loop(let calls):
            guard let policy else { throw noPolicy(c.agentID) }
            // Each key's calls inside the window ending at the current call, oldest first.
            var windows: [String: [Int64]] = [:]
            for (i, call) in calls.enumerated() {
                let key = LoopDetector.key(call.tool)
                let at = Timestamp(microseconds: call.at * 1_000_000)
                let since = LoopDetector.windowStart(policy.loop, at: at)
                var window = windows[key, default: []]
                window.append(at.microseconds)
                if let first = window.firstIndex(where: { $0 > since }) { window.removeFirst(first) }
                windows[key] = window
                let observation = LoopDetector.Observation(tool: key, count: Int64(window.count), policy: policy.loop)
                do {
                    if let logged = try LoopDetector.verdict(observation, agentID: c.agentID) {
                        warnings.append("call #\(i + 1): \(logged.message) (allowed: the loop policy's action is log)")
                    }
                } catch {
                    throw GovernanceError(error.kind, "call #\(i + 1): \(error.message)", hint: error.recoveryHint, details: error.details)
                }
            }
            return policy.loop == nil ? "allowed: the policy sets no loop limit" : "allowed: no call exceeded max_calls"
        case .contract(let tool, let facts):
            guard let policy, let contract = policy.contract(for: tool) else { return "allowed: no contract for tool \(quoted(tool))" }
            do {
                _ = try ContractEvaluation.judge(contract.pre, tool: tool, phase: .pre, policy: policy, agentID: c.agentID,
                                                 binding: .unnamed, facts: facts)
            } catch let error as GovernanceError {
                throw error
            } catch {
                throw .internalError("\(error)")
            }
            return "allowed: \(contract.pre.count) pre-condition\(contract.pre.count == 1 ? "" : "s") held"
        }
    }

    static func noPolicy(_ agentID: String) -> GovernanceError {
        GovernanceError(.noPolicy, "agent \(quoted(agentID)) has no policy, so it may do nothing (default deny)",
                        hint: "add the agent to the policy file")
    }

    /// What a contract case says the store holds.
    struct StatedFacts: ContractFacts, Sendable {
        var approvals: [String]
        var spent: BudgetSnapshot
        var toolResultLogged: Bool
        var custom: Bool?
        let agentID: String

        func approvalAvailable(kind: String) throws -> Bool { Identifier.contains(approvals, kind) }

        func checkBudget(_ budget: BudgetPolicy?) throws {
            var snapshot = spent
            snapshot.budget = budget
            try snapshot.judge(projection: .none, agentID: agentID)
        }

        func toolResultLogged(tool: String) throws -> Bool { toolResultLogged }

        func customFailure(_ condition: ContractCondition, tool: String) throws -> String? {
            switch custom {
            case true?: nil
            case false?: "the case states that custom conditions fail"
            case nil: "policy test does not run custom commands; the case states `custom: pass` or `custom: fail`"
            }
        }
    }
}

extension PolicyTest {
    /// Reads a cases file (at most 1 MiB; YAML aliases, anchors and tags refused, as policy files).
    public static func load(_ path: String) throws(GovernanceError) -> [Case] {
        try parse(try DocumentFile.read(path, what: "cases file", purpose: "a cases file"), source: path)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws(GovernanceError) -> [Case] {
        let node = try PolicyParser.read(bytes, source: source, format: "the cases file format")
        let r = PolicyParser.Reader(source: source, format: "the cases file format")
        let top = try r.mapping(node, "", keys: ["cases"])
        guard let list = top.first(where: { $0.0 == "cases" })?.1 else { throw r.fail("cases", "is missing; a cases file is `cases: [{name: ..., agent: ..., expect: allow|deny, scope: ...}]`") }
        guard case .sequence(let elements) = list else { throw r.fail("cases", "must be a list, not \(list.typeName)") }
        guard !elements.isEmpty else { throw r.fail("cases", "holds no case") }
        guard elements.count <= maxCases else { throw r.fail("cases", "has \(elements.count) entries; the limit is \(maxCases)") }
        var cases: [Case] = []
        var names = Set<String>()
        for (i, element) in elements.enumerated() {
            let c = try parseCase(element, "cases[\(i)]", r)
            guard names.insert(c.name).inserted else { throw r.fail("cases[\(i)].name", "repeats \(quoted(c.name))") }
            cases.append(c)
        }
        return cases
    }

    static let questions = ["scope", "budget", "loop", "contract"]

    static func parseCase(_ node: DocumentNode, _ path: String, _ r: PolicyParser.Reader) throws(GovernanceError) -> Case {
        let members = try r.mapping(node, path, keys: ["name", "agent", "expect", "reason"] + questions)
        func value(_ key: String) -> DocumentNode? { members.first { $0.0 == key }?.1 }
        func required(_ key: String) throws(GovernanceError) -> DocumentNode {
            guard let v = value(key) else { throw r.fail(r.join(path, key), "is missing") }
            return v
        }
        let name = try identifier(try required("name"), r.join(path, "name"), r)
        let agent = try identifier(try required("agent"), r.join(path, "agent"), r)
        let expectText = try r.string(try required("expect"), r.join(path, "expect"))
        guard let expect = Expectation(rawValue: expectText) else { throw r.fail(r.join(path, "expect"), "is \(quoted(expectText)); it must be allow or deny") }
        let reason = try value("reason").map { v throws(GovernanceError) in try r.string(v, r.join(path, "reason")) }
        let asked = members.filter { questions.contains($0.0) }
        guard asked.count == 1, let (kind, body) = asked.first else {
            throw r.fail(path, "must ask exactly one of \(questions.joined(separator: ", ")) (it asks \(asked.isEmpty ? "none" : asked.map(\.0).joined(separator: ", ")))")
        }
        let p = r.join(path, kind)
        let question: Question
        switch kind {
        case "scope":
            let m = try r.mapping(body, p, keys: ["tool", "api"])
            guard m.count == 1, let (key, v) = m.first else { throw r.fail(p, "must give exactly one of tool, api") }
            let text = try r.string(v, r.join(p, key))
            question = .scope(key == "tool" ? .tool(text) : .api(text))
        case "budget":
            let m = try r.mapping(body, p, keys: ["spent", "projected_tokens", "model"])
            func v(_ key: String) -> DocumentNode? { m.first { $0.0 == key }?.1 }
            let tokens = try v("projected_tokens").map { n throws(GovernanceError) in try r.integer(n, r.join(p, "projected_tokens"), 1...PolicyParser.maxTokens) }
            let model = try v("model").map { n throws(GovernanceError) in try r.string(n, r.join(p, "model")) }
            let projection: CostProjection
            do {
                projection = try CostProjection.resolve(projectedTokens: tokens, model: model, environment: { _ in nil })
            } catch {
                throw r.fail(p, error.message)
            }
            question = .budget(try spent(v("spent"), r.join(p, "spent"), r), projection)
        case "loop":
            let m = try r.mapping(body, p, keys: ["calls"])
            guard let callsNode = m.first?.1 else { throw r.fail(r.join(p, "calls"), "is missing") }
            let cp = r.join(p, "calls")
            guard case .sequence(let list) = callsNode else { throw r.fail(cp, "must be a list, not \(callsNode.typeName)") }
            guard !list.isEmpty else { throw r.fail(cp, "holds no call") }
            guard list.count <= maxCalls else { throw r.fail(cp, "has \(list.count) entries; the limit is \(maxCalls)") }
            var calls: [(tool: String, at: Int64)] = []
            for (i, call) in list.enumerated() {
                let ip = "\(cp)[\(i)]"
                let fields = try r.mapping(call, ip, keys: ["tool", "at"])
                guard let toolNode = fields.first(where: { $0.0 == "tool" })?.1 else { throw r.fail(r.join(ip, "tool"), "is missing") }
                let tool = try identifier(toolNode, r.join(ip, "tool"), r)
                let at = try fields.first(where: { $0.0 == "at" }).map { f throws(GovernanceError) in try r.integer(f.1, r.join(ip, "at"), 0...86_400 * 366) } ?? 0
                if let last = calls.last, at < last.at { throw r.fail(r.join(ip, "at"), "is \(at), before the previous call's \(last.at); calls are in time order") }
                calls.append((tool, at))
            }
            question = .loop(calls)
        default:
            let m = try r.mapping(body, p, keys: ["tool", "approvals", "tool_result_logged", "custom", "spent"])
            func v(_ key: String) -> DocumentNode? { m.first { $0.0 == key }?.1 }
            guard let toolNode = v("tool") else { throw r.fail(r.join(p, "tool"), "is missing") }
            let tool = try identifier(toolNode, r.join(p, "tool"), r)
            var approvals: [String] = []
            if let a = v("approvals") {
                for (i, kind) in try r.strings(a, r.join(p, "approvals")).enumerated() {
                    do { try Identifier.check(kind, field: "an approval kind") } catch { throw r.fail("\(r.join(p, "approvals"))[\(i)]", error.message) }
                    approvals.append(kind)
                }
            }
            let logged = try v("tool_result_logged").map { n throws(GovernanceError) in try bool(n, r.join(p, "tool_result_logged"), r) } ?? false
            var custom: Bool?
            if let n = v("custom") {
                let text = try r.string(n, r.join(p, "custom"))
                guard text == "pass" || text == "fail" else { throw r.fail(r.join(p, "custom"), "is \(quoted(text)); it must be pass or fail") }
                custom = text == "pass"
            }
            question = .contract(tool: tool, facts: StatedFacts(approvals: approvals, spent: try spent(v("spent"), r.join(p, "spent"), r),
                                                                toolResultLogged: logged, custom: custom, agentID: agent))
        }
        return Case(name: name, agentID: agent, expect: expect, reason: reason, question: question)
    }

    /// What the store would hold: spend so far, in the session and the agent's UTC day.
    static func spent(_ node: DocumentNode?, _ path: String, _ r: PolicyParser.Reader) throws(GovernanceError) -> BudgetSnapshot {
        var snapshot = BudgetSnapshot(budget: nil)
        guard let node else { return snapshot }
        for (key, value) in try r.mapping(node, path, keys: ["session_usd", "session_tokens", "daily_usd", "daily_tokens",
                                                             "session_seconds", "unpriced_calls"]) {
            let p = r.join(path, key)
            switch key {
            case "session_usd": snapshot.sessionUSDUsed = try r.money(value, p)
            case "daily_usd": snapshot.agentDailyUSDUsed = try r.money(value, p)
            case "session_tokens": snapshot.sessionTokensUsed = try r.integer(value, p, 0...PolicyParser.maxTokens)
            case "daily_tokens": snapshot.agentDailyTokensUsed = try r.integer(value, p, 0...PolicyParser.maxTokens)
            case "session_seconds": snapshot.sessionSecondsUsed = try r.integer(value, p, 0...PolicyParser.maxTokens)
            default:
                let calls = try r.integer(value, p, 0...PolicyParser.maxTokens)
                snapshot.sessionUnpricedCalls = calls
                snapshot.agentDailyUnpricedCalls = calls
            }
        }
        return snapshot
    }

    static func identifier(_ node: DocumentNode, _ path: String, _ r: PolicyParser.Reader) throws(GovernanceError) -> String {
        let text = try r.string(node, path)
        do { try Identifier.check(text, field: path) } catch { throw r.fail(path, error.message) }
        return text
    }

    static func bool(_ node: DocumentNode, _ path: String, _ r: PolicyParser.Reader) throws(GovernanceError) -> Bool {
        guard case .scalar(let text, true) = node, text == "true" || text == "false" else {
            throw r.fail(path, "must be true or false")
        }
        return text == "true"
    }
}
