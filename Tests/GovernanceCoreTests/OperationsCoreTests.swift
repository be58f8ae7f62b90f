import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Operations in the core: how stores are opened, secrets read, passwords masked, the spool keyed
/// and the trail followed.
@Suite struct OperationsCoreTests {
    // MARK: store access

    @Test func aReaderNeverCreatesASQLiteStore() throws {
        let dir = try makeTemporaryDirectory()
        let config = Configuration(store: .sqlite(path: dir + "/typo.db"), home: dir)
        #expect { _ = try Store.open(config, access: .read) } throws: { error in
            let e = error as? GovernanceError
            return e?.exitCode == 3 && e?.message.contains(dir + "/typo.db") == true && e?.recoveryHint?.contains("governance init") == true
        }
        #expect(!FileSystem.exists(dir + "/typo.db"))
        // The embedded default's home is not made either.
        let home = dir + "/home"
        let embedded = Configuration(store: .sqlite(path: home + "/governance.db"), home: home, usesEmbeddedDefault: true)
        #expect(throws: GovernanceError.self) { _ = try Store.open(embedded, access: .read) }
        #expect(!FileSystem.exists(home))
    }

    @Test(arguments: Backend.allCases)
    func aReaderReportsASchemaBehindAndChangesNothing(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        try db.rawConnection().executeScript("CREATE TABLE unrelated (x INTEGER)")
        let config = Configuration(store: try db.location, home: db.directory)
        #expect { _ = try Store.open(config, access: .read) } throws: { error in
            (error as? GovernanceError).map { $0.exitCode == 3 && $0.recoveryHint?.contains("governance db migrate") == true } ?? false
        }
        #expect(try Migrations.currentVersion(db.rawConnection()) == 0)
        // Open as is (db status) it reads the version without migrating.
        #expect(try StoreStatus.read(Store.open(config, access: .read, migration: .asIs).connection).schemaVersion == 0)
    }

    @Test func aWriterCreatesTheSQLiteStoreOwnerOnly() throws {
        let dir = try makeTemporaryDirectory()
        // Under the usual umask 022 SQLite alone would make the file 0644.
        let store = try Store.open(Configuration(store: .sqlite(path: dir + "/new.db"), home: dir), access: .write)
        #expect(FileSystem.permissions(dir + "/new.db") == 0o600)
        #expect(try Migrations.currentVersion(store.connection) == Migrations.latestVersion)
        #expect(!store.fileWasReplaced)
        try FileManager.default.moveItem(atPath: dir + "/new.db", toPath: dir + "/moved.db")
        #expect(store.fileWasReplaced)
    }

    // MARK: the secret file

    static func secretFile(_ content: [UInt8], mode: mode_t = 0o600) throws -> String {
        let path = try makeTemporaryDirectory() + "/secret"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        chmod(path, mode)
        return path
    }

    @Test func oneLineEndingIsDroppedFromASecretFile() throws {
        let keys = testKeys.chainKey
        for ending in ["", "\n", "\r\n"] {
            let secret = try AuditSecret.load(file: try Self.secretFile(Array((testSecret + ending).utf8)))
            #expect(secret.keys.chainKey == keys, "ending \(Array(ending.utf8))")
        }
        // Only one: a second newline is part of the value, so the key differs.
        let twice = try AuditSecret.load(file: try Self.secretFile(Array((testSecret + "\n\n").utf8)))
        #expect(twice.keys.chainKey != keys)
    }

    @Test func onlyASmallPrivateRegularFileIsReadAsASecret() throws {
        let dir = try makeTemporaryDirectory()
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect { _ = try AuditSecret.load(file: dir + "/fifo") } throws: {
            ($0 as? GovernanceError).map { $0.exitCode == 3 && $0.message.contains("not a regular file") } ?? false
        }
        #expect(throws: GovernanceError.self) { _ = try AuditSecret.load(file: dir) }
        let large = try Self.secretFile(Array(repeating: UInt8(ascii: "a"), count: AuditSecret.maximumFileBytes + 1))
        #expect { _ = try AuditSecret.load(file: large) } throws: { ($0 as? GovernanceError)?.message.contains("larger than") == true }
        let loose = try Self.secretFile(Array(testSecret.utf8), mode: 0o660)
        #expect { _ = try AuditSecret.load(file: loose) } throws: { error in
            (error as? GovernanceError).map { $0.exitCode == 3 && $0.recoveryHint?.contains("chmod 600 \(loose)") == true } ?? false
        }
    }

    @Test func aHintQuotesAPathForTheShell() {
        #expect(FileSystem.shellQuoted("/etc/governance/audit.secret") == "/etc/governance/audit.secret")
        #expect(FileSystem.shellQuoted("/tmp/my secret") == "'/tmp/my secret'")
        #expect(FileSystem.shellQuoted("/tmp/it's") == "'/tmp/it'\\''s'")
        #expect(FileSystem.shellQuoted("/tmp/$(rm -rf ~)") == "'/tmp/$(rm -rf ~)'")
    }

    // MARK: passwords

    @Test func everyPasswordFormIsRedacted() {
        let cases: [(String, String)] = [
            ("postgres://alice:s3cret@db.example/audit", "postgres://alice:***@db.example/audit"),
            ("postgresql://alice:p@ss@db/audit?sslmode=require", "postgresql://alice:***@db/audit?sslmode=require"),
            ("postgresql:///audit?host=/run/pg&password=s3cret&user=bob", "postgresql:///audit?host=/run/pg&password=***&user=bob"),
            ("postgresql:///audit?PASSWORD=s3cret&sslpassword=k3y", "postgresql:///audit?PASSWORD=***&sslpassword=***"),
            ("postgresql:///audit?pass%77ord=s3cret", "postgresql:///audit?pass%77ord=***"),
            ("host=/run/pg dbname=audit password=s3cret", "host=/run/pg dbname=audit password=***"),
            ("host=/run/pg password = 'it\\'s s3cret' dbname=audit", "host=/run/pg password = *** dbname=audit"),
            ("host=/run/pg password='unterminated s3cret", "host=/run/pg password=***"),
        ]
        for (url, expected) in cases {
            #expect(Configuration.redactPassword(url) == expected)
            #expect(!Configuration.redactPassword(url).contains("s3cret"))
        }
        // Whatever libpq echoes of the URL is masked too.
        let url = "postgresql://alice:s3cret-pw@db/audit"
        let echoed = "could not translate host name \"s3cret-pw@db\" to address; URL was \(url)"
        #expect(!Configuration.redact(echoed, url: url).contains("s3cret"))
    }

    @Test func aConninfoStringIsAPostgresStoreNotAPath() throws {
        #expect(try Configuration.parseStoreURL("host=/run/pg dbname=audit") == .postgres(url: "host=/run/pg dbname=audit"))
        #expect(try Configuration.parseStoreURL("/data/a=b.db") == .sqlite(path: "/data/a=b.db"))
        #expect(try Configuration.parseStoreURL("a=b.db") == .sqlite(path: "a=b.db"))
    }

    @Test func theSpoolKeyIsTheStoreWithoutItsPassword() {
        func identity(_ url: String) -> String { Configuration.storeIdentity(.postgres(url: url)) }
        let base = identity("postgresql://alice:old@db:5432/audit?sslmode=require&options=-csearch_path%3Dx")
        #expect(identity("postgres://alice:rotated@db:5432/audit?options=-csearch_path%3Dx&sslmode=require") == base)
        #expect(identity("postgresql://alice@db:5432/audit?sslmode=require&options=-csearch_path%3Dx&password=third") == base)
        #expect(!base.contains("old"))
        for other in ["postgresql://bob:old@db:5432/audit?sslmode=require&options=-csearch_path%3Dx",
                      "postgresql://alice:old@db:5433/audit?sslmode=require&options=-csearch_path%3Dx",
                      "postgresql://alice:old@db:5432/other?sslmode=require&options=-csearch_path%3Dx",
                      "postgresql://alice:old@db:5432/audit?sslmode=require&options=-csearch_path%3Dy"] {
            #expect(identity(other) != base, "\(other)")
        }
        #expect(identity("host=db dbname=audit password=a") == identity("dbname=audit host=db password=b"))
        #expect(identity("host=db dbname=audit") != identity("host=db dbname=other"))
        #expect(Configuration.storeIdentity(.sqlite(path: "/a/governance.db")) == "sqlite:/a/governance.db")
    }

    // MARK: following

    @Test(arguments: Backend.allCases)
    func followingPrintsTheNewestNThenEachNewEventOnce(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        for i in 1...28 { _ = try log.append(AuditEventInput(sessionID: session, agentID: "a", kind: "old-\(i)")) }
        var tail = AuditTail(store: try db.open(), filter: AuditFilter()) { try db.open() }
        var printed: [String] = []
        try tail.backlog(2) { printed.append($0.kind) }
        #expect(printed == ["old-27", "old-28"])
        _ = try log.append(AuditEventInput(sessionID: session, agentID: "a", kind: "new-1"))
        var notices: [AuditTail.Notice] = []
        for _ in 0..<100 where printed.count < 3 {
            try tail.poll(timeout: 0.2, notice: { notices.append($0) }) { printed.append($0.kind) }
        }
        #expect(try tail.poll(timeout: 0.1, notice: { notices.append($0) }, { printed.append($0.kind) }) == 0)
        #expect(printed == ["old-27", "old-28", "new-1"])
        #expect(notices.isEmpty)
    }
}
