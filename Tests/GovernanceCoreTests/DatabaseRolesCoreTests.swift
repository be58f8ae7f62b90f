import Foundation
@testable import GovernanceCore
import GovernanceTestSupport
import Testing

@Suite struct DatabaseRolesCoreTests {
    /// A table no role's privileges name would be unreadable to every role: each is declared.
    @Test func everyTableHasItsPrivilegesDeclared() {
        let registry = Set(SchemaRegistry.domains.flatMap(\.tables)).union(["governance_schema_migrations"])
        #expect(Set(DatabaseRoles.tables.map(\.table)) == registry)
        #expect(DatabaseRoles.tables.count == registry.count, "each table once")
    }

    /// `db migrate` grants what a migration adds to the roles configured before: what it runs
    /// after applying migrations gives back a privilege the agent role lacks.
    @Test func migrateGrantsTheConfiguredRoles() throws {
        let roles = try ClusterRoles()
        defer { roles.drop() }
        let names = roles.names
        let store = try TestDatabase.make(.postgres).open()
        let db = store.connection
        _ = try DatabaseRoles.configure(db, names: names)
        #expect(try DatabaseRoles.configured(db) == names)
        func agentReadsPresence() throws -> Bool {
            try db.queryFirst("SELECT has_table_privilege(?, 'governance_presence', 'SELECT')", [.text(names.agent)])?.text(0) == "t"
        }
        #expect(try agentReadsPresence())
        try db.executeScript("REVOKE SELECT ON governance_presence FROM \(names.agent)")
        #expect(try !agentReadsPresence())
        try db.writeTransaction { try DatabaseRoles.reapplyInTransaction(db) }
        #expect(try agentReadsPresence())
        #expect(try DatabaseRoles.configure(db, names: names).changed == false)
    }

    @Test func theEmbeddedStoreHasNoRoles() throws {
        let store = try TestDatabase.make(.sqlite).open()
        #expect {
            _ = try DatabaseRoles.configure(store.connection, names: .init(agent: "a", operator: "o", auditor: "x"))
        } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
    }
}
