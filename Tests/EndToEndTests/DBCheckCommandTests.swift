import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `db check`: derived state edited by hand is found (exit 20), repaired with `--repair`
/// (audited), and a second run finds nothing; on both stores.
@Suite struct DBCheckCommandTests {
    static let policy = """
    agents:
      billing-agent:
        scope:  {allowed_tools: [charge_customer]}
        budget: {per_session_usd: 0.10}
        contracts:
          charge_customer:
            pre:
              - {check: hitl_approved, message: "Charges require human approval", params: {kind: charge.customer}}
      other-agent:
        scope:  {allowed_tools: [charge_customer]}
    """

    static func applied(_ backend: Backend) throws -> Governance { try Governance.applying(policy, backend: backend) }

    /// Runs SQL on the store as someone with write access to it would.
    static func tamper(_ gov: Governance, _ sql: String, _ parameters: [SQLValue] = []) throws {
        let db = try #require(gov.database).rawConnection()
        try db.execute(sql, parameters)
    }

    static func check(_ gov: Governance, _ extra: [String] = []) throws -> (status: Int32, report: JSONValue, stderr: String) {
        let r = try gov.run(["--json", "db", "check"] + extra)
        return (r.status, try JSONParser.parse(r.stdout), r.stderr)
    }

    static func drifts(_ report: JSONValue) -> [JSONValue] { report["drifts"]?.arrayValue ?? [] }

    static func count(_ value: JSONValue?) -> Int {
        guard case .number(let n)? = value else { return -1 }
        return Int(n)
    }

    static func drift(_ report: JSONValue, table: String, field: String) -> JSONValue? {
        drifts(report).first { $0["table"]?.stringValue == table && $0["field"]?.stringValue == field }
    }

    /// Edits the store, expects `db check` to name the drift, then repairs and confirms.
    static func tamperFindRepair(_ gov: Governance, _ sql: String, _ parameters: [SQLValue] = [], table: String, field: String,
                                 agent: String, repaired: Int? = nil) throws {
        try tamper(gov, sql, parameters)
        #expect(drift(try check(gov).report, table: table, field: field) != nil, "\(table).\(field)")
        try repairAndConfirm(gov, agent: agent, expectRepaired: repaired)
    }

