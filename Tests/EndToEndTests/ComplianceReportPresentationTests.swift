import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What a reader of a report needs beside the evidence: the system named, a sign-off, times a
/// person can read, numbered printed pages and a sessions table of bounded length.
@Suite struct ComplianceReportPresentationTests {
    static let humanFormats = ["text", "markdown", "html"]

    /// Events in `count` sessions of one agent, in one batch.
    static func sessions(_ gov: Governance, count: Int, agent: String = "bot") throws {
        let lines = try (0..<count).map { _ in
            #"{"session_id":"\#(try SessionID.random().value)","agent_id":"\#(agent)","kind":"agent.step"}"#
        }
        let r = try gov.run(["audit", "log", "--batch", "--strict"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
    }

    static func report(_ gov: Governance, _ format: String, _ extra: [String] = []) throws -> ProcessResult {
        let arguments = ["compliance", "report", "--kind", "article12", "--no-record"] + extra
        return try gov.run(format == "json" ? ["--json"] + arguments : arguments + ["--format", format])
    }

    static let metadataFile = """
    system_name: "Billing <assistant> | *bold* [x](javascript:y)"
    system_version: 2.3.1
    provider: Example AI GmbH
    deployer: Example Bank AG
    sign_off:
      name: Jane Doe
      role: Compliance officer
      date: 2026-11-24
      statement: I have reviewed this report
        and the evidence it lists.
    """

    @Test(arguments: Backend.allCases)
    func metadataFromAFileAndFlagsIsShownInEveryFormat(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        try Self.sessions(gov, count: 1)
        let file = gov.home + "/system.yaml"
        try Self.metadataFile.write(toFile: file, atomically: true, encoding: .utf8)
        let flags = ["--metadata-file", file, "--deployer", "Override <Bank> & Co"]

        let json = try JSONParser.parse(try Self.report(gov, "json", flags).stdout)
        let metadata = try #require(json["metadata"])
        #expect(metadata["system_name"] == .string("Billing <assistant> | *bold* [x](javascript:y)"))
        #expect(metadata["system_version"] == .string("2.3.1"), "a version keeps its text")
        #expect(metadata["provider"] == .string("Example AI GmbH"))
        #expect(metadata["deployer"] == .string("Override <Bank> & Co"), "a flag overrides the file")
        #expect(metadata["sign_off"]?["name"] == .string("Jane Doe"))
        #expect(metadata["sign_off"]?["date"] == .string("2026-11-24"))
        #expect(metadata["sign_off"]?["statement"] == .string("I have reviewed this report and the evidence it lists."))

        let text = try Self.report(gov, "text", flags).stdout
        #expect(text.contains("System              Billing <assistant> | *bold* [x](javascript:y)"), "\(text)")
        #expect(text.contains("System version      2.3.1") && text.contains("Deployer            Override <Bank> & Co"))
        #expect(text.contains("Sign-off") && text.contains("Name  Jane Doe") && text.contains("Role  Compliance officer"))

        let markdown = try Self.report(gov, "markdown", flags).stdout
        #expect(markdown.contains("| System | Billing &lt;assistant&gt; &#124; \\*bold\\* \\[x\\](javascript:y) |"), "\(markdown)")
        #expect(markdown.contains("| Deployer | Override &lt;Bank&gt; &amp; Co |"))
        #expect(markdown.contains("## Sign-off") && markdown.contains("| Name | Jane Doe |")
                && markdown.contains("I have reviewed this report and the evidence it lists."))

        let html = try Self.report(gov, "html", flags).stdout
        #expect(!html.contains("<assistant>") && !html.contains("<Bank>"))
        #expect(html.contains("<tr><th>System</th><td>Billing &lt;assistant&gt; | *bold* [x](javascript:y)</td></tr>"))
        #expect(html.contains("<tr><th>Deployer</th><td>Override &lt;Bank&gt; &amp; Co</td></tr>"))
        #expect(html.contains("<title>Billing &lt;assistant&gt;"))
        #expect(html.contains("<h2>Sign-off</h2>") && html.contains("<tr><th>Role</th><td>Compliance officer</td></tr>"))

        // Flags alone, no file: no sign-off anywhere.
        let bare = try JSONParser.parse(try Self.report(gov, "json", ["--system-name", "Billing"]).stdout)
        #expect(bare["metadata"]?["system_name"] == .string("Billing") && bare["metadata"]?["sign_off"] == .null)
        #expect(bare["metadata"]?["provider"] == .null)
        for format in Self.humanFormats {
            let out = try Self.report(gov, format, ["--system-name", "Billing"]).stdout
            #expect(out.contains("Billing") && !out.contains("Sign-off"), "\(format)")
        }
        // Without metadata the header names no system.
        #expect(!(try Self.report(gov, "text").stdout.contains("System ")))
    }

    @Test(arguments: Backend.allCases)
    func aBadMetadataFileExits2AndWritesNothing(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        try Self.sessions(gov, count: 1)
        let count = { try gov.run(["--json", "audit", "events"]).stdout.split(separator: "\n").count }
        let before = try count()
        let cases: [(String, String)] = [
            ("system_nam: Billing\n", "system_nam: is not a known key"),
            ("sign_off: {role: auditor}\n", "sign_off.name: is missing"),
            ("sign_off: {name: Jane, date: 24.11.2026}\n", "sign_off.date must be a date, YYYY-MM-DD"),
            ("sign_off: {name: Jane, date: 2026-02-30}\n", "sign_off.date must be a date"),
            ("provider: \"Acme\\e[2J\"\n", "control character"),
            ("sign_off:\n  name: Jane\n  statement: |\n    two\n    lines\n", "control character"),
            ("system_name: [a, b]\n", "system_name: must be a string"),
            ("- a list\n", "must be a mapping"),
            ("system_name: \(String(repeating: "x", count: 257))\n", "the limit is 256 bytes"),
        ]
        for (i, (content, message)) in cases.enumerated() {
            let file = gov.home + "/bad-\(i).yaml"
            try content.write(toFile: file, atomically: true, encoding: .utf8)
            let output = gov.home + "/report-\(i).html"
            // Recorded (no --no-record): a refused run must not audit a report either.
            let r = try gov.run(["compliance", "report", "--kind", "article12", "--metadata-file", file, "--format", "html", "--output", output])
            #expect(r.status == 2, "\(content): \(r.stderr)")
            #expect(r.stderr.contains(message) && r.stderr.contains("docs/COMPLIANCE.md"), "\(content): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: output), "\(content): nothing written")
        }
        let missing = try gov.run(["compliance", "report", "--kind", "summary", "--metadata-file", gov.home + "/none.yaml"])
        #expect(missing.status == 2 && missing.stdout.isEmpty, "\(missing.stderr)")
        let flag = try gov.run(["compliance", "report", "--kind", "summary", "--system-name", "a\u{1b}[2Jb"])
        #expect(flag.status == 2 && flag.stderr.contains("\\x1b") && flag.stdout.isEmpty, "\(flag.stderr)")
        #expect(try count() == before, "no report.generated for a refused report")
    }

    @Test(arguments: Backend.allCases)
    func timesAreForPeopleInDocumentsAndExactInJSON(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        try Self.sessions(gov, count: 2)
        let filters = ["--from", "2026-01-01T08:15:30Z", "--annex-iii-1a"]
        let json = try JSONParser.parse(try Self.report(gov, "json", filters).stdout)
        let exact = try #require(json["generated_at"]?.stringValue)
        #expect(exact.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil, "\(exact)")
        let session = try #require(ComplianceDayToDayTests.section(json, "duration_of_use")?["data"]?["sessions"]?.arrayValue?.first)
        #expect(session["start_at"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
        for format in Self.humanFormats {
            let out = try Self.report(gov, format, filters).stdout
            #expect(out.firstMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d/) == nil, "\(format) shows no ISO 8601 time")
            #expect(out.contains(String(exact.prefix(10)) + " "), "\(format): generated at, readable")
            #expect(out.firstMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d UTC/) != nil, "\(format)")
            #expect(out.contains("from 2026-01-01 08:15:30 UTC"), "\(format): a filter keeps its seconds")
        }
    }

    @Test(arguments: Backend.allCases)
    func theSessionsTableIsCappedWithACountOfTheRest(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        try Self.sessions(gov, count: 53)
        for format in Self.humanFormats {
            let out = try Self.report(gov, format).stdout
            #expect(out.contains("and 3 more sessions"), "\(format): the default shows 50")
        }
        let text = try Self.report(gov, "text", ["--sessions-shown", "5"]).stdout
        #expect(text.contains("   ... and 48 more sessions\n"), "\(text)")
        let markdown = try Self.report(gov, "markdown", ["--sessions-shown", "5"]).stdout
        #expect(markdown.contains("*and 48 more sessions*"))
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains(" | bot | ") }
        #expect(rows.count == 5, "\(rows)")
        let html = try Self.report(gov, "html", ["--sessions-shown", "5"]).stdout
        #expect(html.contains("<p class=\"omitted\">and 48 more sessions (the JSON report lists them)</p>"))
        // The JSON report is not capped by it: every session, and the count beyond the reader's cap.
        let json = try JSONParser.parse(try Self.report(gov, "json", ["--sessions-shown", "5"]).stdout)
        let data = try #require(ComplianceDayToDayTests.section(json, "duration_of_use")?["data"])
        #expect(data["sessions"]?.arrayValue?.count == 53 && data["sessions_omitted"] == .int(0))
        #expect(try Self.report(gov, "text", ["--sessions-shown", "0"]).status == 2)
        #expect(!(try Self.report(gov, "text", ["--sessions-shown", "53"]).stdout.contains("more sessions")))
    }

