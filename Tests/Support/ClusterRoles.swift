import Foundation
import GovernanceCore

/// PostgreSQL roles for one test. Roles are cluster-wide, unlike the tests' schemas: each test
/// names its own (a random tag) and drops them, with what was granted to them, when it ends.
public final class ClusterRoles: @unchecked Sendable {
    public let tag = "r" + UUID().uuidString.prefix(8).lowercased()
    public var agent: String { tag + "_agent" }
    public var `operator`: String { tag + "_operator" }
    public var auditor: String { tag + "_auditor" }
    private var logins: [String] = []
    private let admin: PostgresConnection

    public init() throws { admin = try PostgresConnection(url: try TestDatabase.postgresURL()) }

    public var names: DatabaseRoles.Names { DatabaseRoles.Names(agent: agent, operator: `operator`, auditor: auditor) }

    /// `db roles`'s flags for these roles.
    public var flags: [String] { ["--agent-role", agent, "--operator-role", `operator`, "--auditor-role", auditor] }

    /// A LOGIN role granted `group` (the throwaway cluster trusts its unix socket: no password).
    public func login(_ name: String, granted group: String) throws -> String {
        let login = tag + "_" + name
        try admin.executeScript("CREATE ROLE \(login) LOGIN; GRANT \(group) TO \(login)")
        logins.append(login)
        return login
    }

    public func drop() {
        for role in logins + [agent, `operator`, auditor] {
            _ = try? admin.executeScript("DROP OWNED BY \(role)")
            _ = try? admin.executeScript("DROP ROLE IF EXISTS \(role)")
        }
    }
}
