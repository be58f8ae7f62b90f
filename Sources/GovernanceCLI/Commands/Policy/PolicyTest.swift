import GovernanceCore

extension Policy {
    enum Test {
        static let cases: Flag<String> = .path("cases", value: "CASES", "The decision cases (YAML or JSON; docs/POLICIES.md)")

        static let command = CommandSpec(
            "test", "Run decision cases against policy files without a store (exit 1 when a case fails)",
            doc: """
            Each case asks one decision of one agent: scope (a tool or an API call), budget (spend so far and a \
            projection against the caps), loop (a sequence of calls in time) or contract (the pre-conditions of a \
            tool, with the approvals, spend and logged results the case states), and says whether it expects allow \
            or deny, and optionally text the decision's message contains. The decisions are the enforcement \
            path's own, fed from the case: no store is opened, no secret read, no custom command run. Prints each \
            case as PASS or FAIL with the decision's message. Exits 0 when every case holds, 1 when any fails, 2 \
            for a bad policy or cases file (at most 1 MiB each, 10,000 cases, nesting 64 levels, no unknown keys).
            """,
            flags: [Apply.file.required.repeatable, cases.required],
            examples: ["governance policy test -f policies.yaml --cases policy-cases.yaml", "governance policy test -f policies.yaml --cases cases.yaml --json"],
            failures: [.invalidInput]
        ) { args, run in
            let documents = try PolicyParser.load(try args.all(Apply.file))
            let report = try PolicyTest.run(try PolicyTest.load(try args.require(cases)), documents: documents)
            run.emit(json: report.json, text: text(report))
            return report.passed ? 0 : 1
        }

        static func text(_ report: PolicyTest.Report) -> String {
            var lines: [String] = []
            for result in report.results {
                var line = "\(result.passed ? "PASS" : "FAIL") - \(Render.escaped(result.name)) (\(result.check), \(Render.escaped(result.agentID))): "
                line += result.failure.map { Render.escaped($0) + ": " } ?? ""
                line += "\(result.decision.rawValue): \(Render.escaped(result.message))"
                lines.append(line)
                for warning in result.warnings { lines.append("    warning: " + Render.escaped(warning)) }
            }
            let failed = report.results.filter { !$0.passed }.count
            lines.append("\(report.results.count) case\(report.results.count == 1 ? "" : "s"), \(report.results.count - failed) passed, \(failed) failed")
            return lines.joined(separator: "\n")
        }
    }
}
