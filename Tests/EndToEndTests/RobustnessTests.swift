import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What black-box fuzzing of the binary found: unbounded reports and messages, control
/// characters reaching the terminal, and two inputs handled unlike their neighbours.
@Suite struct RobustnessTests {
    /// A scalar that could steer a terminal (C0 other than the report's newlines, DEL, C1).
    static func steering(_ text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { $0 != "\n" && Identifier.isControl($0) }
    }

    /// A batch of rejected lines keeps a bounded list (the first ones) and counts the rest, in
    /// the JSON report, the text report and the stderr warnings.
    @Test func batchReportKeepsTheFirstRejectionsAndCountsTheRest() throws {
        let gov = try Governance()
        let total = 5_000
        let file = gov.home + "/bad.jsonl"
        try String(repeating: "x\n", count: total).write(toFile: file, atomically: true, encoding: .utf8)

        let json = try gov.run(["--json", "audit", "log", "--batch", file, "-a", "bot", "-k", "step"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONParser.parse(json.stdout)
        #expect(report["lines"] == .int(total))
        #expect(report["rejected_count"] == .int(total))
        guard case .array(let items)? = report["rejected"] else { Issue.record("no rejected list"); return }
        #expect(items.count == AuditBatch.keptRejections)
        #expect(items.first?["line"] == .int(1) && items.last?["line"] == .int(AuditBatch.keptRejections))
        let counted = json.stderr.contains("4,980 more lines rejected")
        #expect(counted, "\(json.stderr.suffix(300))")

        let text = try gov.run(["audit", "log", "--batch", file, "-a", "bot", "-k", "step"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.first?.contains("rejected 5,000 lines") == true)
        #expect(lines.count(where: { $0.hasPrefix("  line ") }) == AuditBatch.keptRejections)
        #expect(lines.last?.contains("and 4,000 more rejected lines") == true, "\(lines.last ?? "")")
    }

    /// The reasons quote the input; the text report shows them escaped, as the warnings and
    /// --json do (`\u001b]0;pwned\u0007` would retitle the terminal).
    @Test func batchTextReportEscapesControlCharactersFromTheInput() throws {
        let gov = try Governance()
        let nasty = "\\u001b]0;pwned\\u0007\\u0000\\b\u{7F}\u{9B}"
        let file = gov.home + "/nasty.jsonl"
        try """
        {"session_id":"\(nasty)","agent_id":"bot","kind":"step"}
        {"\(nasty)":1,"agent_id":"bot","kind":"step"}
        {"agent_id":"bot","kind":"step\u{7F}"}

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try gov.run(["audit", "log", "--batch", file, "-s", try SessionID.random().value])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("invalid session id") && r.stdout.contains("unknown field"), "\(r.stdout)")
        #expect(Self.steering(r.stdout).isEmpty, "raw controls in \(r.stdout.debugDescription)")
        #expect(Self.steering(r.stderr).isEmpty)
        // No raw control byte at all: C0 but the report's newlines, DEL, and C1 (UTF-8 C2 80-9F).
        let bytes = Array(r.stdout.utf8)
        #expect(!bytes.contains { ($0 < 0x20 && $0 != 0x0A) || $0 == 0x7F }, "\(r.stdout.debugDescription)")
        #expect(!zip(bytes, bytes.dropFirst()).contains { $0 == 0xC2 && (0x80...0x9F).contains($1) }, "\(r.stdout.debugDescription)")
        // Each control is escaped once: the reason's JSON escape, not an escape of its backslash.
        let once = #"invalid session id "\u001b]0;pwned\u0007\u0000\b\x7f\u{9b}""#
        #expect(r.stdout.contains(once), "\(r.stdout)")
        #expect(r.stdout.contains(#"unknown field "\u001b]0;pwned\u0007\u0000\b\x7f\u{9b}""#), "\(r.stdout)")
        #expect(!r.stdout.contains(#"\\"#), "a backslash escaped twice: \(r.stdout)")
        // The warnings (with --json) show the same reasons the same way.
        let json = try gov.run(["--json", "audit", "log", "--batch", file, "-s", try SessionID.random().value])
        #expect(json.stderr.contains(once) && Self.steering(json.stderr).isEmpty, "\(json.stderr.debugDescription)")
    }

    /// A 1 MiB number in a response file: the message quotes a bounded prefix and says how long
    /// the whole was, instead of a megabyte of digits.
    @Test func errorMessagesQuoteABoundedPrefixOfTheInput() throws {
        let gov = try Governance()
        let digits = String(repeating: "9", count: 1_000_000)
        let file = gov.home + "/response.json"
        try #"{"model":"gpt-4o","usage":{"prompt_tokens":\#(digits),"completion_tokens":1}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        for format in [[], ["--json"]] {
            let r = try gov.run(format + ["cost", "track-usage", "-a", "bot", "--from-response", file])
            #expect(r.status == 2)
            #expect(r.stderr.utf8.count < 1_000, "\(r.stderr.utf8.count) bytes of error: \(r.stderr.prefix(300))")
            let saysLength = r.stderr.contains("1,000,000 bytes")
            #expect(saysLength, "\(r.stderr.prefix(300))")
        }
        // Through the batch too: the reason of a line with a long duplicate key.
        let key = String(repeating: "k", count: 100_000)
        let batch = gov.home + "/keys.jsonl"
        try #"{"metadata":{"\#(key)":1,"\#(key)":2}}"#.write(toFile: batch, atomically: true, encoding: .utf8)
        let r = try gov.run(["--json", "audit", "log", "--batch", batch, "-a", "bot", "-k", "step", "-s", try SessionID.random().value])
        #expect(r.status == 0)
        #expect(r.stdout.utf8.count < 1_000, "\(r.stdout.utf8.count) bytes of report: \(r.stdout.prefix(300))")
    }

    /// `gates grant -` reads one line: a token ending in LF or CRLF is the same token; more than
    /// one line ending is not.
    @Test(arguments: Backend.allCases)
    func grantFromStdinTakesOneLineEndedByLFOrCRLF(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        func issue() throws -> String {
            try #require(try gov.json(["gates", "request", "--kind", "deploy", "--agent", "release-bot"])["token"]?.stringValue)
        }
        let lf = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: try issue() + "\n")
        #expect(lf.status == 0, "\(lf.stderr)")
        let crlf = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: try issue() + "\r\n")
        #expect(crlf.status == 0, "\(crlf.stderr)")
        let bare = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: try issue())
        #expect(bare.status == 0, "\(bare.stderr)")
        let two = try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: try issue() + "\n\n")
        #expect(two.status == 19, "\(two.stderr)")
    }

    /// A broken pricing file is an error (exit 2) whether or not --unpriced is given.
    @Test func costModelsRefusesABrokenPricingFileWithOrWithoutUnpriced() throws {
        let gov = try Governance()
        let file = gov.home + "/pricing.yaml"
        try "models: [this is: not, a table\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try gov.run(["cost", "models", "--pricing-file", file]).status == 2)
        let unpriced = try gov.run(["cost", "models", "--unpriced", "--pricing-file", file])
        #expect(unpriced.status == 2, "\(unpriced.stdout)\(unpriced.stderr)")
        var fromEnvironment = gov
        fromEnvironment.environment["GOVERNANCE_PRICING_FILE"] = file
        #expect(try fromEnvironment.run(["cost", "models", "--unpriced"]).status == 2)
    }
}
