import GovernanceCore

extension DB {
    enum Status {
        static let command = CommandSpec(
            "status", "Show the store, its schema version and what it holds",
            doc: "Prints which store is in use (passwords hidden), the schema version against the one this governance needs, each domain's tables with their row counts, and how many sessions and events are stored. Exits 3 when migrations are pending.",
            needs: CommandNeeds(store: .inspect)
        ) { _, run in
            let store = try run.store
            let description = try run.configuration().redactedStoreDescription
            let status = try StoreStatus.read(store.connection)
            let pending = Migrations.latestVersion - status.schemaVersion
            var lines: [(String, String)] = [
                ("store", description),
                ("schema", "version \(status.schemaVersion) of \(Migrations.latestVersion)" + (pending > 0 ? " (\(pending) pending: run `governance db migrate`)" : "")),
                ("sessions", status.sessions.map { Render.grouped(Int($0)) } ?? "-"),
                ("events", status.events.map { Render.grouped(Int($0)) } ?? "-"),
            ]
            for table in status.tables {
                lines.append(("  " + table.name, table.rows.map { Render.count(Int($0), "row") } ?? "missing"))
            }
            run.emit(
                json: .object([
                    ("store", .string(description)),
                    ("backend", .string(store.connection.dialect.rawValue)),
                    ("schema_version", .int(status.schemaVersion)),
                    ("latest_schema_version", .int(Migrations.latestVersion)),
                    ("pending_migrations", .int(max(0, pending))),
                    ("sessions", status.sessions.map { .int64($0) } ?? .null),
                    ("events", status.events.map { .int64($0) } ?? .null),
                    ("tables", .array(status.tables.map { t in
                        .object([("domain", .string(t.domain)), ("name", .string(t.name)), ("rows", t.rows.map { .int64($0) } ?? .null)])
                    })),
                ]),
                text: Render.fields(lines))
            if pending > 0 {
                throw GovernanceError.config("the store's schema is \(pending) migration\(pending == 1 ? "" : "s") behind",
                                             hint: "run `governance db migrate`")
            }
            return 0
        }
    }
}