    @Test func htmlNumbersPrintedPages() throws {
        let gov = try Governance(backend: .sqlite)
        try Self.sessions(gov, count: 1)
        let html = try Self.report(gov, "html").stdout
        #expect(html.contains("@media print{"))
        #expect(html.contains("@page{size:A4;"))
        #expect(html.contains("@bottom-right{content:\"Page \" counter(page) \" of \" counter(pages);"))
        let id = try #require(html.firstMatch(of: /<title>[^<]* ([0-9a-f-]{36})<\/title>/)?.1)
        #expect(html.contains("@bottom-left{content:\"governance compliance report \(id)\""))
    }

    /// `--format` is compliance report's flag: every other command refuses it, and help lists it
    /// only there.
    @Test func formatIsRefusedByEveryOtherCommand() throws {
        let gov = try Governance()
        for arguments in [["audit", "verify", "--format", "json"], ["presence", "list", "--format=html"], ["session", "new", "--format", "text"]] {
            let r = try gov.run(arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.contains("has no --format (it is a flag of `governance compliance report`)"), "\(r.stderr)")
            #expect(r.stderr.contains("use --json for JSON output"))
        }
        #expect(!(try gov.run(["--help"]).stdout.contains("--format")))
        #expect(!(try gov.run(["help", "audit", "verify"]).stdout.contains("--format")))
        #expect(try gov.run(["help", "compliance", "report"]).stdout.contains("--format FORMAT"))
        let page = try gov.run(["man"]).stdout
        #expect(page.hasPrefix(".TH GOVERNANCE 1"))
        let globals = try #require(page.components(separatedBy: ".SH GLOBAL FLAGS\n").dropFirst().first?.components(separatedBy: "\n.SH ").first)
        #expect(globals.contains("json") && !globals.contains("format"), "\(globals)")
    }
}
