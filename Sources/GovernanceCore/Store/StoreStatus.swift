/// What `db status` reports about a store.
public struct StoreStatus: Sendable {
    public struct Table: Sendable {
        public var domain: String
        public var name: String
        /// nil when the table does not exist (yet).
        public var rows: Int64?
    }

    public var schemaVersion: Int
    /// nil until the schema exists.
    public var sessions: Int64?
    public var events: Int64?
    /// Every domain's tables, from the schema registry.
    public var tables: [Table] = []

    public static func read(_ db: SQLConnection) throws -> StoreStatus {
        let version = try Migrations.currentVersion(db)
        var status = StoreStatus(schemaVersion: version)
        for domain in SchemaRegistry.domains {
            for name in domain.tables {
                // Table names come from the registry, never from input.
                let rows = try db.tableExists(name) ? try db.queryFirst("SELECT COUNT(*) FROM \(name)")?.int(0) : nil
                status.tables.append(Table(domain: domain.name, name: name, rows: rows))
            }
        }
        status.sessions = status.tables.first { $0.name == "governance_audit_sessions" }?.rows
        status.events = status.tables.first { $0.name == "governance_audit_events" }?.rows
        return status
    }
}
