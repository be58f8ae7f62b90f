/// What `policy apply` would change, agent by agent (`policy diff`, `policy apply --dry-run`):
/// each agent of the files against its stored, signature-checked policy, key by key.
public struct PolicyDiff: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// No policy is stored (or the stored one carries no valid signature): apply adds it.
        case added
        /// Stored, and apply would change it.
        case changed
        /// Stored exactly so: apply changes nothing (it audits the apply all the same).
        case unchanged
        /// Stored, and named by no file: apply leaves it as it is.
        case notInFiles = "not_in_files"
    }

    /// One key of an agent's policy (`budget.per_session_usd`, `scope.allowed_tools`,
    /// `contracts.refund`), before and after; `nil` is absent.
    public struct Change: Sendable, Equatable {
        public var key: String
        public var old: JSONValue?
        public var new: JSONValue?

        public var json: JSONValue {
            var members: [(String, JSONValue)] = [("key", .string(key)), ("old", old ?? .null), ("new", new ?? .null)]
            // A list's entries added and removed, so a long list's change reads at a glance.
            if case .array(let before)? = old ?? .array([]), case .array(let after)? = new ?? .array([]) {
                members.append(("added", .array(after.filter { !before.contains($0) })))
                members.append(("removed", .array(before.filter { !after.contains($0) })))
            }
            return .object(members)
        }
    }

    public struct Agent: Sendable, Equatable {
        public var agentID: String
        public var status: Status
        public var source: String?
        /// The stored policy's SHA-256, when one is acted on.
        public var oldSHA256: String?
        public var newSHA256: String?
        /// Why a stored policy is not acted on (its signature), when that is so.
        public var storedIgnored: String?
        public var changes: [Change]

        public var json: JSONValue {
            .object([("agent_id", .string(agentID)), ("status", .string(status.rawValue)), ("source", .optional(source)),
                     ("old_sha256", .optional(oldSHA256)), ("new_sha256", .optional(newSHA256)),
                     ("stored_ignored", .optional(storedIgnored)), ("changes", .array(changes.map(\.json)))])
        }
    }

    public var agents: [Agent]

    /// True when apply would change something (`diff`'s exit 1).
    public var differs: Bool { agents.contains { $0.status == .added || $0.status == .changed } }

    public var json: JSONValue {
        .object([("differs", .bool(differs)), ("agents", .array(agents.map(\.json)))])
    }

    /// Compares the files' agents with the store. `stored` answers one agent's stored policy, or
    /// why a stored one is not acted on; `storedAgents` lists the agents the store holds.
    public static func compute(_ documents: [PolicyDocument], stored: (String) throws -> (policy: PolicyStore.Stored?, ignored: SignedAction.Rejection?),
                               storedAgents: [String]) throws -> PolicyDiff {
        var agents: [Agent] = []
        var named = Set<String>()
        for document in documents {
            for policy in document.agents {
                guard named.insert(policy.agentID).inserted else {
                    throw GovernanceError(.invalidInput, "\(document.source): agents.\(policy.agentID): is defined twice in the files",
                                          hint: "define each agent once across the files applied together")
                }
                let read = try stored(policy.agentID)
                let old = read.policy?.policy
                let changes = Self.changes(old: old, new: policy)
                let status: Status = old == nil ? .added : (read.policy?.sha256 == policy.sha256 ? .unchanged : .changed)
                agents.append(Agent(agentID: policy.agentID, status: status, source: document.source, oldSHA256: read.policy?.sha256,
                                    newSHA256: policy.sha256, storedIgnored: read.ignored?.rawValue, changes: changes))
            }
        }
        for id in storedAgents where !named.contains(id) {
            agents.append(Agent(agentID: id, status: .notInFiles, source: nil, oldSHA256: nil, newSHA256: nil, storedIgnored: nil, changes: []))
        }
        return PolicyDiff(agents: agents)
    }

    /// Key by key: each section's members (`scope.allowed_tools`, `contracts.TOOL`), a tool's
    /// price as its own key (`budget.tool_prices.TOOL`), a section with no members as itself.
    static func changes(old: AgentPolicy?, new: AgentPolicy) -> [Change] {
        let before = flatten(old?.json), after = flatten(new.json)
        var keys: [String] = []
        for (key, _) in before + after where !keys.contains(key) { keys.append(key) }
        return keys.compactMap { key in
            let o = before.first { $0.0 == key }?.1, n = after.first { $0.0 == key }?.1
            return o == n ? nil : Change(key: key, old: o, new: n)
        }
    }

    static func flatten(_ json: JSONValue?) -> [(String, JSONValue)] {
        guard case .object(let sections)? = json else { return [] }
        return sections.flatMap { section, value -> [(String, JSONValue)] in
            guard case .object(let members) = value, !members.isEmpty else { return [(section, value)] }
            return members.flatMap { key, member -> [(String, JSONValue)] in
                if section == "budget", key == "tool_prices", case .object(let prices) = member {
                    return prices.map { ("budget.tool_prices." + $0.0, $0.1) }
                }
                return [(section + "." + key, member)]
            }
        }
    }
}
