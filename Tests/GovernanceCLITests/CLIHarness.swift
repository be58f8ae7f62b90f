import GovernanceCLI
import GovernanceCore
import GovernanceTestSupport

/// Runs the CLI in-process with a captured console and an explicit environment.
final class Captured: @unchecked Sendable {
    var out = ""
    var err = ""
}

struct CLIResult {
    let code: Int32
    let out: String
    let err: String
}

func runCLI(_ arguments: [String], env: [String: String], stdin: String = "") -> CLIResult {
    let captured = Captured()
    let input = Captured()
    let console = Console(out: { captured.out += $0 }, err: { captured.err += $0 }, stdin: {
        // All of stdin in one chunk, then its end.
        guard input.out.isEmpty else { return nil }
        input.out = "read"
        return stdin.isEmpty ? nil : Array(stdin.utf8)
    })
    let code = CLI.run(arguments, console: console, environment: { env[$0] })
    return CLIResult(code: code, out: captured.out, err: captured.err)
}

/// A fresh home with an embedded store and a known secret.
func freshEnvironment() throws -> [String: String] {
    let home = try makeTemporaryDirectory()
    return ["GOVERNANCE_HOME": home, "GOVERNANCE_AUDIT_SECRET": testSecret, "HOME": home]
}

func storedEventCount(_ env: [String: String]) throws -> Int64 {
    let path = env["GOVERNANCE_HOME"]! + "/governance.db"
    guard FileSystem.exists(path) else { return 0 }
    return try StoreStatus.read(SQLiteConnection(path: path)).events ?? 0
}
