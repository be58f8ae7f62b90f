/// What `db status` reports about a store.
public struct StoreStatus: Sendable {
    public var schemaVersion: Int
    /// nil until the schema exists.
    public var sessions: Int64?
    public var events: Int64?

    public static func read(_ db: SQLConnection) throws -> StoreStatus {
        let version = try Migrations.currentVersion(db)
        guard version >= 1 else { return StoreStatus(schemaVersion: version) }
        let sessions = try db.queryFirst("SELECT COUNT(*) FROM governance_audit_sessions")?.int(0)
        let events = try db.queryFirst("SELECT COUNT(*) FROM governance_audit_events")?.int(0)
        return StoreStatus(schemaVersion: version, sessions: sessions, events: events)
    }
}
