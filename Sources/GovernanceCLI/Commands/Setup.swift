import GovernanceCore

/// `init`, `db migrate`, `db status`, `secret generate`, `session new`.
enum SetupCommands {
    static let all = [initialize, dbMigrate, dbStatus, secretGenerate, sessionNew]

    static let initialize = CommandSpec(
        ["init"], "Prepare the store and the audit secret",
        doc: "Creates $GOVERNANCE_HOME, the embedded store and (when no secret is configured) a random audit secret in $GOVERNANCE_HOME/audit.secret with mode 0600, or applies the schema to a PostgreSQL store, whose secret must be configured. Safe to run again: it changes nothing that is already in place.",
        examples: ["governance init", "GOVERNANCE_AUDIT_SECRET_FILE=/etc/governance/secret governance init --database-url postgres://gov@db/governance"]
    ) { inv in
        let config = try inv.configuration()
        let env = inv.environment
        let (secret, created) = try config.loadSecret(environment: { env($0) })
        if let created { inv.console.errorLine("governance: created a new audit secret at \(created) (mode 0600)") }
        let store = try Store.open(config, migration: .asIs)
        let applied = try Migrations.migrate(store.connection)
        let version = try Migrations.currentVersion(store.connection)
        inv.emit(
            json: .object([
                ("store", .string(config.redactedStoreDescription)),
                ("home", .string(config.home)),
                ("schema_version", .int(version)),
                ("migrations_applied", migrationsJSON(applied)),
                ("secret_source", .string(secret.source)),
                ("secret_created", .bool(created != nil)),
            ]),
            text: Render.fields([
                ("store", config.redactedStoreDescription),
                ("schema", "version \(version)" + (applied.isEmpty ? " (already up to date)" : " (applied \(applied.count) migration\(applied.count == 1 ? "" : "s"))")),
                ("secret", secret.source + (created != nil ? " (created)" : "")),
            ]))
        return 0
    }

    static func migrationsJSON(_ applied: [Migration]) -> JSONValue {
        .array(applied.map { .object([("version", .int($0.version)), ("name", .string($0.name))]) })
    }

    static let dbMigrate = CommandSpec(
        ["db", "migrate"], "Apply pending schema migrations",
        doc: "Applies each missing migration once, in order, in one transaction under a lock, so it is safe to run from several hosts at once and to run again. Needs no audit secret."
    ) { inv in
        let config = try inv.configuration()
        let store = try Store.open(config, migration: .asIs)
        let applied = try Migrations.migrate(store.connection)
        let version = try Migrations.currentVersion(store.connection)
        inv.emit(
            json: .object([
                ("store", .string(config.redactedStoreDescription)),
                ("schema_version", .int(version)),
                ("migrations_applied", migrationsJSON(applied)),
            ]),
            text: applied.isEmpty ? "schema is up to date (version \(version))"
                : applied.map { "applied migration \($0.version): \($0.name)" }.joined(separator: "\n") + "\nschema is at version \(version)")
        return 0
    }

    static let dbStatus = CommandSpec(
        ["db", "status"], "Show the store, its schema version and what it holds",
        doc: "Prints which store is in use (passwords hidden), the schema version against the one this governance needs, and how many sessions and events are stored. Exits 3 when migrations are pending."
    ) { inv in
        let config = try inv.configuration()
        let store = try Store.open(config, access: .read, migration: .asIs)
        let status = try StoreStatus.read(store.connection)
        let pending = Migrations.latestVersion - status.schemaVersion
        inv.emit(
            json: .object([
                ("store", .string(config.redactedStoreDescription)),
                ("backend", .string(store.connection.dialect.rawValue)),
                ("schema_version", .int(status.schemaVersion)),
                ("latest_schema_version", .int(Migrations.latestVersion)),
                ("pending_migrations", .int(max(0, pending))),
                ("sessions", status.sessions.map { .int64($0) } ?? .null),
                ("events", status.events.map { .int64($0) } ?? .null),
            ]),
            text: Render.fields([
                ("store", config.redactedStoreDescription),
                ("schema", "version \(status.schemaVersion) of \(Migrations.latestVersion)" + (pending > 0 ? " (\(pending) pending: run `governance db migrate`)" : "")),
                ("sessions", status.sessions.map { Render.grouped(Int($0)) } ?? "-"),
                ("events", status.events.map { Render.grouped(Int($0)) } ?? "-"),
            ]))
        return pending > 0 ? GovernanceError.Kind.configuration.exitCode : 0
    }

    static let secretGenerate = CommandSpec(
        ["secret", "generate"], "Print a new random audit secret (or write it to a file)",
        doc: "Makes 32 random bytes from the system's cryptographic generator and writes them as 64 hexadecimal characters. With --output the secret goes to a new file with mode 0600 and nothing is printed; that file can be given as GOVERNANCE_AUDIT_SECRET_FILE. Use the same secret on every host that shares a store.",
        flags: [FlagSpec("output", short: "o", value: "FILE", "Write to a new file (mode 0600) instead of stdout", completion: .file)],
        examples: ["governance secret generate --output /etc/governance/audit.secret"]
    ) { inv in
        let secret = try AuditSecret.generate()
        if let path = inv.value("output") {
            guard try FileSystem.createExclusive(path, contents: secret + "\n", mode: 0o600) else {
                throw GovernanceError.usage("\(path) already exists; nothing was written", hint: "choose a new path or remove the old file first")
            }
            inv.emit(json: .object([("path", .string(path))]), text: "wrote a new audit secret to \(path) (mode 0600)")
        } else {
            inv.emit(json: .object([("secret", .string(secret))]), text: secret)
        }
        return 0
    }

    static let sessionNew = CommandSpec(
        ["session", "new"], "Print a fresh session id (a random UUID)",
        doc: "Nothing is stored: a session's chain begins with its first event.",
        examples: ["export GOVERNANCE_SESSION_ID=$(governance session new)"]
    ) { inv in
        let id = try SessionID.random()
        inv.emit(json: .object([("session_id", .string(id.value))]), text: id.value)
        return 0
    }
}
