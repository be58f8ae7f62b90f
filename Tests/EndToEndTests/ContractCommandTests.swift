import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `contract check-pre` / `check-post` through the built binary, on both stores.
@Suite struct ContractCommandTests {
    static let policy = """
    agents:
      billing-agent:
        scope:  {allowed_tools: [charge_customer, read_invoice]}
        budget: {per_session_usd: 0.01}
        contracts:
          charge_customer:
            pre:
              - {check: hitl_approved, message: "Charges require human approval", params: {kind: charge.customer}}
              - {check: budget_available, message: "Budget must not be exceeded"}
              - {check: scope_allowed, message: "Must be in scope"}
            post:
              - {check: audit_logged, message: "Charge must be audit-logged"}
          delete_all:
            pre:
              - {check: scope_allowed, message: "Must be in scope"}
          read_invoice:
            pre:
              - {check: custom, message: "Ticket must be open", params: {command: [CHECK], timeout_seconds: 5}}
    """

    static func applied(_ backend: Backend) throws -> (Governance, String) {
        let gov = try Governance(backend: backend)
        let check = gov.home + "/check-ticket.sh"
        // The custom check sees the agent, session and tool, and leaves a mark that it ran. It runs as
        // `/bin/sh FILE`: a script written and executed at once can fail with ETXTBSY while other tests fork.
        try "echo \"$GOVERNANCE_AGENT_ID $GOVERNANCE_SESSION_ID $GOVERNANCE_TOOL\" >> \"\(gov.home)/custom.log\"\n[ -e \"\(gov.home)/ticket-open\" ]\n"
            .write(toFile: check, atomically: true, encoding: .utf8)
        let file = gov.home + "/policy.yaml"
        try policy.replacingOccurrences(of: "CHECK", with: "\"/bin/sh\", \"\(check)\"").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try gov.run(["policy", "apply", "-f", file])
        #expect(r.status == 0, "\(r.stderr)")
        return (gov, try SessionID.random().value)
    }

    static func kinds(_ gov: Governance, _ session: String) throws -> [String] {
        try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n")
            .compactMap { try JSONParser.parse(String($0))["kind"]?.stringValue }
    }

