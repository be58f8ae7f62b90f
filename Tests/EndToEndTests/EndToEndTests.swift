import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Drives the built `governance` binary as a script would.
struct Governance {
    let home: String
    var environment: [String: String]
    /// The store, for tampering as someone with database access would (nil: the embedded default).
    private(set) var database: TestDatabase?

    init(backend: Backend? = nil, extra: [String: String] = [:]) throws {
        home = try makeTemporaryDirectory()
        environment = cleanEnvironment(home: home, extra: ["GOVERNANCE_AUDIT_SECRET": testSecret].merging(extra) { $1 })
        if let backend {
            let db = try TestDatabase.make(backend)
            database = db
            environment["GOVERNANCE_DATABASE_URL"] = db.url
            if backend == .postgres {
                let r = try run(["db", "migrate"])
                guard r.status == 0 else { throw TestSetupError("db migrate failed: \(r.stderr)") }
            }
        }
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(governanceBinary(), try asOperator(arguments), environment: environment, stdin: stdin)
    }

    /// The operator commands, which sign with an operator's key.
    static let operatorCommands: [[String]] = [["presence", "kill"], ["presence", "revive"], ["gates", "grant"], ["gates", "deny"],
                                               ["gates", "cancel"], ["gates", "review"], ["policy", "apply"], ["policy", "delete"]]

    /// Tests say who acts as they did before actions were signed: `--by NAME` on an operator
    /// command becomes `--operator-key` of NAME's key (registered on first use; `admin` when no
    /// `--by` is given). A test of what the agent cannot do runs the binary without this.
    func asOperator(_ arguments: [String]) throws -> [String] {
        let words = arguments.filter { !$0.hasPrefix("-") }
        guard Self.operatorCommands.contains(where: { Array(words.prefix(2)) == $0 }),
              !arguments.contains("--operator-key") else { return arguments }
        var rewritten = arguments
        var name = "admin"
        if let at = rewritten.firstIndex(of: "--by"), at + 1 < rewritten.count {
            name = rewritten[at + 1]
            rewritten.removeSubrange(at...(at + 1))
        }
        return rewritten + ["--operator-key", try operatorKey(name)]
    }

    /// NAME's private key file, registered in this store if it is not yet.
    func operatorKey(_ name: String) throws -> String {
        let directory = home + "/operators"
        let path = directory + "/" + name + ".pem"
        if FileManager.default.fileExists(atPath: path) { return path }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let existing = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pem") }.sorted()
        let keygen = try runProcess(governanceBinary(), ["operator", "keygen", "--out", path], environment: environment)
        guard keygen.status == 0 else { throw TestSetupError("operator keygen failed: \(keygen.stderr)") }
        let signer = existing.first.map { ["--operator-key", directory + "/" + $0] } ?? []
        let add = try runProcess(governanceBinary(), ["operator", "add", name, "--public-key", "-"] + signer, environment: environment,
                                 stdin: keygen.stdout)
        guard add.status == 0 else { throw TestSetupError("operator add failed: \(add.stderr)") }
        return path
    }

    /// A store of `backend` with the YAML `policy` applied.
    static func applying(_ policy: String, backend: Backend) throws -> Governance {
        let gov = try Governance(backend: backend)
        let file = gov.home + "/policy.yaml"
        try policy.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try gov.run(["policy", "apply", "-f", file])
        #expect(r.status == 0, "\(r.stderr)")
        return gov
    }

    func json(_ arguments: [String]) throws -> JSONValue {
        let r = try run(["--json"] + arguments)
        return try JSONParser.parse(r.stdout)
    }
}

