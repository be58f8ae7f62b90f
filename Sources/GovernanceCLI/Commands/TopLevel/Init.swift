import GovernanceCore

extension TopLevel {
    enum Init {
        static let command = CommandSpec(
            "init", "Prepare the store and the audit secret",
            doc: "Creates $GOVERNANCE_HOME, the embedded store and (when no secret is configured) a random audit secret in $GOVERNANCE_HOME/audit.secret with mode 0600, or applies the schema to a PostgreSQL store, whose secret must be configured. Safe to run again: it changes nothing that is already in place.",
            examples: ["governance init", "GOVERNANCE_AUDIT_SECRET_FILE=/etc/governance/secret governance init --database-url postgres://gov@db/governance"],
            needs: CommandNeeds(store: .schema, keys: true)
        ) { _, run in
            let config = try run.configuration()
            let store = try run.store
            let applied = try Migrations.migrate(store.connection)
            let version = try Migrations.currentVersion(store.connection)
            let source = run.secretSource ?? "-"
            run.emit(
                json: .object([
                    ("store", .string(config.redactedStoreDescription)),
                    ("home", .string(config.home)),
                    ("schema_version", .int(version)),
                    ("migrations_applied", DB.migrationsJSON(applied)),
                    ("secret_source", .string(source)),
                    ("secret_created", .bool(run.createdSecret != nil)),
                ]),
                text: Render.fields([
                    ("store", config.redactedStoreDescription),
                    ("schema", "version \(version)" + (applied.isEmpty ? " (already up to date)" : " (applied \(Render.count(applied.count, "migration")))")),
                    ("secret", source + (run.createdSecret != nil ? " (created)" : "")),
                ]))
            return 0
        }
    }
}
