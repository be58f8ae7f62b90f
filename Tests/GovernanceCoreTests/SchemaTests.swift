import GovernanceCore
import GovernanceTestSupport
import Testing

/// The `?` to `$n` rewrite sees placeholders only where PostgreSQL would.
@Suite struct PostgresPlaceholderTests {
    @Test(arguments: [
        ("SELECT ?, ?", "SELECT $1, $2"),
        ("SELECT '?' , ?", "SELECT '?' , $1"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
        (#"SELECT E'\'?', ?"#, #"SELECT E'\'?', $1"#),
        (#"SELECT "odd?name" FROM t WHERE a = ?"#, #"SELECT "odd?name" FROM t WHERE a = $1"#),
        ("SELECT 1 -- why? because\nWHERE a = ?", "SELECT 1 -- why? because\nWHERE a = $1"),
        ("SELECT /* a? /* nested? */ still? */ ?", "SELECT /* a? /* nested? */ still? */ $1"),
        ("SELECT $$ what? $$, $tag$ ? $tag$, ?", "SELECT $$ what? $$, $tag$ ? $tag$, $1"),
        ("SELECT a$b, ?", "SELECT a$b, $1"),
        ("SELECT 'unterminated ?", "SELECT 'unterminated ?"),
    ])
    func placeholders(sql: String, expected: String) {
        #expect(PostgresPlaceholders.translate(sql) == expected)
    }

    /// The rewritten statements run on a real server, with the `?` inside text left alone.
    @Test func rewrittenStatementsRunOnPostgreSQL() throws {
        let db = try TestDatabase.make(.postgres).rawConnection()
        let row = try #require(try db.queryFirst("SELECT '?' || ? || $$?$$ /* ? */ AS \"what?\"", [.text("x")]))
        #expect(try row.text(0) == "?x?")
    }
}

/// Every domain registers its own tables and migrations; the registry is the only list.
@Suite struct SchemaRegistryTests {
    @Test func versionsAreUniqueAndTablesPrefixed() {
        let versions = Migrations.all.map(\.version)
        #expect(Set(versions).count == versions.count, "two migrations share a version")
        #expect(versions == versions.sorted())
        for domain in SchemaRegistry.domains {
            for table in domain.tables { #expect(table.hasPrefix("governance_"), "\(domain.name): \(table)") }
        }
    }

    /// `db status` reports every registered table once the store is migrated, on both stores.
    @Test(arguments: Backend.allCases)
    func statusListsEveryDomainsTables(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let status = try StoreStatus.read(store.connection)
        let expected = SchemaRegistry.domains.flatMap(\.tables)
        #expect(status.tables.map(\.name) == expected)
        #expect(status.tables.allSatisfy { $0.rows == 0 }, "\(status.tables.map { ($0.name, $0.rows as Int64?) })")
        #expect(status.schemaVersion == Migrations.latestVersion)
    }
}

/// The audit record's field list is spelt once (`AuditRecord.storedFields`); everything that
/// writes or reads a record agrees with it.
@Suite struct AuditFieldListTests {
    @Test(arguments: Backend.allCases)
    func everyPlaceAgreesWithTheFieldList(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let keys = PurposeKeys(secret: Array(testSecret.utf8))
        let record = try AuditLog(db: store.connection, keys: keys).append(
            AuditEventInput(sessionID: try SessionID.random(), agentID: "a", kind: "k", model: "m",
                            inputHash: Digest.sha256Hex("i"), outputHash: Digest.sha256Hex("o"), metadata: .object([("x", .int(1))])))
        let names = AuditRecord.storedFields.map(\.json)
        #expect(record.json.objectMembers?.map(\.0) == names)
        #expect(try JSONParser.parse(record.jsonLine).objectMembers?.map(\.0) == names)
        // The table has exactly these columns, and db_user: the login that appended the row, which
        // the server stamps (PostgreSQL) and the chain does not cover.
        let row = try #require(try store.connection.queryFirst("SELECT * FROM governance_audit_events"))
        #expect(row.values.count == AuditRecord.storedFields.count + 1)
        let stamped = try store.connection.queryFirst("SELECT db_user FROM governance_audit_events")?.optionalText(0)
        #expect(stamped == (backend == .postgres ? "postgres" : nil))
        for column in AuditRecord.storedFields.map(\.column) {
            #expect(try store.connection.queryFirst("SELECT \(column) FROM governance_audit_events") != nil, "\(column)")
        }
        // What a caller chooses is what a batch line and the spool carry (plus text to hash).
        #expect(AuditRecord.chosenFields.isSubset(of: Set(names)))
        #expect(BatchInput.fields.subtracting(["input", "output"]) == AuditRecord.chosenFields.subtracting(["created_at"]))
    }
}
