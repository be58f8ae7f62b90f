import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The README's five-minute tour, run exactly as a new user would paste it: top to bottom in
/// bash with `-euo pipefail`, from the checkout, with the binary under test first on PATH.
@Suite struct ReadmeTourTests {
    static func block(after heading: String, fence: String, in text: String) throws -> String {
        let section = try #require(text.range(of: heading), "README has no \(heading)")
        let open = try #require(text.range(of: "```" + fence + "\n", range: section.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "\n```", range: open.upperBound..<text.endIndex))
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test func tourRunsAsWrittenAndPrintsWhatItShows() throws {
        let readme = try String(contentsOfFile: packageRoot() + "/README.md", encoding: .utf8)
        let tour = try Self.block(after: "## A five-minute tour", fence: "sh", in: readme)
        let shown = try Self.block(after: "The last two commands print:", fence: "text", in: readme)
        // The tour puts the release build on PATH; point that line at the binary under test.
        let binaryDirectory = URL(fileURLWithPath: governanceBinary()).deletingLastPathComponent().path
        #expect(tour.contains(#"export PATH="$PWD/.build/release:$PATH""#), "the tour no longer says how governance gets on PATH")
        let script = tour.replacingOccurrences(of: #"export PATH="$PWD/.build/release:$PATH""#, with: "export PATH=\"\(binaryDirectory):$PATH\"")
        var environment = ProcessInfo.processInfo.environment
        for name in ["GOVERNANCE_HOME", "GOVERNANCE_DATABASE_URL", "GOVERNANCE_AUDIT_SECRET", "GOVERNANCE_AUDIT_SECRET_FILE",
                     "GOVERNANCE_SESSION_ID", "GOVERNANCE_AGENT_ID"] { environment[name] = nil }
        let result = try runProcess("/bin/bash", ["-c", "cd \"$0\" && set -euo pipefail && exec 2>&1\n" + script, packageRoot()],
                                    environment: environment)
        #expect(result.status == 0, "the tour failed:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("verified: 2 events in 1 session"), "\(result.stdout)")

        // What the README says the tamper step prints is what it prints (the session id aside).
        let session = try #require(result.stdout.firstMatch(of: /session ([0-9a-f-]{36}) seq 2/)?.1)
        for line in shown.split(separator: "\n") {
            let expected = line.replacingOccurrences(of: "SESSION", with: String(session))
            #expect(result.stdout.contains(expected + "\n"), "the README shows a line the tour does not print: \(expected)\n\(result.stdout)")
        }
    }
}
