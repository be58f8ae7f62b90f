import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `governance db roles`: on PostgreSQL the server itself keeps the agent from doing what only an
/// operator may, even when the agent connects with SQL of its own and holds an operator's key.
@Suite struct DatabaseRolesTests {
    static let policy = """
    agents:
      bot:
        scope: {allowed_tools: [step, charge]}
        budget: {per_session_tokens: 100000}
    """

    /// The same store, connected as `login`.
    static func connected(_ gov: Governance, as login: String) throws -> Governance {
        let url = try #require(gov.database?.url)
        var copy = gov
        copy.environment["GOVERNANCE_DATABASE_URL"] = url.replacingOccurrences(of: "user=postgres", with: "user=\(login)")
        return copy
    }

    static func url(_ gov: Governance) -> String { gov.environment["GOVERNANCE_DATABASE_URL"] ?? "" }

    @Test func refusedOnTheEmbeddedStore() throws {
        let gov = try Governance(backend: .sqlite)
        let r = try gov.run(["db", "roles", "--agent-role", "a", "--operator-role", "o", "--auditor-role", "x"])
        #expect(r.status == 2 && r.stderr.contains("needs a PostgreSQL store"), "\(r.stderr)")
        let help = try gov.run(["db", "roles", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("GRANT agent_role TO bot_login"))
    }

    /// A second run changes nothing and says so; a privilege taken away by hand is given back,
    /// and only it; names the server would not limit are refused.
    @Test func idempotentAndConverging() throws {
        let roles = try ClusterRoles()
        defer { roles.drop() }
        let gov = try Governance(backend: .postgres)
        let first = try gov.json(["db", "roles"] + roles.flags)
        #expect(first["changed"] == .bool(true))
        #expect(first["created"] == .array([.string(roles.agent), .string(roles.operator), .string(roles.auditor)]))
        #expect(first["statements"]?.arrayValue?.contains(.string("GRANT SELECT ON \"governance_kill_markers\" TO \"\(roles.agent)\"")) == true)

        let second = try gov.run(["db", "roles"] + roles.flags)
        #expect(second.status == 0 && second.stdout.contains("nothing changed"), "\(second.stdout)")
        let again = try gov.json(["db", "roles"] + roles.flags)
        #expect(again["changed"] == .bool(false) && again["statements"] == .array([]) && again["created"] == .array([]))

        let db = try #require(gov.database).rawConnection()
        try db.executeScript("REVOKE SELECT ON governance_policies FROM \(roles.agent); GRANT DELETE ON governance_audit_events TO \(roles.agent)")
        let repaired = try gov.json(["db", "roles"] + roles.flags)
        #expect(repaired["statements"] == .array([.string("REVOKE DELETE ON \"governance_audit_events\" FROM \"\(roles.agent)\""),
                                                  .string("GRANT SELECT ON \"governance_policies\" TO \"\(roles.agent)\"")]))

        #expect(try gov.run(["db", "roles", "--agent-role", roles.agent, "--operator-role", roles.agent, "--auditor-role", roles.auditor]).status == 2)
        #expect(try gov.run(["db", "roles", "--agent-role", "postgres", "--operator-role", roles.operator, "--auditor-role", roles.auditor]).status == 2)
        #expect(try gov.run(["db", "roles", "--agent-role", "bad-name", "--operator-role", roles.operator, "--auditor-role", roles.auditor]).status == 2)
    }

    /// The agent's login appends through every command it runs; its own SQL cannot change the
    /// trail, its spend, a kill, a decision, a policy or the operators, even with an operator's
    /// key in hand. The operator's login acts; the auditor's reads. The server records who.
    @Test func theServerEnforcesTheSplit() throws {
        let roles = try ClusterRoles()
        defer { roles.drop() }
        let owner = try Governance.applying(Self.policy, backend: .postgres)
        let carolKey = try owner.operatorKey("carol")
        #expect(try owner.run(["db", "roles"] + roles.flags).status == 0)
        let botLogin = try roles.login("bot", granted: roles.agent)
        let opLogin = try roles.login("op", granted: roles.operator)
        let audLogin = try roles.login("aud", granted: roles.auditor)
        let agent = try Self.connected(owner, as: botLogin)
        let op = try Self.connected(owner, as: opLogin)
        let auditor = try Self.connected(owner, as: audLogin)

        // What the agent does, it does as its own login.
        let session = try SessionID.random().value
        let a = ["--agent", "bot", "--session", session]
        for command in [["audit", "log", "--kind", "agent.step"] + a, ["presence", "heartbeat", "bot"],
                        ["cost", "track", "--tokens", "10", "--usd", "0.01"] + a, ["cost", "check", "--projected-tokens", "5"] + a,
                        ["scope", "check", "--tool", "step"] + a, ["loop", "record", "--tool", "step"] + a,
                        ["exec", "--tool", "step"] + a + ["--", "true"]] {
            let r = try agent.run(command)
            #expect(r.status == 0 && !r.stderr.contains("spool"), "\(command): \(r.stderr)")
        }
        let request = try agent.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])
        let id = try #require(request["request_id"]?.stringValue)
        let snapshot = try agent.json(["cost", "snapshot"] + a)
        #expect(snapshot["session_usd_used"] == .string("0.01") && snapshot["session_tokens_used"] == .int(10), "the server counted the spend")
        let presence = try agent.json(["presence", "list"])
        #expect(presence["agents"]?.arrayValue?.first?["db_user"] == .string(botLogin))
        // A heartbeat that changes nothing moves the row through the one function the agent may run.
        let seenBefore = try #require(presence["agents"]?.arrayValue?.first?["last_seen_unix"])
        usleep(1_100_000)
        let beat = try agent.json(["presence", "heartbeat", "bot", "--metadata", "{\"step\":2}"])
        #expect(beat["status"] == .string("seen"), "\(beat)")
        let moved = try #require(try agent.json(["presence", "list"])["agents"]?.arrayValue?.first)
        #expect(moved["status"] == .string("live") && moved["metadata"] == .object([("step", .int(2))]))
        #expect(moved["last_seen_unix"] != seenBefore)
        #expect(try agent.json(["presence", "idle", "bot"])["status"] == .string("appended"))
        #expect(try agent.json(["presence", "idle", "bot"])["status"] == .string("seen"))
        #expect(try agent.json(["presence", "heartbeat", "bot"])["status"] == .string("appended"))

        // Its own SQL.
        let sql = try PostgresConnection(url: Self.url(agent))
        let refused = [
            "UPDATE governance_audit_events SET kind = 'x'",
            "DELETE FROM governance_audit_events",
            "TRUNCATE governance_audit_events",
            "INSERT INTO governance_audit_events (session_id, seq, agent_id, kind, metadata, created_at_us, prev_hash, hmac, db_user) VALUES ('\(session)', 99, 'bot', 'k', '{}', 0, 'x', 'y', 'alice')",
            "UPDATE governance_audit_sessions SET last_seq = 1",
            "UPDATE governance_cost_sessions SET usd_nanos = 0",
            "UPDATE governance_cost_daily SET usd_nanos = 0, tokens = 0",
            "DELETE FROM governance_cost_models",
            "DELETE FROM governance_kill_markers",
            "UPDATE governance_gate_requests SET status = 'granted'",
            "UPDATE governance_gate_requests SET decided_by = 'carol'",
            """
            INSERT INTO governance_gate_requests (request_id, kind, agent_id, payload, action_hash, token_hash, created_at_us, expires_at_us, status)
            VALUES ('forged', 'charge.customer', 'bot', '{}', 'x', 'y', 0, 9999999999999999, 'granted')
            """,
            "INSERT INTO governance_policies (agent_id, policy, sha256, source, applied_at_us) VALUES ('bot', '{}', 'x', 'x', 0)",
            "DELETE FROM governance_policies",
            "INSERT INTO governance_operators (name, public_key, added_at_us) VALUES ('mallory', 'ab', 0)",
            "UPDATE governance_presence SET status = 'live'",
            "DELETE FROM governance_presence",
            "UPDATE governance_presence SET last_seen_us = 0",
            "INSERT INTO governance_presence (agent_id, status, last_seen_us, status_changed_us, metadata) VALUES ('ghost', 'live', 0, 0, '{}')",
        ]
        for statement in refused {
            #expect(throws: GovernanceError.self, "\(statement)") { try sql.execute(statement) }
            #expect {
                try sql.execute(statement)
            } throws: { error in
                let e = error as? GovernanceError
                return e?.exitCode == 4 && (e?.message.contains("permission denied") == true || e?.message.contains("pending and undecided") == true)
            }
        }
        // Through the presence function it moves last seen of a row already in that status, never
        // past the server's clock, and nothing else.
        let far = Timestamp.now().microseconds + 86_400_000_000
        #expect(try sql.queryFirst("SELECT governance_presence_seen('bot', 'idle', NULL, NULL, \(far))")?.text(0) == "f", "not Idle: no change")
        #expect(try sql.queryFirst("SELECT governance_presence_seen('bot', 'live', 'mallory', NULL, \(far))")?.text(0) == "f", "not its operator")
        #expect(try sql.queryFirst("SELECT governance_presence_seen('bot', 'live', NULL, NULL, \(far))")?.text(0) == "t")
        let row = try #require(try sql.queryFirst("SELECT status, last_seen_us, operator FROM governance_presence WHERE agent_id = 'bot'"))
        #expect(try row.text(0) == "live" && row.int(1) < far && row.optionalText(2) == nil, "clamped to the server's clock")
        #expect(throws: GovernanceError.self) { try sql.queryFirst("SELECT governance_presence_seen('bot', 'unresponsive', NULL, NULL, 0)") }
        #expect(throws: GovernanceError.self) { try sql.queryFirst("SELECT governance_presence_seen('bot', 'live', NULL, 'not json', 0)") }

        // Spend the agent could lower: a negative counter, or an event that carries negative spend.
        #expect(throws: GovernanceError.self) {
            try sql.execute("INSERT INTO governance_cost_sessions (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us) VALUES ('bot', 'other', -1000000000, -5, 0, 0)")
        }
        #expect(throws: GovernanceError.self) {
            try sql.execute("""
                INSERT INTO governance_audit_events (session_id, seq, agent_id, kind, metadata, created_at_us, prev_hash, hmac)
                VALUES ('\(session)', 99, 'bot', 'cost.tracked', '{"governance.cost":{"tokens":-10,"usd":"0"}}', 0, 'x', 'y')
                """)
        }
        // Deletes it may make reach only rows that no longer count.
        let loopRows = try sql.queryFirst("SELECT COUNT(*) FROM governance_loop_calls")?.int(0)
        #expect(try sql.execute("DELETE FROM governance_loop_calls") == 0)
        #expect(try sql.queryFirst("SELECT COUNT(*) FROM governance_loop_calls")?.int(0) == loopRows)
        #expect(try sql.execute("DELETE FROM governance_cost_reservations") == 0)

        // The operator commands, even with an operator's key, are refused by the server.
        func stolenKey(_ command: [String]) throws {
            let r = try runProcess(governanceBinary(), command + ["--operator-key", carolKey], environment: agent.environment)
            #expect(r.status == 4 && r.stderr.contains("refused this to the connected role"), "\(command): \(r.stderr)")
        }
        try stolenKey(["presence", "kill", "bot", "--reason", "x"])
        try stolenKey(["gates", "grant", id])
        let stolen = try runProcess(governanceBinary(), ["policy", "apply", "-f", "-", "--operator-key", carolKey], environment: agent.environment,
                                    stdin: Self.policy)
        #expect(stolen.status == 4, "\(stolen.stderr)")
        #expect(try agent.run(["scope", "check", "--tool", "step"] + a).status == 0)
        #expect(try agent.json(["cost", "snapshot"] + a)["session_usd_used"] == .string("0.01"), "spend unchanged")

        // The operator's login acts, and the server records it.
        #expect(try op.run(["gates", "grant", id, "--by", "carol"]).status == 0)
        #expect(try op.run(["presence", "kill", "bot", "--reason", "halt", "--by", "carol"]).status == 0)
        #expect(try agent.run(["scope", "check", "--tool", "step"] + a).status == 15)
        try stolenKey(["presence", "revive", "bot"])
        #expect(try agent.run(["scope", "check", "--tool", "step"] + a).status == 15)
        #expect(try op.run(["presence", "revive", "bot", "--by", "carol"]).status == 0)
        #expect(try agent.run(["scope", "check", "--tool", "step"] + a).status == 0)
        #expect(try op.run(["policy", "apply", "-f", "-", "--by", "carol"], stdin: Self.policy).status == 0)

        // The auditor's login reads and verifies.
        let shown = try auditor.json(["gates", "show", id])
        #expect(shown["status"] == .string("granted"))
        #expect(shown["requested_db_user"] == .string(botLogin) && shown["decided_db_user"] == .string(opLogin), "\(shown)")
        let verify = try auditor.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let reader = try PostgresConnection(url: Self.url(auditor))
        #expect(throws: GovernanceError.self) { try reader.execute("DELETE FROM governance_gate_requests") }
        #expect(throws: GovernanceError.self, "the auditor moves no presence") {
            try reader.queryFirst("SELECT governance_presence_seen('bot', 'live', NULL, NULL, 0)")
        }
        let byLogin = try reader.query("SELECT DISTINCT kind, db_user FROM governance_audit_events WHERE kind IN ('presence.kill', 'gate.granted', 'policy.applied', 'tool.call')")
        let stamps = Set(try byLogin.map { "\(try $0.text(0))=\($0.optionalText(1) ?? "-")" })
        #expect(stamps.isSuperset(of: ["presence.kill=\(opLogin)", "gate.granted=\(opLogin)", "tool.call=\(botLogin)"]), "\(stamps)")
    }
}
