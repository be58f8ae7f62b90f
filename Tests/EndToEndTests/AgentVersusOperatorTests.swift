import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The agent holds the audit secret and shares the machine. These are the attacks it made with
/// the tools it is given, each of which turned a deny into an allow before operators signed
/// their actions; on both stores.
@Suite struct AgentVersusOperatorTests {
    static let policy = """
    agents:
      bot:
        scope: {allowed_tools: [step, charge]}
        contracts:
          charge:
            pre:
              - {check: hitl_approved, params: {kind: charge.customer}}
    """

    /// The agent's own invocation: the binary with no operator key in reach.
    static func asAgent(_ gov: Governance, _ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        var environment = gov.environment
        environment["GOVERNANCE_OPERATOR_KEY_FILE"] = nil
        return try runProcess(governanceBinary(), arguments, environment: environment, stdin: stdin)
    }

    static func applied(_ backend: Backend) throws -> Governance {
        let gov = try Governance(backend: backend)
        let r = try gov.run(["policy", "apply", "-f", "-"], stdin: policy)
        #expect(r.status == 0, "\(r.stderr)")
        return gov
    }

    static func count(_ gov: Governance, kind: String) throws -> Int {
        try gov.run(["--json", "audit", "events", "--kind", kind]).stdout.split(separator: "\n").count
    }

