import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What an operator's shell and a cron line see from presence: typos refused, one status word,
/// columns with the session and last seen.
@Suite struct DayToDayPresenceTests {
    @Test(arguments: Backend.allCases)
    func killAndReviveRefuseAnAgentNeverSeenUnlessForced(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "research-agent"]).status == 0)
        _ = try gov.operatorKey("admin")
        let before = try gov.run(["audit", "export"]).stdout

        let typo = try gov.run(["presence", "kill", "reserch-agent", "--reason", "runaway"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("reserch-agent"))
        #expect(typo.stderr.contains("did you mean research-agent?"))
        #expect(typo.stderr.contains("--force"))
        let revive = try gov.run(["presence", "revive", "no-such-agent"])
        #expect(revive.status == 2)
        #expect(revive.stderr.contains("known agents: research-agent"))
        #expect(try gov.run(["presence", "is-killed", "reserch-agent"]).stdout.contains("not killed"))
        #expect(try gov.run(["audit", "export"]).stdout == before, "a refused kill writes nothing")

        // Known: a presence row, a policy, or events of its own.
        #expect(try gov.run(["presence", "kill", "research-agent", "--reason", "runaway"]).status == 0)
        let policy = gov.home + "/p.yaml"
        try "agents:\n  billing: {scope: {allowed_tools: [read]}}\n".write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(try gov.run(["policy", "apply", "-f", policy]).status == 0)
        #expect(try gov.run(["presence", "kill", "billing", "--reason", "halt"]).status == 0)
        let session = try gov.run(["session", "new"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try gov.run(["audit", "log", "-k", "note", "--agent", "logger", "--session", session]).status == 0)
        #expect(try gov.run(["presence", "kill", "logger", "--reason", "halt"]).status == 0)
        #expect(try gov.run(["presence", "revive", "logger"]).status == 0)

        #expect(try gov.run(["presence", "kill", "brand-new", "--reason", "pre-emptive", "--force"]).status == 0)
        #expect(try gov.run(["presence", "revive", "never-seen", "--force"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func listPrintsOneStatusWordInColumnsWithSessionAndKeepsLastSeen(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try gov.run(["session", "new"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try gov.run(["presence", "heartbeat", "worker", "--operator", "alice"]).status == 0)
        #expect(try gov.run(["audit", "log", "-k", "step", "--agent", "worker", "--session", session]).status == 0)
        #expect(try gov.run(["presence", "heartbeat", "sleeper"]).status == 0)
        #expect(try gov.run(["presence", "idle", "sleeper"]).status == 0)

        let agents = try PresencePolicyCommandTests.agents(gov)
        #expect(agents["worker"]?["session"] == .string(session))
        #expect(agents["sleeper"]?["session"] == .null, "presence alone is the agent's own chain, not a session")
        let seen = try #require(agents["worker"]?["last_seen"]?.stringValue)
        let unix = try #require(agents["worker"]?["last_seen_unix"])
        #expect(unix == .int(Int(try #require(Timestamp(parsing: seen)).microseconds / 1_000_000)))

        let lines = try gov.run(["presence", "list"]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("AGENT "))
        let column = try #require(lines[0].range(of: "STATUS")).lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].hasPrefix("sleeper"))
        #expect(Array(lines[1].utf16).count > column && String(lines[1].dropFirst(column)).hasPrefix("idle "))
        #expect(String(lines[2].dropFirst(column)).hasPrefix("live "))
        #expect(lines[2].contains(session) && lines[2].contains("alice") && lines[2].contains(seen))

        // The text word is the JSON word.
        #expect(try gov.run(["presence", "kill", "worker", "--reason", "runaway"]).status == 0)
        let status = try gov.run(["presence", "status", "worker"])
        #expect(status.status == 15)
        #expect(status.stdout.contains(" killed ") && !status.stdout.contains("Killed"))
        #expect(try gov.json(["presence", "status", "worker"])["status"] == .string("killed"))

        // A killed agent that closes keeps its last seen time.
        #expect(try gov.run(["presence", "close", "worker"]).status == 0)
        let closed = try #require(try PresencePolicyCommandTests.agents(gov)["worker"])
        #expect(closed["status"] == .string("killed"))
        #expect(closed["last_seen"]?.stringValue != nil && closed["last_seen"]?.stringValue.map { $0 >= seen } == true)
        #expect(!(try gov.run(["presence", "list"]).stdout.contains("never")))
    }

    @Test(arguments: Backend.allCases)
    func aHiddenToolsDenialDoesNotSuggestAllowingIt(backend: Backend) throws {
        let gov = try Governance.applying("agents:\n  bot: {scope: {allowed_tools: [read, wipe], hidden_tools: [wipe]}}\n", backend: backend)
        let hidden = try gov.run(["scope", "check", "--agent", "bot", "--tool", "wipe"])
        #expect(hidden.status == 10)
        #expect(hidden.stderr.contains("hidden_tools") && !hidden.stderr.contains("add the tool"))
        let other = try gov.run(["scope", "check", "--agent", "bot", "--tool", "send"])
        #expect(other.status == 10 && other.stderr.contains("allowed_tools"))
    }

    @Test(arguments: Backend.allCases)
    func sweepKillsAgentsSilentPastKillAfterWithACronKeyFile(backend: Backend) throws {
        var gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "stuck"]).status == 0)
        // Without a key, --kill-after is refused and nothing is swept.
        let keyless = try gov.run(["presence", "sweep", "--timeout", "3600", "--kill-after", "1"])
        #expect(keyless.status == 2 && keyless.stderr.contains("--operator-key"))

        // Cron names the key file in its environment.
        gov.environment["GOVERNANCE_OPERATOR_KEY_FILE"] = try gov.operatorKey("cron")
        let patient = try gov.json(["presence", "sweep", "--timeout", "3600", "--kill-after", "3600"])
        #expect(patient["killed"] == .array([]) && patient["kill_after_seconds"] == .int(3600))
        var marked: [JSONValue] = []
        #expect(try waitUntil(15) {
            marked += try gov.json(["presence", "sweep", "--timeout", "1"])["marked"]?.arrayValue ?? []
            return !marked.isEmpty
        })
        #expect(marked.count == 1)
        #expect(marked.first?["seconds_since_seen"]?.seconds.map { $0 >= 1 } == true)
        #expect(marked.first?["last_seen_unix"]?.seconds != nil)
        let killed = try gov.json(["presence", "sweep", "--timeout", "1", "--kill-after", "1"])["killed"]?.arrayValue?.first
        let kill = try #require(killed)
        #expect(kill["agent_id"] == .string("stuck"))
        #expect(kill["seconds_since_seen"]?.seconds.map { $0 >= 1 } == true)
        #expect(kill["kill"]?["killed_by"] == .string("cron"))
        #expect(try gov.run(["presence", "status", "stuck"]).status == 15)
        #expect(try gov.json(["presence", "sweep", "--timeout", "1", "--kill-after", "1"])["killed"] == .array([]), "killed once")
        #expect(try PresencePolicyCommandTests.kinds(gov, agent: "stuck").contains(EventKind.operatorKill))
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test func lastSeenUnixIsTheSameInstantInWholeSeconds() throws {
        let gov = try Governance(backend: .sqlite)
        #expect(try gov.run(["presence", "heartbeat", "worker"]).status == 0)
        let list = try gov.json(["presence", "list"])
        let agent = try #require(list["agents"]?.arrayValue?.first)
        let unix = try #require(agent["last_seen_unix"]?.seconds)
        let iso = try #require(agent["last_seen"]?.stringValue)
        #expect(Int64(unix) == (try #require(Timestamp(parsing: iso)).microseconds) / 1_000_000)
        // The recipe docs/JSON.md gives, where jq is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/jq") {
            let listed = try gov.run(["--json", "presence", "list"]).stdout
            let jq = try runProcess("/usr/bin/jq", ["-r", ".agents[] | .last_seen_unix | todate"], environment: [:], stdin: listed)
            #expect(jq.status == 0)
            #expect(jq.stdout == String(iso.prefix(19)) + "Z\n")
        }
    }

    @Test(arguments: Backend.allCases)
    func strictBatchAppendsNothingWhenALineIsRejected(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try gov.run(["session", "new"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = [#"{"kind":"step"}"#, #"{"kind":"step","metadata":"not an object"}"#, #"{"kind":"note"}"#, #"{"kind":"step"}"#]
            .joined(separator: "\n") + "\n"
        let flags = ["--session", session, "--agent", "bot"]

        let strict = try gov.run(["audit", "log", "--batch", "--strict"] + flags, stdin: lines)
        #expect(strict.status == 2)
        #expect(strict.stdout.contains("line 2"))
        #expect(try gov.run(["audit", "export"]).stdout.isEmpty, "nothing appended")
        let json = try gov.run(["--json", "audit", "log", "--batch", "--strict"] + flags, stdin: lines)
        #expect(json.status == 2)
        let report = try JSONParser.parse(json.stdout)
        #expect(report["appended"] == .int(0) && report["rejected_count"] == .int(1))
        #expect(try gov.run(["audit", "export"]).stdout.isEmpty)

        #expect(try gov.run(["audit", "log", "--strict", "-k", "x"] + flags).status == 2, "--strict belongs to --batch")
        let good = try gov.run(["--json", "audit", "log", "--batch", "--strict"] + flags, stdin: #"{"kind":"a"}"# + "\n" + #"{"kind":"b"}"# + "\n")
        #expect(good.status == 0)
        #expect((try? JSONParser.parse(good.stdout))?["appended"] == .int(2))
        let lenient = try gov.run(["audit", "log", "--batch"] + flags, stdin: lines)
        #expect(lenient.status == 0)
        #expect(try gov.run(["audit", "export"]).stdout.split(separator: "\n").count == 5)
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }
}

private extension JSONValue {
    /// A JSON number as whole seconds.
    var seconds: Int? {
        if case .number(let n) = self { return Int(n) }
        return nil
    }
}
