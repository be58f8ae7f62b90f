import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The README's cron lines, run as cron runs them: `env -i`, `sh -c`, no variables of ours. The
/// binary's and the store's paths in the lines are pointed at the binary under test and a store
/// of the test's (with its secret, which an embedded store keeps in its home); nothing else changes.
@Suite struct CronLineTests {
    @Test func theReadmesCronLinesRunUnderAnEmptyEnvironment() throws {
        let readme = try String(contentsOfFile: packageRoot() + "/README.md", encoding: .utf8)
        let lines = readme.split(separator: "\n").filter { $0.hasPrefix("*/5 * * * * ") }.map { String($0.dropFirst("*/5 * * * * ".count)) }
        #expect(lines.count == 2, "the README shows the sweep and the sweep that kills")
        let gov = try Governance()
        // A store with an agent that has gone silent, a policy, and a registered operator key for cron.
        #expect(try gov.run(["policy", "apply", "-f", "-"], stdin: "agents:\n  bot:\n    scope: {allowed_tools: [t]}\n").status == 0)
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        let key = try gov.operatorKey("cron")
        let secret = gov.home + "/cron.secret"
        try testSecret.write(toFile: secret, atomically: true, encoding: .utf8)
        chmod(secret, 0o600)
        for line in lines {
            #expect(line.contains("GOVERNANCE_HOME=/var/lib/governance") && line.contains("/usr/local/bin/governance"), "\(line)")
            let command = line.replacingOccurrences(of: "/usr/local/bin/governance", with: governanceBinary())
                .replacingOccurrences(of: "GOVERNANCE_HOME=/var/lib/governance", with: "GOVERNANCE_HOME=\(gov.home) GOVERNANCE_AUDIT_SECRET_FILE=\(secret)")
                .replacingOccurrences(of: "/etc/governance/cron.pem", with: key)
            let r = try runProcess("/usr/bin/env", ["-i", "/bin/sh", "-c", command], environment: [:])
            #expect(r.status == 0, "\(command): \(r.stderr)")
        }
    }
}
