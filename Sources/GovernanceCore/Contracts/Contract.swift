/// What must hold before (`pre`) and after (`post`) an agent calls one tool, declared in the
/// agent's policy under `contracts.<tool>` (docs/POLICIES.md).
public struct ToolContract: Sendable, Equatable {
    public static let maxConditions = 20

    public var tool: String
    public var pre: [ContractCondition]
    public var post: [ContractCondition]

    public init(tool: String, pre: [ContractCondition] = [], post: [ContractCondition] = []) {
        self.tool = tool
        self.pre = pre
        self.post = post
    }

    public var json: JSONValue {
        .object([("pre", .array(pre.map(\.json))), ("post", .array(post.map(\.json)))])
    }
}

/// One condition. Each check takes only its own parameters, so a policy cannot carry a setting
/// that silently does nothing.
public struct ContractCondition: Sendable, Equatable {
    public enum Check: String, Sendable, CaseIterable {
        /// A granted, unexpired, unused approval of `kind` for the agent (and the session, when the
        /// approval request named one); passing consumes it.
        case hitlApproved = "hitl_approved"
        /// The agent is within its budget (`cost check`).
        case budgetAvailable = "budget_available"
        /// The tool is in the agent's scope (`scope check --tool`).
        case scopeAllowed = "scope_allowed"
        /// The session's chain holds a `tool.result` for the tool since the pre-check.
        case auditLogged = "audit_logged"
        /// `command` (argv, no shell) exits 0 within `timeout_seconds`.
        case custom
    }

    public static let maxMessageBytes = 1024
    public static let maxCommandArguments = 64
    public static let maxTimeoutSeconds: Int64 = 300
    public static let defaultTimeoutSeconds: Int64 = 10

    public var check: Check
    public var message: String
    /// hitl_approved: the approval kind.
    public var kind: String?
    /// custom: the argv.
    public var command: [String]
    /// custom: seconds before the command is killed and the condition fails.
    public var timeoutSeconds: Int64

    public init(check: Check, message: String = "", kind: String? = nil, command: [String] = [],
                timeoutSeconds: Int64 = ContractCondition.defaultTimeoutSeconds) {
        self.check = check
        self.message = message
        self.kind = kind
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("check", .string(check.rawValue)), ("message", .string(message))]
        switch check {
        case .hitlApproved: members.append(("params", .object([("kind", .string(kind ?? ""))])))
        case .custom:
            members.append(("params", .object([("command", .array(command.map(JSONValue.string))),
                                               ("timeout_seconds", .int64(timeoutSeconds))])))
        default: break
        }
        return .object(members)
    }
}

extension PolicyParser {
    /// `contracts: {TOOL: {pre: [...], post: [...]}}`.
    static func contracts(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> [ToolContract] {
        guard case .mapping(let tools) = node else { throw r.fail(path, "must be a mapping of tool names to contracts, not \(node.typeName)") }
        guard tools.count <= maxListEntries else { throw r.fail(path, "has \(tools.count) entries; the limit is \(maxListEntries)") }
        var out: [ToolContract] = []
        for (tool, body) in tools {
            let p = r.join(path, tool)
            do { try Identifier.check(tool, field: "a tool name") } catch { throw r.fail(p, error.message) }
            var contract = ToolContract(tool: tool)
            for (key, value) in try r.mapping(body, p, keys: ["pre", "post"]) {
                let lp = r.join(p, key)
                let elements = try r.list(value, lp)
                guard elements.count <= ToolContract.maxConditions else {
                    throw r.fail(lp, "has \(elements.count) conditions; the limit is \(ToolContract.maxConditions)")
                }
                var conditions: [ContractCondition] = []
                for (i, element) in elements.enumerated() {
                    let c = try condition(element, "\(lp)[\(i)]", r)
                    // As in the reference: an approval is asked for before the call, and whether
                    // the call was logged is known only after it.
                    if key == "pre" && c.check == .auditLogged {
                        throw r.fail(r.join("\(lp)[\(i)]", "check"), "is audit_logged, a post-condition (whether the call was logged is known only after it); move it to post")
                    }
                    if key == "post" && c.check == .hitlApproved {
                        throw r.fail(r.join("\(lp)[\(i)]", "check"), "is hitl_approved, a pre-condition (an approval is needed before the call); move it to pre")
                    }
                    conditions.append(c)
                }
                if key == "pre" { contract.pre = conditions } else { contract.post = conditions }
            }
            out.append(contract)
        }
        return out
    }

    static func condition(_ node: DocumentNode, _ path: String, _ r: Reader) throws(GovernanceError) -> ContractCondition {
        let members = try r.mapping(node, path, keys: ["check", "message", "params"])
        func value(_ key: String) -> DocumentNode? { members.first(where: { $0.0 == key })?.1 }
        guard let checkNode = value("check") else { throw r.fail(r.join(path, "check"), "is missing") }
        let text = try r.string(checkNode, r.join(path, "check"))
        guard let check = ContractCondition.Check(rawValue: text) else {
            throw r.fail(r.join(path, "check"), "is \(quoted(text)); it must be one of \(ContractCondition.Check.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var condition = ContractCondition(check: check)
        if let message = value("message") {
            condition.message = try r.string(message, r.join(path, "message"))
            guard condition.message.utf8.count <= ContractCondition.maxMessageBytes else {
                throw r.fail(r.join(path, "message"), "is over \(ContractCondition.maxMessageBytes) bytes")
            }
        }
        let pp = r.join(path, "params")
        let params: [(String, DocumentNode)]
        switch check {
        case .hitlApproved: params = try value("params").map { node throws(GovernanceError) in try r.mapping(node, pp, keys: ["kind"]) } ?? []
        case .custom: params = try value("params").map { node throws(GovernanceError) in try r.mapping(node, pp, keys: ["command", "timeout_seconds"]) } ?? []
        default: params = try value("params").map { node throws(GovernanceError) in try r.mapping(node, pp, keys: []) } ?? []
        }
        for (key, param) in params {
            let kp = r.join(pp, key)
            switch key {
            case "kind":
                let kind = try r.string(param, kp)
                do { try Identifier.check(kind, field: "kind") } catch { throw r.fail(kp, error.message) }
                condition.kind = kind
            case "command":
                let argv = try r.strings(param, kp)
                guard !argv.isEmpty, argv.count <= ContractCondition.maxCommandArguments else {
                    throw r.fail(kp, "must be a list of 1 to \(ContractCondition.maxCommandArguments) arguments (the program first; no shell)")
                }
                for (i, arg) in argv.enumerated() where arg.utf8.contains(0) || arg.utf8.count > 4096 || (i == 0 && arg.isEmpty) {
                    throw r.fail("\(kp)[\(i)]", "must be 1 to 4096 bytes without NUL")
                }
                guard CustomCheck.isAbsolute(argv[0]) else {
                    throw r.fail("\(kp)[0]", "is \(quoted(argv[0])); the program must be an absolute path (such as /usr/local/bin/check-ticket), never looked up through PATH or the working directory of whoever runs the check")
                }
                condition.command = argv
            default:
                condition.timeoutSeconds = try r.integer(param, kp, 1...ContractCondition.maxTimeoutSeconds)
            }
        }
        if check == .hitlApproved, condition.kind == nil { throw r.fail(r.join(pp, "kind"), "is missing (the approval kind that must be granted)") }
        if check == .custom, condition.command.isEmpty { throw r.fail(r.join(pp, "command"), "is missing (the argv of the check)") }
        return condition
    }
}
