import GovernanceCore

extension DB {
    enum Migrate {
        static let command = CommandSpec(
            "migrate", "Apply pending schema migrations",
            doc: "Applies each missing migration once, in order, in one transaction under a lock, so it is safe to run from several hosts at once and to run again. Needs no audit secret.",
            needs: CommandNeeds(store: .schema)
        ) { _, run in
            let store = try run.store
            let applied = try Migrations.migrate(store.connection)
            let version = try Migrations.currentVersion(store.connection)
            let description = try run.configuration().redactedStoreDescription
            run.emit(
                json: .object([
                    ("store", .string(description)),
                    ("schema_version", .int(version)),
                    ("migrations_applied", migrationsJSON(applied)),
                ]),
                text: applied.isEmpty ? "schema is up to date (version \(version))"
                    : applied.map { "applied migration \($0.version): \($0.name)" }.joined(separator: "\n") + "\nschema is at version \(version)")
            return 0
        }
    }
}
