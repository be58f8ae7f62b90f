import GovernanceCore
import GovernanceTestSupport
import Testing

/// Hostile text from the store must render as text in every report format.
@Suite struct ComplianceEscapingTests {
    static let hostileAgents = [
        "<script>alert(1)</script>",
        "</svg><img src=x onerror=alert(1)>",
        "a|b`c\nd",
        "</table><!--",
        "x\"onload=\"alert(1)",
        "[link](javascript:alert(1))",
        "# heading\r\n| forged | row |",
        "\u{202E}evil",
    ]

    func hostileReport(_ backend: Backend, kind: ReportKind = .summary) throws -> ComplianceReport {
        let db = try TestDatabase.make(backend)
        let f = try ComplianceFixture(db)
        for (i, agent) in Self.hostileAgents.enumerated() {
            // Identifiers with control characters are refused at append: they reach the store
            // only by hand, as an attacker with database access would put them there.
            let valid = !agent.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E }
            let stored = valid ? agent : "placeholder-\(i)"
            let s = try SessionID.random()
            try f.add(EventKind.policyApplied, agent: stored, session: s, at: ComplianceFixture.at(day: i))
            try f.add(EventKind.llmCall, agent: stored, session: s, model: "</svg><script>m</script>", at: ComplianceFixture.at(day: i, hour: 10))
            try f.add(EventKind.gateRequested, agent: stored, session: s, at: ComplianceFixture.at(day: i, hour: 11))
            try f.add(EventKind.gateGranted, agent: stored, session: s, metadata: [("by", .string(valid ? agent : "op"))], at: ComplianceFixture.at(day: i, hour: 12))
            if !valid {
                try db.rawConnection().execute("UPDATE governance_audit_events SET agent_id = ? WHERE agent_id = ?", [.text(agent), .text(stored)])
            }
        }
        // Unverified: the hand-edited rows break their chains, and a verified report counts nothing
        // of a session past its first integrity failure.
        return try ComplianceReporter(db: f.store.connection, keys: testKeys)
            .generate(ReportOptions(kind: kind, verifyChain: false, annexIII1a: true), now: ComplianceFixture.at(day: 30))
    }

    @Test(arguments: Backend.allCases)
    func htmlRendersHostileIdsAsText(backend: Backend) throws {
        for kind in ReportKind.allCases {
            let html = ReportHTML.render(try hostileReport(backend, kind: kind))
            #expect(!html.contains("<script"))
            #expect(!html.contains("<img"))
            #expect(!html.contains("<!--"))
            #expect(!html.contains("onload=\""))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("&lt;/svg&gt;&lt;img src=x onerror=alert(1)&gt;"))
            // Every element opened by the renderer is closed by it: no id closed one early.
            #expect(html.components(separatedBy: "<svg").count == html.components(separatedBy: "</svg>").count)
            #expect(html.components(separatedBy: "<table").count == html.components(separatedBy: "</table>").count)
            #expect(!html.contains("\u{202E}"), "a bidi override is shown as an escape")
            #expect(!html.contains("http://") || html.components(separatedBy: "http://").count == 3, "no external asset: only the SVG namespace")
            #expect(!html.contains("<link") && !html.contains("src=\"http"))
        }
    }

    @Test(arguments: Backend.allCases)
    func markdownTableCellsCannotBreakTheirRow(backend: Backend) throws {
        let report = try hostileReport(backend)
        let markdown = ReportMarkdown.render(report)
        #expect(!markdown.contains("b`c"), "backticks in store text are character references")
        #expect(markdown.contains("a&#124;b&#96;c d"))
        #expect(!markdown.contains("<script"))
        #expect(!markdown.contains("[link](") && markdown.contains("\\[link\\]"), "no link can be formed")
        #expect(!markdown.contains("\u{202E}"))
        // Every table row has as many cells as its header: a pipe or newline in an id added none.
        var columns: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else { columns = nil; continue }
            let cells = line.filter { $0 == "|" }.count
            if let columns { #expect(cells == columns, "row \(line)") } else { columns = cells }
        }
        #expect(!markdown.split(separator: "\n").contains { $0.hasPrefix("# heading") || $0.hasPrefix("| forged") })
    }

    @Test(arguments: Backend.allCases)
    func textEscapesControlCharacters(backend: Backend) throws {
        let text = ReportText.render(try hostileReport(backend))
        #expect(!text.contains("\u{202E}"))
        #expect(text.contains("a|b`c\\nd"))
        #expect(!text.contains("\r"))
    }

    @Test func markdownEscapeKeepsPlainTextReadable() {
        #expect(ReportMarkdown.escape("gpt-4o.mini 2026-11-27") == "gpt-4o.mini 2026-11-27")
        #expect(ReportMarkdown.escape("a|b") == "a&#124;b")
        #expect(ReportMarkdown.escape("`x`") == "&#96;x&#96;")
        #expect(ReportMarkdown.escape("l1\nl2") == "l1 l2")
        #expect(ReportMarkdown.escape("*b* _i_ [l]") == "\\*b\\* \\_i\\_ \\[l\\]")
        #expect(ReportHTML.escape("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;")
    }
}
