/// The report as one self-contained HTML page: no external assets, no JavaScript, inline SVG
/// charts, and print styles. Every string from the store goes through `escape`, so an agent id
/// such as `<script>` or `</svg>` renders as text.
public enum ReportHTML {
    public static func render(_ report: ComplianceReport) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <title>\(report.options.metadata.systemName.map { escape($0) + ": " } ?? "")\(escape(report.title)) \(escape(report.reportID))</title>
        <style>\(stylesheet)\(pageStyle(report))</style>
        </head>
        <body>
        <header>
        <p class="eyebrow">governance compliance report</p>
        <h1>\(escape(report.title))</h1>

        """
        out += "<table class=\"meta\">\n"
        for (label, value) in ReportHeader.fields(report) {
            if label == "Chain integrity" {
                let detail = report.chainIntegrity == .empty ? " no chain read: nothing to verify"
                    : report.chainIntegrity == .unverified ? " not checked: run with --verify-chain"
                    : report.chainIntegrity == .failed ? " in \(report.chainFailures.count) session(s): the log was changed after it was written" : " every chain read"
                out += "<tr><th>\(label)</th><td>\(integrityBadge(report.chainIntegrity))\(detail)</td></tr>\n"
            } else {
                out += "<tr><th>\(label)</th><td>\(escape(value))</td></tr>\n"
            }
        }
        out += "</table>\n"
        out += "<div class=\"caveat\"><p><strong>Coverage.</strong> \(escape(ComplianceReport.coverageCaveat)) <code>coverage_pct</code>: null.</p>"
        out += "<p><strong>Integrity.</strong> \(escape(ComplianceReport.integrityNote))</p>"
        out += "<p><strong>Statuses.</strong> \(escape(ComplianceReport.statusNote))</p></div>\n</header>\n<main>\n"

        out += "<section class=\"glance\"><h2>Status at a glance</h2>\n<ol class=\"cards\">\n"
        for s in report.sections {
            out += "<li class=\"card \(cssClass(s.status))\"><a href=\"#\(s.id)\"><span class=\"card-title\">\(escape(s.title))</span>"
            out += "<span class=\"card-articles\">\(escape(s.articles.joined(separator: ", ")))</span>\(badge(s.status))</a></li>\n"
        }
        out += "</ol></section>\n"

        out += "<section class=\"charts\"><h2>Activity</h2>\n"
        out += ReportCharts.activity(report.evidence)
        out += ReportCharts.anomalies(report.evidence)
        out += "</section>\n"

        for (i, s) in report.sections.enumerated() {
            out += "<section class=\"section \(cssClass(s.status))\" id=\"\(s.id)\">\n"
            out += "<h2><span class=\"num\">\(i + 1).</span> \(escape(s.title)) \(badge(s.status))</h2>\n"
            out += "<p class=\"articles\">\(escape(s.articles.joined(separator: " · ")))</p>\n"
            out += "<p class=\"description\">\(escape(s.description))</p>\n"
            if !s.findings.isEmpty {
                out += "<ul class=\"findings\">\n" + s.findings.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
            }
            if !s.facts.isEmpty {
                out += "<dl class=\"facts\">\n" + s.facts.map { "<div><dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd></div>\n" }.joined() + "</dl>\n"
            }
            for t in s.tables where !t.rows.isEmpty { out += table(t) }
            out += "</section>\n"
        }
        if let signOff = report.options.metadata.signOff {
            out += "<section class=\"signoff\" id=\"sign-off\">\n<h2>Sign-off</h2>\n"
            if let statement = signOff.statement { out += "<p class=\"statement\">\(escape(statement))</p>\n" }
            out += "<table class=\"meta\">\n"
            for (label, value) in report.options.metadata.signOffFields { out += "<tr><th>\(label)</th><td>\(escape(value))</td></tr>\n" }
            out += "</table>\n<p class=\"signature\">Signature</p>\n</section>\n"
        }
        out += "</main>\n<footer><p>Report \(escape(report.reportID)) · generated \(escape(report.generatedAt.readable())) by governance · "
        out += "Regulation (EU) 2024/1689, Article 12. The report's SHA-256 is recorded in the audit chain as a report.generated event.</p></footer>\n"
        out += "</body>\n</html>\n"
        return out
    }

    static func table(_ t: ReportTable) -> String {
        var out = "<table class=\"data\"><caption>\(escape(t.title))</caption>\n<thead><tr>"
        out += t.columns.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in t.rows { out += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        out += "</tbody>\n</table>\n"
        if t.omitted > 0 { out += "<p class=\"omitted\">\(escape(t.omittedLine)) (the JSON report lists them)</p>\n" }
        return out
    }

    static func cssClass(_ status: EvidenceStatus) -> String {
        switch status {
        case .compliant: "st-ok"
        case .partial: "st-partial"
        case .nonCompliant: "st-bad"
        case .notApplicable: "st-na"
        }
    }

    static func badge(_ status: EvidenceStatus) -> String {
        let label = switch status {
        case .compliant: "✓ compliant"
        case .partial: "◐ partial"
        case .nonCompliant: "✗ non-compliant"
        case .notApplicable: "– not applicable"
        }
        return "<span class=\"badge \(cssClass(status))\">\(label)</span>"
    }

    static func integrityBadge(_ status: ChainIntegrityStatus) -> String {
        switch status {
        case .verified: "<span class=\"badge st-ok\">✓ verified</span>"
        case .failed: "<span class=\"badge st-bad\">✗ FAILED</span>"
        case .unverified: "<span class=\"badge st-partial\">? unverified</span>"
        case .empty: "<span class=\"badge st-partial\">∅ empty</span>"
        }
    }

    /// Text for an HTML element or attribute: markup characters become references, and
    /// characters a reader could be misled by (controls, bidi overrides) are shown as escapes.
    public static func escape(_ text: String) -> String {
        TerminalText.escaped(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }

    static let stylesheet = """
    :root{--ok:#1a7f37;--ok-bg:#dafbe1;--partial:#7d4e00;--partial-bg:#fff1c2;--bad:#b3261e;--bad-bg:#ffe1de;--na:#57606a;--na-bg:#eaeef2;--ink:#1f2328;--muted:#57606a;--line:#d0d7de}
    *{box-sizing:border-box}
    body{margin:0 auto;max-width:1100px;padding:32px 40px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
    h1{font-size:26px;margin:4px 0 16px}
    h2{font-size:19px;margin:0 0 8px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
    .eyebrow{margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.08em;font-size:12px}
    table.meta{border-collapse:collapse;margin-bottom:16px}
    table.meta th{text-align:left;color:var(--muted);font-weight:500;padding:3px 18px 3px 0;vertical-align:top;white-space:nowrap}
    table.meta td{padding:3px 0;overflow-wrap:anywhere}
    .caveat{border-left:4px solid var(--na);background:#f6f8fa;padding:8px 16px;font-size:14px}
    .caveat p{margin:6px 0}
    section{margin:28px 0}
    .cards{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:10px}
    .card a{display:flex;flex-direction:column;gap:4px;padding:12px 14px;border:1px solid var(--line);border-left-width:6px;border-radius:6px;color:inherit;text-decoration:none;height:100%}
    .card-title{font-weight:600}
    .card-articles{color:var(--muted);font-size:13px}
    .card.st-ok a{border-left-color:var(--ok)}.card.st-partial a{border-left-color:#d4a72c}.card.st-bad a{border-left-color:var(--bad)}.card.st-na a{border-left-color:var(--na)}
    .badge{display:inline-block;align-self:flex-start;padding:1px 10px;border-radius:12px;font-size:13px;font-weight:600;white-space:nowrap}
    .badge.st-ok{color:var(--ok);background:var(--ok-bg)}.badge.st-partial{color:var(--partial);background:var(--partial-bg)}
    .badge.st-bad{color:var(--bad);background:var(--bad-bg)}.badge.st-na{color:var(--na);background:var(--na-bg)}
    .section{border-top:1px solid var(--line);padding-top:18px}
    .num{color:var(--muted)}
    .articles{margin:0;color:var(--muted);font-size:13px}
    .description{margin:6px 0 10px}
    .findings{margin:0 0 12px;padding-left:20px}
    .findings li{margin:2px 0}
    dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px;margin:0 0 12px}
    dl.facts div{border:1px solid var(--line);border-radius:6px;padding:6px 10px}
    dl.facts dt{color:var(--muted);font-size:12px}
    dl.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
    table.data{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
    table.data caption{text-align:left;font-weight:600;padding:4px 0}
    table.data th,table.data td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;overflow-wrap:anywhere}
    table.data th{background:#f6f8fa}
    .omitted{color:var(--muted);font-size:13px}
    figure{margin:12px 0 20px}
    figcaption{font-weight:600;margin-bottom:4px}
    svg{max-width:100%;height:auto;font:12px system-ui,"DejaVu Sans",sans-serif}
    .legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;margin:4px 0 0;padding:0;list-style:none}
    .swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
    .empty{color:var(--muted)}
    footer{border-top:1px solid var(--line);margin-top:32px;color:var(--muted);font-size:12px}
    @media print{
      body{max-width:none;padding:0;font-size:11pt}
      *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
      a{color:inherit;text-decoration:none}
      figure,.card,dl.facts div,table.data tr,.caveat{break-inside:avoid}
      h2,caption,figcaption{break-after:avoid}
      section{margin:18px 0}
      .cards{grid-template-columns:repeat(3,1fr)}
      thead{display:table-header-group}
      .signoff{break-inside:avoid}
    }
    .signature{margin:36px 0 0;padding-top:4px;border-top:1px solid var(--ink);width:280px;color:var(--muted);font-size:13px}
    """

    /// Printed pages: A4, numbered "Page N of M" at the bottom right, the report id at the bottom
    /// left (a UUID, so nothing in it needs escaping for CSS). Browsers and PDF tools that draw
    /// page-margin boxes show them; others print the page without.
    static func pageStyle(_ report: ComplianceReport) -> String {
        let margin = "font:9pt system-ui,\"DejaVu Sans\",sans-serif;color:#57606a"
        return "\n@page{size:A4;margin:16mm 14mm 18mm;"
            + "@bottom-left{content:\"governance compliance report \(report.reportID.filter { $0.isHexDigit || $0 == "-" })\";\(margin)}"
            + "@bottom-right{content:\"Page \" counter(page) \" of \" counter(pages);\(margin)}}"
    }
}
