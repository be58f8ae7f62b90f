import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Operators from the command line: kill and status, approvals across processes, presence while
/// the store is away, agent completions.
@Suite struct OperatorTests {
    @Test(arguments: Backend.allCases)
    func statusExits15SayingWhoWhenAndWhy(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        // A store that does not exist yet is a configuration error for a reader (exit 3), not "alive".
        if backend == .sqlite { #expect(try gov.run(["presence", "status", "billing"]).status == 3) }
        #expect(try gov.run(["init"]).status == 0)
        #expect(try gov.run(["presence", "status", "billing"]).status == 0, "an agent never seen and not killed is not refused")
        let kill = try gov.json(["presence", "kill", "billing", "--reason", "runaway spend", "--by", "carol", "--force"])
        #expect(kill["killed_by"] == .string("carol"))
        #expect(kill["os_user"]?.stringValue?.isEmpty == false)
        let status = try gov.run(["presence", "status", "billing"])
        #expect(status.status == 15)
        #expect(status.stdout.contains(" killed "))
        #expect(status.stderr.contains("killed by \"carol\""))
        #expect(status.stderr.contains("runaway spend"))
        #expect(status.stderr.contains(kill["killed_at"]?.stringValue ?? "no time"))
        let json = try gov.run(["--json", "presence", "status", "billing"])
        #expect(json.status == 15)
        let error = try JSONParser.parse(json.stderr)["error"]
        #expect(error?["code"] == .string("agent_killed"))
        #expect(error?["reason"] == .string("runaway spend"))
        #expect(error?["killed_by"] == .string("carol"))

        #expect(try gov.run(["presence", "revive", "billing", "--by", "carol"]).status == 0)
        #expect(try gov.run(["presence", "status", "billing"]).status == 0)
    }

    /// `gates wait` in one process returns 0 soon after `gates grant` in another: it is woken by
    /// the store (NOTIFY / data_version), not by its 60 s timeout.
    @Test(arguments: Backend.allCases)
    func waitReturnsSoonAfterAGrantFromAnotherProcess(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let issued = try gov.json(["gates", "request", "--kind", "deploy", "--agent", "release-bot", "--payload", #"{"env":"prod"}"#])
        let id = try #require(issued["request_id"]?.stringValue)
        let token = try #require(issued["token"]?.stringValue)
        #expect(try gov.run(["gates", "wait", id, "--no-wait"]).status == 18)

        let waiter = try SpawnedProcess(governanceBinary(), ["gates", "wait", id, "--timeout", "60"], environment: gov.environment)
        waiter.send(nil)
        // The grant must come while the waiter is blocked in the wait, or the test would pass
        // by a first read that already sees it.
        #expect(waitUntil { isBlockedInChangeWait(waiter.pid) }, "the waiter never blocked in the wait")
        #expect(waiter.isRunning, "wait blocks while the request is pending")

        // The token goes through stdin, not argv.
        let grant = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: token + "\n")
        #expect(grant.status == 0, "\(grant.stderr)")
        let granted = Date()
        let result = waiter.finish()
        let after = Date().timeIntervalSince(granted)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("granted by dave"))
        #expect(after < 15, "woken by the grant (\(after) s), not by the 60 s timeout")

        let shown = try gov.json(["gates", "show", id])
        #expect(shown["status"] == .string("granted"))
        #expect(shown["decided_by"] == .string("dave"))
    }

    @Test(arguments: Backend.allCases)
    func denyAndRejectedTokensExitWithTheirCodes(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let issued = try gov.json(["gates", "request", "--kind", "deploy", "--agent", "release-bot"])
        let id = try #require(issued["request_id"]?.stringValue)
        let token = try #require(issued["token"]?.stringValue)
        let forged = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
        let rejected = try gov.run(["gates", "grant", forged])
        #expect(rejected.status == 19)
        #expect(rejected.stderr.contains("forged"))
        #expect(try gov.json(["gates", "show", id])["status"] == .string("pending"))
        #expect(try gov.run(["gates", "deny", token, "--reason", "not today"]).status == 0)
        #expect(try gov.run(["gates", "wait", id]).status == 16)
        #expect(try gov.run(["gates", "grant", token]).status == 19)
        let pending = try gov.json(["gates", "list", "--pending"])
        #expect(pending["requests"] == .array([]))
    }

    @Test func heartbeatWithTheStoreDownSpoolsAndExits0() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql://127.0.0.1:1/nowhere?connect_timeout=2"
        let beat = try gov.run(["--json", "presence", "heartbeat", "billing", "--operator", "alice"])
        #expect(beat.status == 0, "\(beat.stderr)")
        #expect(try JSONParser.parse(beat.stdout)["status"] == .string("spooled"))
        #expect(beat.stderr.contains("spooled to"))
        let spooled = try FileManager.default.subpathsOfDirectory(atPath: gov.home + "/spool").filter { $0.hasSuffix(".jsonl") }
        #expect(spooled.count == 1)
        #expect(try gov.run(["presence", "heartbeat", "billing", "--require-durable"]).status == 4)
        // An assert-alive check fails closed when the store is away.
        #expect(try gov.run(["presence", "status", "billing"]).status == 4)
    }