    /// With its secret and its OS user, the agent ran `gates grant` on its own request, `presence
    /// revive` and `policy apply`, and each exited 0. Now each needs a registered operator's key:
    /// without one it is a usage error, and with a key of its own making it is refused (22).
    @Test(arguments: Backend.allCases)
    func theAgentCannotActAsAnOperator(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let request = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])
        let id = try #require(request["request_id"]?.stringValue)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "halt"]).status == 0)

        #expect(try Self.asAgent(gov, ["gates", "grant", id]).status == 2)
        #expect(try Self.asAgent(gov, ["presence", "revive", "bot"]).status == 2)
        #expect(try Self.asAgent(gov, ["policy", "apply", "-f", "-"], stdin: Self.policy).status == 2)
        // The other operator actions: deciding a request by its id, deleting a policy, a kill.
        #expect(try gov.run(["presence", "heartbeat", "rival"]).status == 0)
        for action in [["gates", "deny", id], ["gates", "cancel", id], ["policy", "delete", "bot"], ["presence", "kill", "rival", "--reason", "mine"]] {
            let r = try Self.asAgent(gov, action)
            #expect(r.status == 2 && r.stderr.contains("--operator-key"), "\(action): \(r.stderr)")
        }

        let ownKey = gov.home + "/agent-made.pem"
        #expect(try Self.asAgent(gov, ["operator", "keygen", "--out", ownKey]).status == 0)
        let forged = ["--operator-key", ownKey]
        let grant = try Self.asAgent(gov, ["gates", "grant", id] + forged)
        #expect(grant.status == 22 && grant.stderr.contains("no registered operator"), "\(grant.stderr)")
        #expect(try Self.asAgent(gov, ["presence", "revive", "bot"] + forged).status == 22)
        #expect(try Self.asAgent(gov, ["policy", "apply", "-f", "-"] + forged, stdin: Self.policy).status == 22)
        #expect(try Self.asAgent(gov, ["gates", "deny", id] + forged).status == 22)
        #expect(try Self.asAgent(gov, ["gates", "cancel", id] + forged).status == 22)
        #expect(try Self.asAgent(gov, ["policy", "delete", "bot"] + forged).status == 22)
        #expect(try Self.asAgent(gov, ["presence", "kill", "rival", "--reason", "mine"] + forged).status == 22)
        // Registering itself needs an operator's signature once one exists.
        let pub = try Self.asAgent(gov, ["operator", "keygen", "--out", gov.home + "/agent-2.pem"]).stdout
        #expect(try Self.asAgent(gov, ["operator", "add", "bot-admin", "--public-key", "-"], stdin: pub).status == 22)

        #expect(try gov.run(["gates", "wait", id, "--no-wait"]).status == 15, "still killed: nothing the agent did took effect")
        #expect(try gov.run(["scope", "check", "--agent", "bot", "--tool", "step"]).status == 15)
        #expect(try gov.json(["gates", "show", id])["status"] == .string("pending"), "neither denied nor cancelled")
        #expect(try gov.run(["policy", "show", "bot"]).status == 0, "the policy was not deleted")
        #expect(try gov.run(["presence", "status", "rival"]).status == 0, "the rival agent was not killed")
    }

    /// An operator's key taken out of service (`operator remove`) after the agent got hold of it:
    /// the command refuses to sign with it (22), and a grant or a kill the agent signs with it
    /// through the Swift API, and writes into the store, is ignored and audited
    /// (`operator.action_ignored`, reason `removed_operator`). What it signed before stays valid.
    @Test(arguments: Backend.allCases)
    func aRemovedOperatorsGrantOrKillIsIgnoredAndAudited(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let bobKey = try gov.operatorKey("bob")
        let before = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", before, "--by", "bob"]).status == 0)
        #expect(try gov.run(["operator", "remove", "bob", "--operator-key", try gov.operatorKey("admin")]).status == 0)

        let after = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])["request_id"]?.stringValue)
        let refused = try Self.asAgent(gov, ["gates", "grant", after, "--operator-key", bobKey])
        #expect(refused.status == 22 && refused.stderr.contains("no registered operator"), "\(refused.stderr)")

        // The agent signs with the removed key itself, through the core, and writes the rows.
        let db = try #require(gov.database).rawConnection()
        let bob = OperatorCredential(name: "bob", key: try OperatorKey.load(privateKeyFile: bobKey))
        let agent = OperatorIdentity(name: "bob", osUser: "agent", host: "agent-host")
        try Gates.decide(db, keys: testKeys, requestID: after, decision: .grant, by: bob, identity: agent)
        try OperatorKill.kill(db, keys: testKeys, agentID: "bot", reason: "signed with a removed key", by: bob, identity: agent)

        #expect(try gov.run(["gates", "wait", after, "--no-wait"]).status == 18, "a grant signed after the removal is no grant")
        #expect(try gov.run(["scope", "check", "--agent", "bot", "--tool", "step"]).status == 0, "a kill signed after the removal is no kill")
        let pre = ["contract", "check-pre", "-a", "bot", "-s", session, "-t", "charge"]
        let used = try gov.json(pre)
        #expect(used["consumed_approvals"] == .array([.string(before)]), "bob's grant from before the removal holds, the later one does not")
        #expect(try gov.run(pre).status == 14)

        let ignored = try gov.run(["--json", "audit", "events", "--kind", "operator.action_ignored"]).stdout.split(separator: "\n")
            .map { try JSONParser.parse(String($0))["metadata"] ?? .null }
        #expect(ignored.contains { $0["action"] == .string("gate.granted") && $0["reason"] == .string("removed_operator") }, "\(ignored)")
        #expect(ignored.contains { $0["action"] == .string("presence.kill") && $0["reason"] == .string("removed_operator") }, "\(ignored)")
    }

    /// `gates request --action-digest D` binds an approval to a digest the caller computes of its
    /// own action: `contract check-pre --action-digest D` uses it, once; another digest, or none,
    /// does not. A declared digest is never a step's: a digest declared equal to the digest of
    /// `exec --tool charge -- COMMAND` does not let that command run, since the operator was
    /// never shown it.
    @Test(arguments: Backend.allCases)
    func aDeclaredActionDigestIsUsedOnceAndOnlyForItself(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let digest = Digest.sha256Hex(#"{"amount":"1.00","to":"ACME"}"#)
        let other = Digest.sha256Hex(#"{"amount":"99999.00","to":"EVIL"}"#)
        let requested = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot", "--action-digest", digest,
                                      "--payload", #"{"amount":"1.00","to":"ACME"}"#])
        let id = try #require(requested["request_id"]?.stringValue)
        #expect(requested["step_digest"] == .string(digest))
        let pre = ["contract", "check-pre", "-a", "bot", "-s", session, "-t", "charge"]
        #expect(try gov.run(pre + ["--action-digest", digest]).status == 14, "not granted yet")
        #expect(try gov.run(["gates", "grant", id]).status == 0)

        let wrong = try gov.run(pre + ["--action-digest", other])
        #expect(wrong.status == 14 && wrong.stderr.contains("hitl_approved"), "\(wrong.stderr)")
        #expect(try gov.run(pre).status == 14, "a check that names no digest does not use an approval for one")
        #expect(try gov.run(pre + ["--action-digest", digest.uppercased()]).status == 2, "a digest is lowercase hex")
        let used = try gov.run(["--json"] + pre + ["--action-digest", digest])
        #expect(used.status == 0, "\(used.stderr)")
        #expect(try JSONParser.parse(used.stdout)["consumed_approvals"] == .array([.string(id)]))
        #expect(try gov.run(pre + ["--action-digest", digest]).status == 14, "once")

        let evil = ["echo", "charging", "99999.00", "to", "EVIL"]
        let step = Gates.stepDigest(tool: "charge", argv: evil)
        func disguised() throws -> String {
            let id = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot", "--action-digest", step,
                                                "--payload", #"{"amount":"1.00","to":"ACME"}"#])["request_id"]?.stringValue)
            #expect(try gov.run(["gates", "grant", id]).status == 0)
            return id
        }
        let declared = try disguised()
        #expect(try gov.run(["exec", "-a", "bot", "-s", session, "-t", "charge", "--"] + evil).status == 14,
                "an approval of a declared digest does not let a step run")
        // Nor once the granted row's payload is edited to show the step, as the store file's owner can.
        let edited = try disguised()
        let shown = #"{"amount":"1.00","governed_step":{"argv":["echo","charging","99999.00","to","EVIL"],"tool":"charge"},"to":"ACME"}"#
        try #require(gov.database).rawConnection().execute("UPDATE governance_gate_requests SET payload = ? WHERE request_id = ?",
                                                           [.text(shown), .text(edited)])
        #expect(try gov.run(["exec", "-a", "bot", "-s", session, "-t", "charge", "--"] + evil).status == 14,
                "a payload edited after the grant is not the action the operator signed")
        let ignored = try gov.run(["--json", "audit", "events", "--kind", "operator.action_ignored"]).stdout.split(separator: "\n")
            .map { try JSONParser.parse(String($0))["metadata"]?["reason"] }
        #expect(ignored.contains(.string("mismatched")), "\(ignored)")
        let passed = try gov.json(pre + ["--action-digest", step])
        #expect(passed["consumed_approvals"] == .array([.string(declared)]), "the declared approval is used where it was declared")
    }

    /// An operator named like the agent, or bound to it by its heartbeat, cannot grant its requests.
    @Test(arguments: Backend.allCases)
    func noOneGrantsTheirOwnRequest(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let id = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", id, "--by", "bot"]).status == 22)
        #expect(try gov.run(["presence", "heartbeat", "bot", "--operator", "alice"]).status == 0)
        #expect(try gov.run(["gates", "grant", id, "--by", "alice"]).status == 22)
        #expect(try Self.count(gov, kind: "gate.self_approval_refused") == 2)
        #expect(try gov.run(["gates", "grant", id, "--by", "carol"]).status == 0)
        let shown = try gov.json(["gates", "show", id])
        #expect(shown["status"] == .string("granted") && shown["decided_by"] == .string("carol"))
        #expect(shown["requested_os_user"]?.stringValue?.isEmpty == false, "the request records who asked")
        // Operators act on ids alone: deny and cancel too, once each.
        let other = try #require(try gov.json(["gates", "request", "--kind", "x", "--agent", "bot"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "cancel", other, "--reason", "asked twice"]).status == 0)
        #expect(try gov.run(["gates", "wait", other]).status == 16)
        #expect(try gov.run(["gates", "deny", other]).status == 19)
    }

    /// Rows written into the store by hand, as an agent with the store file's OS user can: a
    /// grant, a kill marker and a policy. None carries an operator's signature, so none is acted
    /// on, and each ignoring is audited.
    @Test(arguments: Backend.allCases)
    func handWrittenOperatorRowsAreIgnoredAndAudited(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let db = try #require(gov.database).rawConnection()
        let id = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])["request_id"]?.stringValue)
        try db.execute("UPDATE governance_gate_requests SET status = 'granted', decided_by = 'admin', decided_at_us = 1 WHERE request_id = ?", [.text(id)])
        #expect(try gov.run(["gates", "wait", id, "--no-wait"]).status == 18, "a grant no operator signed is no grant")
        #expect(try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "true"]).status == 14)
        // A signed grant copied onto another request does not verify either.
        let real = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", real]).status == 0)
        try db.execute("""
            UPDATE governance_gate_requests SET decision_document = (SELECT decision_document FROM governance_gate_requests WHERE request_id = ?),
                decision_signature = (SELECT decision_signature FROM governance_gate_requests WHERE request_id = ?) WHERE request_id = ?
            """, [.text(real), .text(real), .text(id)])
        #expect(try gov.run(["gates", "wait", id, "--no-wait"]).status == 18)

        try db.execute("INSERT INTO governance_kill_markers (agent_id, killed_by, killed_at_us, reason, host, os_user) VALUES ('bot', 'admin', 1, 'fake', 'h', 'u')")
        #expect(try gov.run(["scope", "check", "--agent", "bot", "--tool", "step"]).status == 0, "an unsigned kill marker is ignored")
        try db.execute("DELETE FROM governance_kill_markers")

        try db.execute("UPDATE governance_policies SET policy = replace(policy, 'step', 'stepx')")
        let edited = try gov.run(["scope", "check", "--agent", "bot", "--tool", "stepx"])
        #expect(edited.status == 20 && edited.stderr.contains("no valid operator signature"), "\(edited.stderr)")
        #expect(try Self.count(gov, kind: "operator.action_ignored") >= 3)
    }

    /// An approval for {"amount":"1.00","to":"ACME"} let `exec --tool charge -- echo charging
    /// 99999.00 to EVIL` run. An approval now names the step it is for, and `exec` uses only that.
    @Test(arguments: Backend.allCases)
    func anApprovalIsBoundToTheStepItApproves(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let loose = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot",
                                               "--payload", #"{"amount":"1.00","to":"ACME"}"#])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", loose]).status == 0)
        #expect(try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "echo", "charging", "99999.00", "to", "EVIL"]).status == 14,
                "an approval that names no step does not let a step run")
        let bound = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot", "--tool", "charge", "--",
                                               "echo", "charging", "1.00", "to", "ACME"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", bound]).status == 0)
        #expect(try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "echo", "charging", "99999.00", "to", "EVIL"]).status == 14)
        let good = try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "echo", "charging", "1.00", "to", "ACME"])
        #expect(good.status == 0 && good.stdout == "charging 1.00 to ACME\n")
        #expect(try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "echo", "charging", "1.00", "to", "ACME"]).status == 14, "once")
    }

    /// A step-bound request shows the operator the command itself (`governed_step` in the payload,
    /// covered by the action hash), not only a digest beside a description the agent wrote; a
    /// stored step digest that is not the shown step's is refused as tampered.
    @Test(arguments: Backend.allCases)
    func theOperatorSeesTheBoundCommandNotTheAgentsDescription(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let id = try #require(try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot", "--payload", #"{"command":"ls /tmp"}"#,
                                            "--tool", "charge", "--", "echo", "DESTRUCTIVE"])["request_id"]?.stringValue)
        let shown = try gov.json(["gates", "show", id])
        let payload = try JSONParser.parse(try #require(shown["payload"]?.stringValue ?? shown["payload"].map { JSONWriter.canonical($0) }))
        #expect(payload["governed_step"]?["tool"] == .string("charge"))
        #expect(payload["governed_step"]?["argv"] == .array([.string("echo"), .string("DESTRUCTIVE")]))
        #expect(try gov.run(["gates", "show", id]).stdout.contains(#"step      tool charge runs ["echo","DESTRUCTIVE"]"#))

        let forged = try gov.run(["gates", "request", "--kind", "charge.customer", "--agent", "bot",
                                  "--payload", #"{"governed_step":{"tool":"charge","argv":["ls"]}}"#])
        #expect(forged.status == 2 && forged.stderr.contains("governed_step"), "\(forged.stderr)")

        // The digest column pointed at another command: the grant is refused and nothing runs.
        let other = Gates.stepDigest(tool: "charge", argv: ["echo", "harmless"])
        try gov.database!.rawConnection().execute("UPDATE governance_gate_requests SET step_digest = '\(other)' WHERE request_id = '\(id)'")
        #expect(try gov.run(["gates", "grant", id]).status == 19)
        #expect(try gov.json(["gates", "show", id])["status"] == .string("pending"))
        #expect(try gov.run(["exec", "-a", "bot", "-t", "charge", "--", "echo", "harmless"]).status == 14)
    }

    /// Three scope violations made `functioning` non-compliant; `audit log` of presence.revive,
    /// gate.requested and gate.granted made every section compliant. Reserved kinds are refused.
    @Test(arguments: Backend.allCases)
    func governanceKindsCannotBeLogged(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        for kind in ["presence.revive", "gate.granted", "gate.requested", "policy.applied", "tool.result", "llm.call"] {
            let r = try gov.run(["audit", "log", "--session", session, "--agent", "bot", "--kind", kind, "--metadata", #"{"by":"alice"}"#])
            #expect(r.status == 2 && r.stderr.contains("reserved"), "\(kind): \(r.stderr)")
        }
        // A batch rejects the line and appends the rest: exit 0 (exit 2 means nothing was written),
        // with the line and its reason in the report; --strict appends nothing and exits 2.
        let lines = #"{"kind":"presence.revive"}"# + "\n" + #"{"kind":"my.event"}"# + "\n"
        let batch = try gov.run(["--json", "audit", "log", "--batch", "--session", session, "--agent", "bot"], stdin: lines)
        #expect(batch.status == 0, "\(batch.stderr)")
        let report = try JSONParser.parse(batch.stdout)
        #expect(report["appended"] == .int(1), "\(batch.stdout)")
        let rejected = report["rejected"]?.arrayValue ?? []
        #expect(rejected.count == 1 && rejected.first?["line"] == .int(1), "\(batch.stdout)")
        #expect(rejected.first?["reason"]?.stringValue?.contains(#"kind "presence.revive" is reserved"#) == true, "\(batch.stdout)")
        #expect(batch.stderr.contains("line 1 rejected"), "\(batch.stderr)")
        #expect(try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n").count == 1)

        let strictSession = try SessionID.random().value
        let strict = try gov.run(["--json", "audit", "log", "--batch", "--strict", "--session", strictSession, "--agent", "bot"], stdin: lines)
        #expect(strict.status == 2, "\(strict.stderr)")
        let strictReport = try JSONParser.parse(strict.stdout)
        #expect(strictReport["appended"] == .int(0) && strictReport["rejected_count"] == .int(1), "\(strict.stdout)")
        #expect(strictReport["rejected"]?.arrayValue?.first?["reason"]?.stringValue?.contains("reserved") == true, "\(strict.stdout)")
        #expect(try gov.run(["--json", "audit", "events", "--session", strictSession]).stdout.isEmpty, "--strict wrote nothing")
    }
}
