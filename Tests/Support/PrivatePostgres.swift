import Foundation

/// A PostgreSQL cluster of a test's own, for tests that stop and start the server (the shared
/// throwaway cluster must stay up for every other test).
public final class PrivatePostgres: @unchecked Sendable {
    public let directory: String
    public let url: String
    private let script = packageRoot() + "/scripts/pg-cluster.sh"

    public init() throws {
        directory = "/tmp/governance-pgp-" + UUID().uuidString.prefix(8).lowercased()
        let result = try runProcess("/bin/bash", [script, "init", directory], environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw TestSetupError("could not start a private PostgreSQL: \(result.stderr)") }
        url = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() throws { try control("stop") }
    public func start() throws { try control("start") }

    private func control(_ action: String) throws {
        let result = try runProcess("/bin/bash", [script, action, directory], environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw TestSetupError("pg-cluster \(action) failed: \(result.stderr)") }
    }

    deinit {
        _ = try? runProcess("/bin/bash", [script, "destroy", directory], environment: ProcessInfo.processInfo.environment)
    }
}
