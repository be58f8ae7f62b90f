import GovernanceCore

enum DB {
    static let group = GroupSpec("db", "Create, migrate and inspect the store",
                                 doc: "The store is SQLite (embedded default) or PostgreSQL (shared). Its schema is versioned; `db migrate` applies what is missing and is safe to run again.",
                                 commands: [Migrate.command, Status.command, Roles.command, Check.command])

    static func migrationsJSON(_ applied: [Migration]) -> JSONValue {
        .array(applied.map { .object([("version", .int($0.version)), ("name", .string($0.name))]) })
    }
}
