import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What an agent tries once the obvious attacks fail: look-alike Unicode, paths a server reads
/// differently, damaged stores, lying usage, files that are not files.
@Suite struct HardeningTests {
    static let nfc = "caf\u{E9}"
    static let nfd = "cafe\u{301}"

    func code(_ body: () throws -> Void) -> Int32? {
        do { try body(); return 0 } catch let error as GovernanceError { return error.exitCode } catch { return nil }
    }

    // MARK: names compare as bytes

    @Test func toolNamesCompareAsBytesNotAsCanonicallyEquivalentText() throws {
        #expect(Self.nfc == Self.nfd, "Swift's == is canonical equivalence; the checks must not use it")
        let policy = AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: [Self.nfc, "Kill"], hiddenTools: ["rm\u{E9}"]))
        #expect(code { _ = try ScopeCheck.check(.tool(Self.nfc), policy: policy, agentID: "a") } == 0)
        #expect(code { _ = try ScopeCheck.check(.tool(Self.nfd), policy: policy, agentID: "a") } == 10)
        // KELVIN SIGN decomposes canonically to K.
        #expect(code { _ = try ScopeCheck.check(.tool("\u{212A}ill"), policy: policy, agentID: "a") } == 10)
        // A hidden tool hides only its own bytes; the other form is not allowed either.
        #expect(ScopeCheck.filterTools(["rm\u{E9}", "rme\u{301}"], policy: policy) == ["rme\u{301}"])
        #expect(code { _ = try ScopeCheck.check(.tool("rme\u{301}"), policy: policy, agentID: "a") } == 10)
        var withContract = policy
        withContract.contracts = [ToolContract(tool: Self.nfc)]
        #expect(withContract.contract(for: Self.nfc) != nil)
        #expect(withContract.contract(for: Self.nfd) == nil)
    }

    /// Alternating the two forms under `max_calls: 2` must not buy four calls.
    @Test(arguments: Backend.allCases)
    func alternatingUnicodeFormsDoNotDodgeTheLoopCounter(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let policy = AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: [Self.nfc]),
                                 loop: LoopPolicy(windowSeconds: 60, maxCalls: 2))
        let session = try SessionID.random()
        var ran = 0
        for i in 0..<4 {
            let tool = i % 2 == 0 ? Self.nfc : Self.nfd
            guard (try? ScopeCheck.check(.tool(tool), policy: policy, agentID: "a")) != nil else { continue }
            let seen = try LoopDetector(db: store.connection).record(agentID: "a", sessionID: session, tool: tool, policy: policy.loop)
            if !seen.detected { ran += 1 }
        }
        #expect(ran == 2)
    }

    // MARK: API paths a server could read differently

    static let v1 = "GET https://api.example.com/v1/*"

    static func allowed(_ pattern: String, _ call: String) throws -> Bool {
        let p = try APIPattern.parse(pattern)
        guard let request = try? APIRequest.parse(call) else { return false }
        return p.matches(request)
    }

    @Test func ambiguousAPIPathsAreDenied() throws {
        let paths = ["/v1/..;/admin", "/v1/%2e%2e;/admin", "/v1/..%3b/admin", "/v1/..%3B/admin", "/v1/%252e%252e",
                     "/v1/%252e%252e/admin", "/v1/%00", "/v1/%zz", "/v1/%", "/v1/a%2", "/v1/a%", "/v1/..%00/admin",
                     "/v1/%c0%ae%c0%ae/admin", "/v1/%C0%AE%C0%AE/admin", "/v1/%e0%80%ae", "/v1/%80", "/v1/%ff",
                     "/v1/%ed%a0%80", "/v1/x;jsessionid=1", "/v1/x%3bjsessionid=1", "/v1/%25", "/v1/100%25",
                     "/v1/a%5cb", "/v1/a\\b", "/v1/%2e%2e%5cadmin", "/v1/%09", "/v1/%7f", "/v1/%0d%0a",
                     "/v1/..%20", "/v1/...", "/v1/.%20.", "/v1/%2e", "/v1/%3f", "/v1/%23",
                     "/v1/\u{FF0E}\u{FF0E}/admin", "/v1/%ef%bc%8e%ef%bc%8e/admin", "/v1/caf\u{E9}"]
        for path in paths {
            #expect(try !Self.allowed(Self.v1, "GET https://api.example.com" + path), "\(path)")
        }
        // Plain escapes of ordinary characters are read as the server reads them.
        #expect(try Self.allowed(Self.v1, "GET https://api.example.com/v1/a%20b"))
        #expect(try Self.allowed("GET https://api.example.com/v1/charges", "GET https://api.example.com/v1/%63harges"))
        #expect(try Self.allowed("GET https://api.example.com/files/report-*.csv", "GET https://api.example.com/files/report-1%2ecsv"))
        #expect(try !Self.allowed("GET https://api.example.com/v1/charges", "GET https://api.example.com/v1/%63harge"))
    }

    /// A server that decodes repeatedly, folds full-width dots, drops path parameters, reads
    /// backslashes as slashes and trims trailing dots and spaces (IIS, Tomcat, proxies).
    static func worstCaseServerReading(_ path: String) -> [String]? {
        var bytes = Array(path.utf8)
        for _ in 0..<4 {
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            bytes = out
        }
        // Overlong dots, full-width and small full stops, full-width solidi.
        var text = String(decoding: bytes, as: UTF8.self)
        for (from, to) in [("\u{FF0E}", "."), ("\u{FE52}", "."), ("\u{2024}", "."), ("\u{FF0F}", "/"), ("\u{FF3C}", "/"), ("\\", "/"),
                           ("\u{FFFD}\u{FFFD}", ".."), ("\u{0}", "")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        var result: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var segment = String(raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            while let last = segment.last, last == "." || last == " ", segment != "." && segment != ".." { segment.removeLast() }
            if segment == ".." {
                if result.isEmpty { return nil }
                result.removeLast()
            } else if segment != "." {
                result.append(segment)
            }
        }
        return result
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x37
        case 0x61...0x66: b - 0x57
        default: nil
        }
    }

    /// No path the matcher allows under `/v1/*` reads as one outside `/v1/` on any server.
    @Test func noAllowedPathNormalisesOutsideItsPattern() throws {
        let pieces = ["a", "b", "v1", "admin", ".", "..", "...", "%2e", "%2E", "%252e", "%25", "%2f", "%2F", "%5c", ";", "%3b", "%3B",
                      "%00", "%0", "%", "%zz", "%c0%ae", "%C0%AE", "%e0%80%ae", "\\", "/", "//", "%ef%bc%8e", "\u{FF0E}", "\u{FE52}",
                      "\u{FF0F}", " ", "%20", "%09", "%41", "x", "?", "%3f", "#", "%23", "%2525", "%%", "-", "_", "~", "%7e"]
        var generator = BatchAppendTests.Rng(state: 0x5EED_15_09)
        var allowed = 0
        var escapes: [String] = []
        let pattern = try APIPattern.parse(Self.v1)
        for _ in 0..<50_000 {
            var path = "/v1/"
            for _ in 0..<Int(generator.next() % 7) { path += pieces[Int(generator.next() % UInt64(pieces.count))] }
            guard let request = try? APIRequest.parse("GET https://api.example.com" + path), pattern.matches(request) else { continue }
            allowed += 1
            let read = Self.worstCaseServerReading(String(path.prefix { $0 != "?" && $0 != "#" }))
            // Inside /v1/, with the segments the matcher counted (a server may trim a trailing dot).
            guard let read, read.count == request.segments.count, read[0] == "v1", read.dropFirst().contains(where: { !$0.isEmpty }),
                  zip(read, request.segments).allSatisfy({ $0 == $1 || $1.hasPrefix($0) }) else {
                escapes.append("\(path) is allowed but may be read as \(read.map { "/" + $0.joined(separator: "/") } ?? "outside the root")")
                continue
            }
        }
        #expect(escapes.isEmpty, "\(escapes.count) allowed paths read differently, e.g. \(escapes.prefix(5))")
        #expect(allowed > 1_000, "the generator must reach allowed paths too")
    }

    // MARK: a damaged store is an integrity failure, never "unavailable"

    @Test func aSQLiteFileThatIsNotADatabaseIsAnIntegrityFailure() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/governance.db"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(code { _ = try Store(location: .sqlite(path: path), migration: .automatic) } == 20)
    }

    @Test func aSQLiteFileWithDamagedPagesIsAnIntegrityFailure() throws {
        let db = try TestDatabase.make(.sqlite)
        _ = try db.open()
        guard case .sqlite(let path) = try db.location else { Issue.record("not a file"); return }
        // The pages are in the database file itself once the WAL is checkpointed (closing does not).
        try SQLiteConnection(path: path, mode: .readWrite).executeScript("PRAGMA wal_checkpoint(TRUNCATE);")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 100..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(code { _ = try db.open().connection.query("SELECT COUNT(*) FROM governance_audit_events") } == 20)
    }

    /// PostgreSQL says a page or an index is damaged with XX001 / XX002, raised here by the server.
    @Test(arguments: ["XX001", "XX002"])
    func postgresDataCorruptionIsAnIntegrityFailure(state: String) throws {
        let db = try TestDatabase.make(.postgres)
        let connection = try db.open().connection
        #expect(code { try connection.executeScript("DO $$ BEGIN RAISE EXCEPTION 'damaged' USING ERRCODE = '\(state)'; END $$;") } == 20)
        #expect(code { _ = try connection.execute("SELECT 1/0") } == 1)
    }

    // MARK: usage read from a response

    @Test func anthropicCumulativeOutputThatGoesDownIsRefused() throws {
        func stream(_ outputs: [Int]) -> [UInt8] {
            var text = #"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":1}}}"# + "\n\n"
            for n in outputs { text += #"data: {"type":"message_delta","usage":{"output_tokens":\#(n)}}"# + "\n\n" }
            return Array(text.utf8)
        }
        #expect(try ResponseUsage.parse(bytes: stream([20, 50_000])).outputTokens == 50_000)
        #expect(code { _ = try ResponseUsage.parse(bytes: stream([50_000, 0])) } == 2)
        let inputDown = #"data: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":900,"output_tokens":1}}}"# + "\n\n"
            + #"data: {"type":"message_delta","usage":{"input_tokens":5,"output_tokens":7}}"# + "\n\n"
        #expect(code { _ = try ResponseUsage.parse(bytes: Array(inputDown.utf8)) } == 2)
    }

    @Test func aBodyOfTwoShapesIsRefused() throws {
        let both = #"{"type":"message","object":"response","model":"m","usage":{"input_tokens":1,"output_tokens":2}}"#
        #expect(code { _ = try ResponseUsage.parse(bytes: Array(both.utf8)) } == 2)
        let chat = #"{"object":"chat.completion","type":"message","model":"m","usage":{"prompt_tokens":1,"completion_tokens":2,"input_tokens":1,"output_tokens":2}}"#
        #expect(code { _ = try ResponseUsage.parse(bytes: Array(chat.utf8)) } == 2)
        let event = #"data: {"object":"chat.completion.chunk","type":"message_delta","model":"m","usage":{"prompt_tokens":1,"completion_tokens":2,"output_tokens":0}}"# + "\n\n"
        #expect(code { _ = try ResponseUsage.parse(bytes: Array(event.utf8)) } == 2)
    }

    // MARK: reports on nothing

    @Test(arguments: Backend.allCases)
    func aReportOnAnEmptyStoreSaysEmptyNotVerified(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        for verify in [true, false] {
            let report = try ComplianceReporter(db: store.connection, keys: testKeys)
                .generate(ReportOptions(kind: .article12, verifyChain: verify))
            #expect(report.chainIntegrity.rawValue == "empty")
            #expect(report.json["chain_integrity_status"] == .string("empty"))
            #expect(ReportText.render(report).contains("empty"))
            #expect(!ReportHTML.render(report).contains("✓ verified"))
        }
    }

    // MARK: files that are not files

    @Test func documentsAreReadOnlyFromRegularFiles() throws {
        let dir = try makeTemporaryDirectory()
        let fifo = dir + "/policy.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        unblockFIFO(fifo, after: 3)
        let start = Date()
        var message = ""
        #expect(code {
            do { _ = try DocumentFile.read(fifo, what: "policy file") } catch let error as GovernanceError { message = error.message; throw error }
        } == 2)
        #expect(Date().timeIntervalSince(start) < 2, "the reader waited on the FIFO")
        #expect(message.contains("not a regular file"))
        #expect(code { _ = try DocumentFile.read(dir, what: "policy file") } == 2)
    }

    // MARK: custom contract checks

    static func customPolicy(_ program: String) -> String {
        """
        agents:
          a:
            scope: {allowed_tools: [t]}
            contracts:
              t:
                pre:
                  - {check: custom, params: {command: ["\(program)"]}}
        """
    }

    @Test func customChecksMustNameAnAbsoluteProgram() throws {
        for relative in ["true", "./check.sh", "bin/check", "../check"] {
            var message = ""
            #expect(code {
                do { _ = try PolicyParser.parse(Array(Self.customPolicy(relative).utf8), source: "p.yaml") } catch let error as GovernanceError { message = error.message; throw error }
            } == 2, "\(relative)")
            #expect(message.contains("absolute"), "\(message)")
        }
        #expect(code { _ = try PolicyParser.parse(Array(Self.customPolicy("/bin/true").utf8), source: "p.yaml") } == 0)
    }

    /// A relative command written into the store by hand never runs through PATH: the check fails closed.
    @Test(arguments: Backend.allCases)
    func aStoredRelativeCustomCommandFailsClosed(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let dir = try makeTemporaryDirectory()
        // A name no other test looks up, so putting its folder first on PATH disturbs nothing.
        let name = "governance-probe-" + UUID().uuidString.lowercased()
        let marker = dir + "/ran"
        try "#!/bin/sh\ntouch \(marker)\n".write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        chmod(dir + "/" + name, 0o755)
        let document = try PolicyParser.parse(Array(Self.customPolicy(dir + "/" + name).utf8), source: "p.yaml")
        _ = try PolicyStore(db: store.connection).apply([document], keys: testKeys)
        _ = try store.connection.execute("UPDATE governance_policies SET policy = REPLACE(policy, ?, ?)", [.text("\"\(dir)/\(name)\""), .text("\"\(name)\"")])
        #expect(try store.connection.queryFirst("SELECT policy FROM governance_policies")?.text(0).contains("[\"\(name)\"]") == true)
        setenv("PATH", dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), 1)
        let enforcer = Enforcer(configuration: Configuration(store: try db.location, home: db.directory), keys: testKeys, openStore: { store })
        let outcome = code { _ = try enforcer.contractCheck(agentID: "a", sessionID: try SessionID.random(), tool: "t", phase: .pre).get() }
        #expect(outcome == 20)
        #expect(!FileManager.default.fileExists(atPath: marker), "a relative command ran through PATH")
    }
}