    /// `presence list --names` prints the ids; with the store away it prints nothing. The completion
    /// scripts ask `governance complete agents` (CompletionValuesTests).
    @Test func completionsOfferAgentIdsFromTheStore() throws {
        let gov = try Governance(backend: .sqlite)
        #expect(try gov.run(["presence", "heartbeat", "alpha"]).status == 0)
        #expect(try gov.run(["presence", "kill", "ghost", "--reason", "halt", "--force"]).status == 0)
        #expect(try gov.run(["presence", "list", "--names"]).stdout == "alpha\nghost\n")
        var away = gov
        away.environment["GOVERNANCE_DATABASE_URL"] = "postgresql://127.0.0.1:1/nowhere?connect_timeout=2"
        #expect(try away.run(["presence", "list", "--names"]).stdout.isEmpty)
        let bash = try gov.run(["completions", "bash"]).stdout
        #expect(bash.contains("\" presence kill\") COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]}\" complete agents 2>/dev/null)\""))
    }

    /// Needs the enforcement path (the lead routes `.enforce` commands through it at merge).
    @Test(arguments: Backend.allCases)
    func aKilledAgentsGatesRequestExits15(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "kill", "release-bot", "--reason", "halt", "--force"]).status == 0)
        let request = try gov.run(["gates", "request", "--kind", "deploy", "--agent", "release-bot"])
        #expect(request.status == 15)
        #expect(request.stderr.contains("halt"))
        #expect(try gov.run(["--json", "gates", "list"]).stdout.contains("release-bot") == false, "a killed agent's request was stored")
    }

    /// A kill from one process is seen by the very next enforcement call of another, whatever it
    /// is, with who, when and why; a revive lets the agent act again.
    @Test(arguments: Backend.allCases)
    func aKillIsSeenByTheNextEnforcementCallOfAnotherProcess(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let policy = gov.home + "/policy.yaml"
        try "agents:\n  billing-agent:\n    scope: {allowed_tools: [read_invoice]}\n    budget: {per_session_usd: 1.00}\n    loop: {window_seconds: 60, max_calls: 100, action: raise}\n"
            .write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(try gov.run(["policy", "apply", "-f", policy]).status == 0)
        let check = ["scope", "check", "-a", "billing-agent", "-t", "read_invoice"]
        #expect(try gov.run(check).status == 0)
        // Another process (the operator's) halts the agent by name.
        #expect(try gov.run(["presence", "kill", "billing-agent", "--reason", "runaway refunds", "--by", "carol"]).status == 0)
        let refused = try gov.run(check)
        #expect(refused.status == 15)
        #expect(refused.stderr.contains("carol") && refused.stderr.contains("runaway refunds"))
        for command in [["cost", "check", "-a", "billing-agent"], ["loop", "record", "-a", "billing-agent", "-t", "x"]] {
            #expect(try gov.run(command).status == 15, "\(command)")
        }
        #expect(try gov.run(["--json", "audit", "events", "--agent", "billing-agent", "--kind", "agent.killed"]).stdout
                    .split(separator: "\n").count == 3)
        #expect(try gov.run(["presence", "revive", "billing-agent", "--by", "carol"]).status == 0)
        #expect(try gov.run(check).status == 0)
    }

    /// A kill ends a `gates wait` that is already blocked, with exit 15.
    @Test func aKillEndsAWaitInProgress() throws {
        let gov = try Governance()
        let request = try gov.json(["gates", "request", "--kind", "deploy", "--agent", "release-bot"])
        let id = try #require(request["request_id"]?.stringValue)
        let waiter = try SpawnedProcess(governanceBinary(), ["gates", "wait", id, "--timeout", "60"], environment: gov.environment)
        waiter.send(nil)
        #expect(waitUntil { isBlockedInChangeWait(waiter.pid) }, "the waiter never blocked in the wait")
        #expect(try gov.run(["presence", "kill", "release-bot", "--reason", "halt", "--force"]).status == 0)
        let r = waiter.finish()
        #expect(r.status == 15, "\(r.stderr)")
        #expect(r.stderr.contains("halt"))
    }
}