    /// Repairs, then checks that a second run finds nothing and that each repair is in the chain.
    static func repairAndConfirm(_ gov: Governance, agent: String, expectRepaired: Int? = nil) throws {
        let repaired = try check(gov, ["--repair"])
        #expect(repaired.status == 20, "drift was found, so the repair run still exits 20")
        let count = count(repaired.report["repaired"])
        #expect(count > 0)
        if let expectRepaired { #expect(count == expectRepaired) }
        let again = try check(gov)
        #expect(again.status == 0, "a second run finds no drift: \(drifts(again.report))")
        #expect(drifts(again.report).isEmpty)
        let events = try gov.run(["--json", "audit", "events", "--agent", agent, "--kind", EventKind.dbRepaired]).stdout
            .split(separator: "\n")
        #expect(events.count >= count, "every repair is audited as db.repaired")
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func aCleanStoreHasNoDrift(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "10", "--usd", "0.01"]).status == 0)
        #expect(try gov.run(["cost", "track-usage", "-a", "billing-agent", "-s", session, "-m", "gpt-4o-mini", "--input-tokens", "100",
                             "--output-tokens", "20"]).status == 0)
        #expect(try gov.run(["presence", "heartbeat", "billing-agent", "--operator", "alice"]).status == 0)
        #expect(try gov.run(["presence", "heartbeat", "other-agent"]).status == 0)
        usleep(1_100_000)
        let swept = try gov.json(["presence", "sweep", "--timeout", "1"])
        #expect(swept["marked"]?.arrayValue?.count == 2, "\(swept)")
        #expect(try gov.run(["presence", "kill", "other-agent", "--reason", "test", "--by", "carol"]).status == 0)
        #expect(try gov.run(["presence", "kill", "billing-agent", "--reason", "test", "--by", "carol"]).status == 0)
        #expect(try gov.run(["presence", "revive", "billing-agent", "--by", "carol"]).status == 0)
        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])
        let id = try #require(issued["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", id, "--by", "dave"]).status == 0)
        #expect(try gov.run(["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"]).status == 0)
        _ = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])

        let result = try Self.check(gov)
        #expect(result.status == 0, "\(result.stderr) \(Self.drifts(result.report))")
        #expect(result.report["ok"] == .bool(true))
        let checked = try #require(result.report["checked"])
        #expect(Self.count(checked["events"]) > 10)
        #expect(Self.count(checked["governance_cost_sessions"]) == 1)
        #expect(Self.count(checked["governance_cost_models"]) == 1)
        #expect(Self.count(checked["governance_presence"]) == 2)
        #expect(Self.count(checked["governance_kill_markers"]) == 1)
        #expect(Self.count(checked["governance_gate_requests"]) == 2)
        let text = try gov.run(["db", "check"])
        #expect(text.status == 0 && text.stdout.hasPrefix("no drift; checked: events"), "\(text.stdout)")
    }

    /// The reproduction: resetting usd_nanos by hand turned `cost check` 12 into 0.
    @Test(arguments: Backend.allCases)
    func handResetSpendIsFoundAndRepaired(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let costCheck = ["cost", "check", "-a", "billing-agent", "-s", session]
        #expect(try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "100", "--usd", "0.20"]).status == 0)
        #expect(try gov.run(costCheck).status == 12)
        try Self.tamper(gov, "UPDATE governance_cost_sessions SET usd_nanos = 0")
        #expect(try gov.run(costCheck).status == 0, "the hand edit lets the agent spend again")

        let found = try Self.check(gov)
        #expect(found.status == 20)
        #expect(found.report["ok"] == .bool(false))
        let drift = try #require(Self.drift(found.report, table: "governance_cost_sessions", field: "usd_nanos"))
        #expect(drift["key"] == .object([("agent_id", .string("billing-agent")), ("session_id", .string(session))]))
        #expect(drift["expected"] == .int(200_000_000))
        #expect(drift["stored"] == .int(0))
        #expect(drift["repairable"] == .bool(true))
        let text = try gov.run(["db", "check"])
        #expect(text.status == 20)
        #expect(text.stdout.contains("governance_cost_sessions agent_id=billing-agent session_id=\(session) usd_nanos: expected 200000000, stored 0"),
                "\(text.stdout)")

        try Self.repairAndConfirm(gov, agent: "billing-agent", expectRepaired: 1)
        #expect(try gov.run(costCheck).status == 12, "the budget holds again")
    }

    /// Every counter of every spend table, raised or lowered, and a session clock moved forward.
    @Test(arguments: Backend.allCases)
    func everySpendCounterIsChecked(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["cost", "track-usage", "-a", "billing-agent", "-s", session, "-m", "no-such-model-x", "--input-tokens", "7",
                             "--output-tokens", "3"]).status == 0)
        try Self.tamper(gov, "UPDATE governance_cost_daily SET tokens = 1, unpriced_calls = 0")
        try Self.tamper(gov, "UPDATE governance_cost_models SET calls = 0, output_tokens = 99")
        try Self.tamper(gov, "UPDATE governance_cost_sessions SET started_at_us = started_at_us + 3600000000, unpriced_calls = 5")
        let found = try Self.check(gov)
        #expect(found.status == 20)
        for (table, field) in [("governance_cost_daily", "tokens"), ("governance_cost_daily", "unpriced_calls"),
                               ("governance_cost_models", "calls"), ("governance_cost_models", "output_tokens"),
                               ("governance_cost_sessions", "started_at_us"), ("governance_cost_sessions", "unpriced_calls")] {
            #expect(Self.drift(found.report, table: table, field: field) != nil, "\(table).\(field)")
        }
        #expect(Self.drifts(found.report).count == 6)
        // A deleted row is drift too.
        try Self.tamperFindRepair(gov, "DELETE FROM governance_cost_daily", table: "governance_cost_daily", field: "row", agent: "billing-agent")
    }

    @Test(arguments: Backend.allCases)
    func presenceEditsAreFoundAndRepaired(backend: Backend) throws {
        let gov = try Self.applied(backend)
        #expect(try gov.run(["presence", "heartbeat", "billing-agent", "--operator", "alice"]).status == 0)
        #expect(try gov.run(["presence", "idle", "billing-agent"]).status == 0)
        // The agent unbinds its operator (so that operator may grant its requests) and looks live. Last
        // seen may be later than the chain's last transition (reports that change nothing move it),
        // never earlier.
        try Self.tamper(gov, "UPDATE governance_presence SET operator = NULL, status = 'live', last_seen_us = last_seen_us - 1000000")
        let found = try Self.check(gov)
        #expect(found.status == 20)
        for field in ["operator", "status", "last_seen_us"] {
            #expect(Self.drift(found.report, table: "governance_presence", field: field) != nil, "\(field)")
        }
        #expect(Self.drift(found.report, table: "governance_presence", field: "operator")?["expected"] == .string("alice"))
        try Self.repairAndConfirm(gov, agent: "billing-agent")
        let status = try gov.json(["presence", "status", "billing-agent"])
        #expect(status["status"] == .string("idle") && status["operator"] == .string("alice"), "\(status)")

        // A row no event made.
        try Self.tamperFindRepair(gov, "INSERT INTO governance_presence (agent_id, operator, status, last_seen_us, status_changed_us, metadata) VALUES ('ghost', NULL, 'live', 1, 1, '{}')",
                                  table: "governance_presence", field: "row", agent: "ghost")
    }

    @Test(arguments: Backend.allCases)
    func killMarkersFollowTheSignedChain(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let costCheck = ["cost", "check", "-a", "billing-agent", "-s", session]
        #expect(try gov.run(["presence", "kill", "billing-agent", "--reason", "runaway", "--by", "carol"]).status == 0)
        #expect(try gov.run(costCheck).status == 15)

        // Deleted by hand while the chain says killed.
        try Self.tamper(gov, "DELETE FROM governance_kill_markers")
        #expect(try gov.run(costCheck).status == 0, "the hand edit lifts the kill")
        let found = try Self.check(gov)
        #expect(found.status == 20)
        let drift = try #require(Self.drift(found.report, table: "governance_kill_markers", field: "row"))
        #expect(drift["key"] == .object([("agent_id", .string("billing-agent"))]))
        #expect(drift["stored"] == .null)
        try Self.repairAndConfirm(gov, agent: "billing-agent", expectRepaired: 1)
        #expect(try gov.run(costCheck).status == 15, "the restored marker carries the operator's signature")

        // A signature that does not verify.
        try Self.tamperFindRepair(gov, "UPDATE governance_kill_markers SET signature = ?", [.text(String(repeating: "0", count: 128))],
                                  table: "governance_kill_markers", field: "signature", agent: "billing-agent", repaired: 1)
        #expect(try gov.run(costCheck).status == 15)

        // After a signed revive, a marker written by hand (unsigned) is drift, and repair removes it.
        #expect(try gov.run(["presence", "revive", "billing-agent", "--by", "carol"]).status == 0)
        try Self.tamperFindRepair(gov, "INSERT INTO governance_kill_markers (agent_id, killed_by, killed_at_us, reason, host, os_user) VALUES ('other-agent', 'x', 1, 'r', 'h', 'u')",
                                  table: "governance_kill_markers", field: "row", agent: "other-agent", repaired: 1)
        #expect(try gov.run(costCheck).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func gateStateFollowsTheChain(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let pre = ["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"]
        let pending = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])["request_id"]?.stringValue)

        // Granted by hand (no signature), and its life extended.
        try Self.tamper(gov, "UPDATE governance_gate_requests SET status = 'granted', decided_by = 'mallory', expires_at_us = expires_at_us + 86400000000 WHERE request_id = ?",
                        [.text(pending)])
        var found = try Self.check(gov)
        #expect(found.status == 20)
        for field in ["status", "decided_by", "expires_at_us"] {
            let drift = try #require(Self.drift(found.report, table: "governance_gate_requests", field: field), "\(field)")
            #expect(drift["key"] == .object([("request_id", .string(pending))]))
        }
        #expect(Self.drift(found.report, table: "governance_gate_requests", field: "status")?["expected"] == .string("pending"))
        try Self.repairAndConfirm(gov, agent: "billing-agent", expectRepaired: 3)

        // A used approval made usable again.
        #expect(try gov.run(["gates", "grant", pending, "--by", "dave"]).status == 0)
        #expect(try gov.run(pre).status == 0)
        #expect(try gov.run(pre).status == 14)
        if backend == .postgres {
            // The server itself keeps a used approval used (a trigger of migration 13).
            #expect(throws: (any Error).self) { try Self.tamper(gov, "UPDATE governance_gate_requests SET consumed_at_us = NULL") }
        } else {
            try Self.tamper(gov, "UPDATE governance_gate_requests SET consumed_at_us = NULL")
            found = try Self.check(gov)
            #expect(found.status == 20)
            let drift = try #require(Self.drift(found.report, table: "governance_gate_requests", field: "consumed_at_us"))
            #expect(drift["stored"] == .null)
            try Self.repairAndConfirm(gov, agent: "billing-agent", expectRepaired: 1)
        }
        #expect(try gov.run(pre).status == 14, "the approval stays used")

        // A request the chain never saw.
        try Self.tamperFindRepair(gov, """
            INSERT INTO governance_gate_requests (request_id, kind, agent_id, payload, action_hash, token_hash, created_at_us, expires_at_us, status)
            VALUES ('00000000-0000-4000-8000-000000000001', 'charge.customer', 'billing-agent', '{}', 'x', 'y', 1, 9000000000000000, 'pending')
            """, table: "governance_gate_requests", field: "row", agent: "billing-agent", repaired: 1)
    }

    /// A chain that does not verify is no source for a repair: refused, exit 20, nothing changed.
    @Test(arguments: Backend.allCases)
    func repairIsRefusedFromABrokenChain(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "100", "--usd", "0.20"]).status == 0)
        try Self.tamper(gov, "UPDATE governance_cost_sessions SET usd_nanos = 0")
        try Self.tamper(gov, "UPDATE governance_audit_events SET model = 'edited' WHERE session_id = ?", [.text(session)])
        let refused = try Self.check(gov, ["--repair"])
        #expect(refused.status == 20)
        #expect(refused.report["chain_verified"] == .bool(false))
        #expect(refused.report["repaired"] == .int(0))
        #expect(refused.report["repair_refused"]?.stringValue?.contains("does not verify") == true)
        #expect(refused.stderr.contains("repair refused"))
        let db = try #require(gov.database).rawConnection()
        #expect(try db.queryFirst("SELECT usd_nanos FROM governance_cost_sessions")?.int(0) == 0, "nothing was written")
    }

    /// `--agent` checks one agent's derived state.
    @Test(arguments: Backend.allCases)
    func agentFilterChecksOneAgent(backend: Backend) throws {
        let gov = try Self.applied(backend)
        #expect(try gov.run(["presence", "heartbeat", "other-agent"]).status == 0)
        try Self.tamper(gov, "UPDATE governance_presence SET status = 'idle' WHERE agent_id = 'other-agent'")
        #expect(try Self.check(gov, ["--agent", "billing-agent"]).status == 0)
        let found = try Self.check(gov, ["--agent", "other-agent"])
        #expect(found.status == 20 && Self.drifts(found.report).count == 1)
    }
}
