import GovernanceCore

extension PresenceCommands {
    enum Sweep {
        static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "Mark agents not seen for this long (default 300)",
                                                   range: 1...31_536_000)
        static let killAfter: Flag<Int64> = .integer("kill-after", value: "SECONDS", "Also kill agents not seen for this long (an operator action: needs --operator-key)",
                                                     range: 1...31_536_000)

        static let command = CommandSpec(
            "sweep", "Mark agents whose last heartbeat is too old as Unresponsive",
            doc: """
            Marks Live and Idle agents whose last heartbeat is older than --timeout seconds as Unresponsive and \
            prints only the agents this sweep marked (one per line; --json: {"marked": [...]}). Built for cron: \
            an agent is marked once, however many sweeps run, and concurrent sweeps never both report it; a \
            heartbeat brings it back to Live. Each marking is audited (presence.unresponsive) in the agent's \
            chain with the OS user and host that swept. The store unreachable is exit 4, so that cron mails the \
            failure rather than a sweep that silently did nothing. --kill-after SECONDS also kills every agent \
            not killed whose last sign of life is older than that, each like `presence kill` (reason \
            "silent for N s", signed with --operator-key, audited presence.kill); cron reads the key file from \
            GOVERNANCE_OPERATOR_KEY_FILE or the flag. Killed agents are listed after the marked ones (--json: \
            "killed", each with seconds_since_seen).
            """,
            flags: [timeout, killAfter.requires(SharedFlags.operatorKey), SharedFlags.operatorKey, SharedFlags.by],
            examples: ["*/5 * * * * governance -q presence sweep --timeout 600",
                       "*/5 * * * * governance -q presence sweep --timeout 600 --kill-after 3600 --operator-key /etc/governance/cron.pem",
                       "governance presence sweep --json"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let seconds = try args[timeout] ?? Presence.defaultSweepTimeout
            let db = try run.store.connection
            let now = Timestamp.now()
            let swept = try Presence.sweep(db, keys: try run.keys(), timeout: seconds, by: try PresenceCommands.operatorIdentity(args), at: now)
            var killed: [(Presence.Swept, KillMarker)] = []
            if let after = try args[killAfter] {
                let signer = try SharedFlags.operatorCredential(args, run)
                for agent in try Presence.silent(db, seconds: after, at: now) {
                    killed.append((agent, try OperatorKill.kill(db, keys: try run.keys(), agentID: agent.agentID,
                                                                reason: "silent for \(agent.secondsSinceSeen) s (presence sweep --kill-after \(after))",
                                                                by: signer.credential, identity: signer.identity)))
                }
            }
            Notifications.send(swept.map { .unresponsive($0, at: now) } + killed.map { .killed($0.1) }, db: db, run)
            var lines = swept.map { "\(Render.escaped($0.agentID))  unresponsive  last seen \($0.lastSeen.iso8601) (\($0.secondsSinceSeen) s ago)" }
            lines += killed.map { "\(Render.escaped($0.0.agentID))  killed  last seen \($0.0.lastSeen.iso8601) (\($0.0.secondsSinceSeen) s ago)" }
            var json: [(String, JSONValue)] = [("timeout_seconds", .int64(seconds)), ("marked", .array(swept.map(\.json)))]
            if let after = try args[killAfter] {
                json += [("kill_after_seconds", .int64(after)),
                         ("killed", .array(killed.map { agent, marker in
                             .object([("agent_id", .string(agent.agentID)), ("last_seen", .string(agent.lastSeen.iso8601)),
                                      ("last_seen_unix", .int64(agent.lastSeen.microseconds / 1_000_000)),
                                      ("seconds_since_seen", .int64(agent.secondsSinceSeen)), ("kill", marker.json)])
                         }))]
            }
            run.emit(json: .object(json), text: lines.isEmpty ? "no agent newly unresponsive" : lines.joined(separator: "\n"))
            return 0
        }
    }
}