@Suite struct EndToEndTests {
    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: governanceBinary()), "build first: \(governanceBinary())")
    }

    @Test(arguments: Backend.allCases)
    func scriptLogsAStepAndProvesTheTrailUntouched(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try gov.run(["session", "new"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var env = gov
        env.environment["GOVERNANCE_SESSION_ID"] = session
        env.environment["GOVERNANCE_AGENT_ID"] = "billing-agent"
        let file = gov.home + "/output.txt"
        try "the tool's output".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try env.run(["audit", "log", "-k", "agent.llm_step", "-m", "gpt-4o-mini", "--metadata", #"{"prompt_tokens":150}"#]).status == 0)
        #expect(try env.run(["audit", "log", "-k", "agent.tool_output", "--output", "@" + file]).status == 0)
        #expect(try env.run(["audit", "log", "-k", "note", "--metadata", "-"], stdin: #"{"a": [1.0, 1e21]}"#).status == 0)

        let verify = try env.run(["audit", "verify", "--session", session])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("verified: 3 events in 1 session"))

        let exported = try env.run(["audit", "export"]).stdout.split(separator: "\n")
        #expect(exported.count == 3)
        let second = try JSONParser.parse(String(exported[1]))
        #expect(second["output_hash"] == .string(Digest.sha256Hex("the tool's output")))
        let third = try JSONParser.parse(String(exported[2]))
        #expect(third["metadata"] == .object([("a", .array([.number(1), .number(1e21)]))]))
        #expect(exported[2].contains(#""metadata":{"a":[1,1e+21]}"#))
    }

    /// 8 processes each append 200 events to one session: exactly 1,600 rows, seq 1...1600, verified.
    @Test(arguments: Backend.allCases)
    func concurrentProcessesBuildOneChain(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        let binary = governanceBinary()
        let script = """
        for i in $(seq 1 200); do
            "\(binary)" -q audit log --agent "worker-$1" --kind step --session \(session) --metadata "{\\"i\\":$i}" || exit 1
        done
        """
        // All eight run at once; their output is collected afterwards.
        let workers = try (1...8).map { worker -> SpawnedProcess in
            let p = try SpawnedProcess("/bin/sh", ["-c", script, "sh", String(worker)], environment: gov.environment)
            p.send(nil)
            return p
        }
        for r in workers.map({ $0.finish() }) { #expect(r.status == 0, "\(r.stderr)") }

        let events = try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n")
        #expect(events.count == 1600)
        let seqs = try events.map { line -> Int in
            guard case .number(let n) = try JSONParser.parse(String(line))["seq"] else { return -1 }
            return Int(n)
        }
        #expect(seqs.sorted() == Array(1...1600))
        for worker in 1...8 {
            #expect(events.filter { $0.contains("\"worker-\(worker)\"") }.count == 200)
        }
        let report = try gov.json(["audit", "verify"])
        #expect(report["verified"] == .bool(true))
        #expect(report["rows_verified"] == .int(1600))
    }

    @Test(arguments: Backend.allCases)
    func tamperingMakesVerifyExit20NamingTheSeq(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        for i in 1...5 {
            #expect(try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", session, "--metadata", "{\"i\":\(i)}"]).status == 0)
        }
        let db = try Configuration.parseStoreURL(gov.environment["GOVERNANCE_DATABASE_URL"]!)
        let raw: SQLConnection = switch db {
        case .sqlite(let path): try SQLiteConnection(path: path)
        case .postgres(let url): try PostgresConnection(url: url)
        }
        try raw.execute("DELETE FROM governance_audit_events WHERE seq = 3")
        let verify = try gov.run(["--json", "audit", "verify"])
        #expect(verify.status == 20)
        let failure = try JSONParser.parse(verify.stdout)["failures"]
        #expect(failure == .array([.object([("session_id", .string(session)), ("seq", .int(3)), ("reason", .string("gap")),
                                            ("detail", .string("seq 3 is missing"))])]))
    }

    /// An export verifies with an independent RFC 8785 + HMAC implementation (docs/verify_chain.py).
    @Test func exportVerifiesWithPythonRFC8785() throws {
        // The same python3 that `make test` installed rfc8785 for: the first on PATH.
        guard let python = findInPath("python3") ?? ["/usr/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            // No Python on this machine: nothing to run the independent check with.
            return
        }
        let probe = try runProcess(python, ["-c", "import rfc8785"], environment: ProcessInfo.processInfo.environment)
        #expect(probe.status == 0, "Python is present but the rfc8785 package is not: `make test` installs it (pip install rfc8785)")
        guard probe.status == 0 else { return }

        let gov = try Governance()
        let sessions = [try SessionID.random().value, try SessionID.random().value]
        let metadata = #"{"\ufb01": 1, "\ud83d\ude00": 2, "z": [1.0, 2.5, 1e21, 1E-7, -0.0, 100, 0.1], "\u00e9": {"y": true, "x": null}, "s": "tab\t\u0001 \"q\" \u20ac \u2028"}"#
        for session in sessions {
            for kind in ["agent.llm_step", "agent.step", "agent.tool_output"] {
                let r = try gov.run(["audit", "log", "-a", "agent-é", "-k", kind, "-s", session, "--metadata", metadata, "--input", kind])
                #expect(r.status == 0, "\(r.stderr)")
            }
        }
        let export = try gov.run(["audit", "export"]).stdout
        var env = ProcessInfo.processInfo.environment
        env["GOVERNANCE_AUDIT_SECRET"] = testSecret
        let ok = try runProcess(python, [packageRoot() + "/docs/verify_chain.py"], environment: env, stdin: export)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout == "verified: 6 events in 2 sessions\n")

        // The independent checker is not a rubber stamp: a changed field fails it too.
        let tampered = export.replacingOccurrences(of: "\"kind\":\"agent.step\"", with: "\"kind\":\"agent.steps\"")
        let bad = try runProcess(python, [packageRoot() + "/docs/verify_chain.py"], environment: env, stdin: tampered)
        #expect(bad.status == 20)

        // Without the rfc8785 package it says what to install and exits 3, not 1 with a traceback.
        let shim = try makeTemporaryDirectory()
        try "raise ImportError(\"No module named 'rfc8785'\")\n".write(toFile: shim + "/rfc8785.py", atomically: true, encoding: .utf8)
        var without = env
        without["PYTHONPATH"] = shim
        let missing = try runProcess(python, [packageRoot() + "/docs/verify_chain.py"], environment: without, stdin: export)
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("python3 -m pip install rfc8785") && !missing.stderr.contains("Traceback"))
        #expect(bad.stdout.contains("seq 2: hmac mismatch"))
    }

    @Test func embeddedDefaultNeedsNoSetUp() throws {
        let home = try makeTemporaryDirectory() + "/fresh"
        let env = cleanEnvironment(home: home)
        let session = try SessionID.random().value
        let r = try runProcess(governanceBinary(), ["audit", "log", "-a", "a", "-k", "k", "-s", session], environment: env)
        #expect(r.status == 0)
        #expect(r.stderr.contains("created a new audit secret at \(home)/audit.secret"))
        #expect(FileSystem.permissions(home + "/audit.secret") == 0o600)
        let again = try runProcess(governanceBinary(), ["audit", "verify"], environment: env)
        #expect(again.status == 0)
        #expect(again.stderr.isEmpty)
    }

    @Test func demoEndsWithAVerifiedChain() throws {
        let r = try runProcess("/bin/bash", [packageRoot() + "/scripts/demo.sh", governanceBinary()],
                               environment: ["PATH": "/usr/bin:/bin", "HOME": try makeTemporaryDirectory()])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verified: 7 events in session"))
        #expect(r.stdout.contains("verified: 9 events in 3 sessions"), "the policy, and the operator registered in the pseudo-agent governance's chain")
        for shown in ["(exit 10)", "(exit 12)", "(exit 13)", "allowed: refunds.create"] {
            #expect(r.stdout.contains(shown), "the demo no longer shows \(shown)")
        }
        // It ends with an Article 12 report of the demo session, verified, written as HTML.
        #expect(r.stdout.contains("wrote article12 report"))
        #expect(r.stdout.contains("chain verified; event_registration=compliant"))
        let path = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("wrote article12 report") }?
            .split(separator: " ").dropFirst(5).first.map(String.init))
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("✓ verified"))
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}

func findInPath(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