    /// A contract needing approval exits 14 until an approval is granted, then passes once, and
    /// the approval cannot be used again.
    @Test(arguments: Backend.allCases)
    func anApprovalAllowsExactlyOneCall(backend: Backend) throws {
        let (gov, session) = try Self.applied(backend)
        let pre = ["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"]
        let first = try gov.run(pre)
        #expect(first.status == 14)
        #expect(first.stderr.contains("hitl_approved") && first.stderr.contains("Charges require human approval"), "\(first.stderr)")

        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])
        let token = try #require(issued["token"]?.stringValue)
        #expect(try gov.run(pre).status == 14, "a pending request is not an approval")
        let grant = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: token + "\n")
        #expect(grant.status == 0, "\(grant.stderr)")

        let passed = try gov.run(["--json"] + pre)
        #expect(passed.status == 0, "\(passed.stderr)")
        #expect(try JSONParser.parse(passed.stdout)["consumed_approvals"] == .array([issued["request_id"]!]))
        let again = try gov.run(pre)
        #expect(again.status == 14, "the approval was used up")
        #expect(again.stderr.contains("hitl_approved"))

        let kinds = try Self.kinds(gov, session)
        #expect(kinds == ["contract.pre_violation", "contract.pre_violation", "contract.approval_used", "contract.pre_checked", "contract.pre_violation"])
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    /// A tool.result as `exec` writes it (`audit log` refuses the kind): appended through the core.
    static func toolResult(_ gov: Governance, session: String, tool: String) throws {
        let store = try #require(gov.database).open()
        try AuditLog(db: store.connection, keys: testKeys).append(AuditEventInput(
            sessionID: try #require(SessionID(session)), agentID: "billing-agent", kind: EventKind.toolResult,
            metadata: .object([("tool", .string(tool))])))
    }

    @Test(arguments: Backend.allCases)
    func postConditionNeedsAToolResultSinceThePreCheck(backend: Backend) throws {
        let (gov, session) = try Self.applied(backend)
        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent", "--session", session])
        #expect(try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: issued["token"]!.stringValue! + "\n").status == 0)
        let post = ["contract", "check-post", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"]
        // A tool.result before the pre-check does not count.
        try Self.toolResult(gov, session: session, tool: "charge_customer")
        #expect(try gov.run(["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"]).status == 0)
        let missing = try gov.run(post)
        #expect(missing.status == 14)
        #expect(missing.stderr.contains("audit_logged") && missing.stderr.contains("Charge must be audit-logged"))
        try Self.toolResult(gov, session: session, tool: "read_invoice")
        #expect(try gov.run(post).status == 14, "a result for another tool does not count")
        try Self.toolResult(gov, session: session, tool: "charge_customer")
        #expect(try gov.run(post).status == 0)
        #expect(try Self.kinds(gov, session).filter { $0 == "contract.post_violation" }.count == 2)
    }

    @Test(arguments: Backend.allCases)
    func scopeBudgetCustomAndNoContract(backend: Backend) throws {
        let (gov, session) = try Self.applied(backend)
        func pre(_ tool: String) throws -> ProcessResult {
            try gov.run(["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", tool])
        }
        let scope = try pre("delete_all")
        #expect(scope.status == 14 && scope.stderr.contains("scope_allowed") && scope.stderr.contains("Must be in scope"))
        // custom: fails while the ticket is closed, passes once it is open; it saw the agent, session and tool.
        let closed = try pre("read_invoice")
        #expect(closed.status == 14 && closed.stderr.contains("custom") && closed.stderr.contains("exited 1"), "\(closed.stderr)")
        _ = FileManager.default.createFile(atPath: gov.home + "/ticket-open", contents: nil)
        #expect(try pre("read_invoice").status == 0)
        let log = try String(contentsOfFile: gov.home + "/custom.log", encoding: .utf8)
        #expect(log.contains("billing-agent \(session) read_invoice"))
        // No contract for the pair, or no policy at all: exit 0.
        #expect(try pre("send_email").status == 0)
        #expect(try gov.run(["contract", "check-post", "-a", "stranger", "-s", session, "--tool", "x"]).status == 0)
        // budget_available: over the cap, the charge's pre-check fails on the budget (after an approval).
        #expect(try gov.run(["cost", "track", "-a", "billing-agent", "-s", session, "--tokens", "1", "--usd", "0.02"]).status == 0)
        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])
        #expect(try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: issued["token"]!.stringValue! + "\n").status == 0)
        let budget = try pre("charge_customer")
        #expect(budget.status == 14 && budget.stderr.contains("budget_available"), "\(budget.stderr)")
        // The failed check did not use the approval up.
        let rows = try gov.json(["gates", "show", issued["request_id"]!.stringValue!])
        #expect(rows["status"] == .string("granted"))
        // A killed agent is denied with 15 before any condition.
        #expect(try gov.run(["presence", "kill", "billing-agent", "--reason", "test", "--by", "dave"]).status == 0)
        #expect(try pre("send_email").status == 15)
    }

    @Test(arguments: Backend.allCases)
    func badContractsAreRejectedByPolicyApplyNamingThePath(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let cases: [(String, String)] = [
            ("{check: telepathy, message: x}", "agents.a.contracts.t.pre[0].check"),
            ("{check: hitl_approved}", "agents.a.contracts.t.pre[0].params.kind"),
            ("{check: custom, params: {command: []}}", "agents.a.contracts.t.pre[0].params.command"),
            ("{check: custom, params: {command: [/bin/x], timeout_seconds: 100000}}", "agents.a.contracts.t.pre[0].params.timeout_seconds"),
            ("{check: scope_allowed, params: {kind: x}}", "agents.a.contracts.t.pre[0].params.kind"),
        ]
        for (condition, path) in cases {
            let r = try gov.run(["policy", "apply", "-f", "-"], stdin: "agents:\n  a:\n    contracts:\n      t:\n        pre:\n          - \(condition)\n")
            #expect(r.status == 2, "\(condition)")
            #expect(r.stderr.contains(path), "\(condition): \(r.stderr)")
        }
        let many = (0..<21).map { _ in "          - {check: budget_available}\n" }.joined()
        let tooMany = try gov.run(["policy", "apply", "-f", "-"], stdin: "agents:\n  a:\n    contracts:\n      t:\n        post:\n" + many)
        #expect(tooMany.status == 2 && tooMany.stderr.contains("limit is 20"))
        #expect(try gov.run(["policy", "show", "a"]).status != 0, "nothing was stored")
    }
    /// Eight processes race for one approval: exactly one passes.
    @Test(arguments: Backend.allCases)
    func concurrentChecksShareNoApproval(backend: Backend) throws {
        let (gov, session) = try Self.applied(backend)
        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "billing-agent"])
        #expect(try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: issued["token"]!.stringValue! + "\n").status == 0)
        let racers = try (1...8).map { _ -> SpawnedProcess in
            let p = try SpawnedProcess(governanceBinary(), ["contract", "check-pre", "-a", "billing-agent", "-s", session, "--tool", "charge_customer"],
                                       environment: gov.environment)
            p.send(nil)
            return p
        }
        let statuses = racers.map { $0.finish().status }
        #expect(statuses.filter { $0 == 0 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 14 }.count == 7, "\(statuses)")
    }
}
