/// Default deny: an agent may call a tool or an API only when its policy allows it.
public enum ScopeCheck {
    public enum Request: Sendable, Equatable {
        /// A tool name, matched exactly.
        case tool(String)
        /// `METHOD URL`, matched against `allowed_apis` (see `APIPattern`).
        case api(String)

        /// For the denial's audit metadata.
        public var metadata: [(String, JSONValue)] {
            switch self {
            case .tool(let name): [("tool", .string(name))]
            case .api(let call): [("api", .string(call))]
            }
        }
    }

    public struct Decision: Sendable, Equatable {
        /// The tool, or the text of the API pattern that allowed the call.
        public var matched: String

        public var json: JSONValue { .object([("allowed", .bool(true)), ("matched", .string(matched))]) }
    }

    /// The most allowed tools a denial message lists before "and N more".
    public static let listedInMessage = 20

    /// Tools compare as bytes (`Identifier.same`). Allows or throws: `.noPolicy` (exit 11) without a policy, `.scopeViolation` (exit 10)
    /// naming the allowed tools, `.invalidInput` (exit 2) for a malformed tool name. An API call
    /// that cannot be read safely (user information, dot segments, encoded slashes) is a violation.
    public static func check(_ request: Request, policy: AgentPolicy?, agentID: String) throws(GovernanceError) -> Decision {
        guard let policy else {
            throw GovernanceError(.noPolicy, "agent \(quoted(agentID)) has no policy, so it may do nothing (default deny)",
                                  hint: "apply one with `governance policy apply -f POLICY.yaml`")
        }
        let scope = policy.scope ?? ScopePolicy()
        switch request {
        case .tool(let tool):
            try Identifier.check(tool, field: "tool")
            if Identifier.contains(scope.hiddenTools, tool) {
                throw violation("tool \(quoted(tool)) is hidden from agent \(quoted(agentID))", scope: scope,
                                hint: "a hidden tool is refused even when allowed_tools lists it; remove it from the agent's hidden_tools if it should be allowed")
            }
            guard Identifier.contains(scope.allowedTools, tool) else {
                throw violation("tool \(quoted(tool)) is not allowed for agent \(quoted(agentID))", scope: scope)
            }
            return Decision(matched: tool)
        case .api(let call):
            let parsed: APIRequest
            do {
                parsed = try APIRequest.parse(call)
            } catch {
                throw GovernanceError(.scopeViolation, "API call denied for agent \(quoted(agentID)): \(error.message)",
                                      hint: "call the API with a plain URL: no user information, dot segments, path parameters, double or malformed escapes, or non-ASCII")
            }
            guard let pattern = scope.allowedAPIs.first(where: { $0.matches(parsed) }) else {
                let allowed = scope.allowedAPIs.map(\.text)
                throw GovernanceError(.scopeViolation, "API call \(quoted(call)) is not allowed for agent \(quoted(agentID)); allowed APIs: \(listing(allowed))",
                                      hint: "add a matching pattern to the agent's allowed_apis",
                                      details: [("allowed_apis", .array(allowed.prefix(listedInMessage).map(JSONValue.string)))])
            }
            return Decision(matched: pattern.text)
        }
    }

    /// Removes the hidden tools, keeping order; without a policy the list is returned unchanged
    /// (an observation: filtering never blocks).
    public static func filterTools(_ tools: [String], policy: AgentPolicy?) -> [String] {
        guard let hidden = policy?.scope?.hiddenTools, !hidden.isEmpty else { return tools }
        let set = Set(hidden.map { Array($0.utf8) })
        return tools.filter { !set.contains(Array($0.utf8)) }
    }

    private static func violation(_ what: String, scope: ScopePolicy,
                                  hint: String = "add the tool to the agent's allowed_tools if it should be allowed") -> GovernanceError {
        let allowed = scope.allowedTools.filter { !Identifier.contains(scope.hiddenTools, $0) }
        return GovernanceError(.scopeViolation, "\(what); allowed tools: \(listing(allowed))",
                               hint: hint,
                               details: [("allowed_tools", .array(allowed.prefix(listedInMessage).map(JSONValue.string))),
                                         ("allowed_tools_count", .int(allowed.count))])
    }

    /// At most `listedInMessage` names, quoted, then "and N more"; "none" when empty.
    static func listing(_ names: [String]) -> String {
        guard !names.isEmpty else { return "none" }
        var text = names.prefix(listedInMessage).map { quoted($0, limit: 64) }.joined(separator: ", ")
        if names.count > listedInMessage { text += " and \(names.count - listedInMessage) more" }
        return text
    }
}
