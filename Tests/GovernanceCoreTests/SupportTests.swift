import GovernanceCore
import GovernanceTestSupport
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-26T04:15:45.123456Z", 1_795_666_545_123_456 as Int64),
        ("1970-01-01T00:00:00.000000Z", 0),
        ("1969-12-31T23:59:59.999999Z", -1),
        ("2000-02-29T12:00:00.000001Z", 951_825_600_000_001),
    ])
    func formatsAndParses(text: String, micros: Int64) throws {
        #expect(Timestamp(microseconds: micros).iso8601 == text)
        #expect(Timestamp(parsing: text)?.microseconds == micros)
    }

    @Test func parsesOffsetsDatesAndShortFractions() {
        #expect(Timestamp(parsing: "2026-11-26T05:15:45.5+01:00")?.iso8601 == "2026-11-26T04:15:45.500000Z")
        #expect(Timestamp(parsing: "2026-11-26")?.iso8601 == "2026-11-26T00:00:00.000000Z")
        #expect(Timestamp(parsing: "2026-11-26T04:15:45Z")?.iso8601 == "2026-11-26T04:15:45.000000Z")
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "2026-11-26T25:00:00Z", "2026-11-26T04:15:45.1234567Z",
                      "2026-11-26T04:15:45", "yesterday", "2026-11-26T04:15:45Zjunk"])
    func rejectsInvalidTimes(text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }
}

@Suite struct SessionIDTests {
    @Test func normalisesCaseAndRejectsOtherForms() throws {
        #expect(SessionID("5F0C6E2A-9B1D-4C8E-A7F3-2D6B8E4C1A90")?.value == "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90")
        #expect(SessionID("5f0c6e2a9b1d4c8ea7f32d6b8e4c1a90") == nil)
        #expect(SessionID("5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a9g") == nil)
        #expect(throws: GovernanceError.self) { try SessionID.parse("not-a-uuid") }
    }

    @Test func randomIdsAreVersion4AndDistinct() throws {
        let ids = try (0..<100).map { _ in try SessionID.random().value }
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(SessionID(id) != nil)
            #expect(Array(id)[14] == "4")
            #expect("89ab".contains(Array(id)[19]))
        }
    }
}

@Suite struct SecretTests {
    @Test(arguments: [
        ("short-secret", "too weak"),
        (String(repeating: "ab", count: 20), "distinct"),
        ("please-changeme-0123456789-abcdefghijk", "placeholder"),
        ("your-secret-here-1234567890-qwertyuiop", "placeholder"),
        ("", "empty"),
    ])
    func rejectsWeakSecrets(value: String, message: String) {
        #expect {
            _ = try AuditSecret(value: value, source: "test")
        } throws: { error in
            (error as? GovernanceError).map { $0.exitCode == 3 && $0.message.contains(message) && $0.recoveryHint?.contains("secret generate") == true } ?? false
        }
    }

    @Test func generatedSecretsAreStrongAndDistinct() throws {
        let a = try AuditSecret.generate(), b = try AuditSecret.generate()
        #expect(a != b)
        #expect(a.count == 64)
        _ = try AuditSecret(value: a, source: "generated")
    }

    @Test func fileLosesOneTrailingNewline() throws {
        let dir = try makeTemporaryDirectory()
        _ = try FileSystem.createExclusive(dir + "/s", contents: testSecret + "\n", mode: 0o600)
        let fromFile = try AuditSecret.load(file: dir + "/s")
        #expect(Hex.encode(fromFile.keys.chainKey) == Hex.encode(testKeys.chainKey))
        _ = try FileSystem.createExclusive(dir + "/t", contents: testSecret + "\n\n", mode: 0o600)
        #expect(Hex.encode(try AuditSecret.load(file: dir + "/t").keys.chainKey) != Hex.encode(testKeys.chainKey))
    }

    @Test func embeddedDefaultCreatesA0600SecretOnce() throws {
        let home = try makeTemporaryDirectory() + "/home"
        let env: (String) -> String? = { $0 == "GOVERNANCE_HOME" ? home : nil }
        let config = try Configuration.resolve(environment: env)
        #expect(config.usesEmbeddedDefault)
        let first = try config.loadSecret(environment: env)
        #expect(first.created == home + "/audit.secret")
        #expect(FileSystem.permissions(home + "/audit.secret") == 0o600)
        let second = try config.loadSecret(environment: env)
        #expect(second.created == nil)
        #expect(Hex.encode(first.secret.keys.chainKey) == Hex.encode(second.secret.keys.chainKey))
    }

    @Test func postgresWithoutSecretIsAConfigurationError() throws {
        let config = try Configuration.resolve(databaseURL: "postgres://db/governance", environment: { _ in nil })
        #expect {
            _ = try config.loadSecret(environment: { _ in nil })
        } throws: { ($0 as? GovernanceError)?.exitCode == 3 }
    }

    @Test func precedenceIsFlagThenValueThenFile() throws {
        let dir = try makeTemporaryDirectory()
        let other = "another-secret-91b2c3d4e5f60718-for-tests"
        _ = try FileSystem.createExclusive(dir + "/flag", contents: other, mode: 0o600)
        let env: (String) -> String? = { ["GOVERNANCE_AUDIT_SECRET": testSecret, "GOVERNANCE_HOME": dir][$0] }
        let viaFlag = try Configuration.resolve(secretFile: dir + "/flag", environment: env).loadSecret(environment: env)
        #expect(viaFlag.secret.source == dir + "/flag")
        let viaValue = try Configuration.resolve(environment: env).loadSecret(environment: env)
        #expect(viaValue.secret.source == "GOVERNANCE_AUDIT_SECRET")
    }
}

@Suite struct ConfigurationTests {
    @Test func storeURLs() throws {
        #expect(try Configuration.parseStoreURL("postgres://u:p@h/db") == .postgres(url: "postgres://u:p@h/db"))
        #expect(try Configuration.parseStoreURL("postgresql:///db?host=/tmp") == .postgres(url: "postgresql:///db?host=/tmp"))
        #expect(try Configuration.parseStoreURL("sqlite:/tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(try Configuration.parseStoreURL("sqlite:///tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(try Configuration.parseStoreURL("./x.db") == .sqlite(path: "./x.db"))
        #expect(throws: GovernanceError.self) { try Configuration.parseStoreURL("mysql://h/db") }
        #expect(throws: GovernanceError.self) { try Configuration.parseStoreURL("sqlite:") }
    }

    @Test func resolutionOrder() throws {
        let env: (String) -> String? = { ["GOVERNANCE_DATABASE_URL": "sqlite:/env.db", "HOME": "/home/u"][$0] }
        #expect(try Configuration.resolve(databaseURL: "sqlite:/flag.db", environment: env).store == .sqlite(path: "/flag.db"))
        #expect(try Configuration.resolve(environment: env).store == .sqlite(path: "/env.db"))
        let bare = try Configuration.resolve(environment: { ["HOME": "/home/u"][$0] })
        #expect(bare.store == .sqlite(path: "/home/u/.local/state/governance/governance.db"))
        let xdg = try Configuration.resolve(environment: { ["HOME": "/home/u", "XDG_STATE_HOME": "/state"][$0] })
        #expect(xdg.home == "/state/governance")
    }

    @Test func passwordsAreRedacted() throws {
        let config = try Configuration.resolve(databaseURL: "postgres://gov:hunter2@db:5432/g", environment: { _ in nil })
        #expect(config.redactedStoreDescription == "postgres://gov:***@db:5432/g")
    }
}
