/// Writes policies as a YAML policy file. Every string is double-quoted with YAML escapes, so no
/// agent id or tool name can change the document's structure; money is written as exact decimals.
public enum PolicyYAML {
    public static func emit(_ policies: [AgentPolicy]) -> String {
        var out = "# governance policy export: `governance policy apply -f FILE` takes it back unchanged\n"
        guard !policies.isEmpty else { return out + "agents: {}\n" }
        out += "agents:\n"
        for policy in policies {
            out += "  " + quote(policy.agentID) + ":"
            if policy.scope == nil, policy.budget == nil, policy.loop == nil, policy.notify == nil, !policy.declaresContracts, policy.contracts.isEmpty {
                out += " {}\n"
                continue
            }
            out += "\n"
            if let scope = policy.scope {
                out += "    scope:\n"
                list("allowed_tools", scope.allowedTools, into: &out)
                list("allowed_apis", scope.allowedAPIs.map(\.text), into: &out)
                list("hidden_tools", scope.hiddenTools, into: &out)
            }
            if let budget = policy.budget {
                out += "    budget:\n"
                if let v = budget.perSessionUSD { out += "      per_session_usd: \(v.decimal)\n" }
                if let v = budget.perSessionTokens { out += "      per_session_tokens: \(v)\n" }
                if let v = budget.perAgentUSDDaily { out += "      per_agent_usd_daily: \(v.decimal)\n" }
                if let v = budget.perAgentTokensDaily { out += "      per_agent_tokens_daily: \(v)\n" }
                if let v = budget.perSessionSeconds { out += "      per_session_seconds: \(v)\n" }
                if let v = budget.unpriced { out += "      unpriced: \(v.rawValue)\n" }
                if let v = budget.reservationSeconds { out += "      reservation_seconds: \(v)\n" }
                if let v = budget.alertAtPercent { out += "      alert_at: \"\(v)%\"\n" }
                if !budget.toolPrices.isEmpty {
                    out += "      tool_prices:\n"
                    for price in budget.toolPrices { out += "        " + quote(price.tool) + ": " + price.usd.decimal + "\n" }
                }
            }
            if let loop = policy.loop {
                out += "    loop:\n      window_seconds: \(loop.windowSeconds)\n      max_calls: \(loop.maxCalls)\n      action: \(loop.action.rawValue)\n"
            }
            if let notify = policy.notify {
                out += "    notify:\n      command: " + quote(notify.command) + "\n"
                if let t = notify.timeoutSeconds { out += "      timeout_seconds: \(t)\n" }
            }
            // JSON is YAML's flow style, and its string escapes are YAML double-quoted escapes.
            if policy.declaresContracts || !policy.contracts.isEmpty {
                out += "    contracts: " + JSONWriter.canonical(.object(policy.contracts.map { ($0.tool, $0.json) })) + "\n"
            }
        }
        return out
    }

    private static func list(_ key: String, _ values: [String], into out: inout String) {
        if values.isEmpty {
            out += "      \(key): []\n"
            return
        }
        out += "      \(key):\n"
        for value in values { out += "        - " + quote(value) + "\n" }
    }

    /// A YAML double-quoted scalar: `\` and `"` escaped, controls as `\xNN`/`\uNNNN`, and the
    /// line and paragraph separators escaped too (YAML would fold them).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where Identifier.isControl(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
