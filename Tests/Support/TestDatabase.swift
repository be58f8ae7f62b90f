import Foundation
import GovernanceCore

/// The two stores every store-level test runs against.
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh, private database for one test: its own SQLite file, or its own PostgreSQL schema in the
/// throwaway cluster that `make test` starts. Without that cluster the PostgreSQL tests fail.
public struct TestDatabase: Sendable {
    public let backend: Backend
    /// A URL the CLI accepts (`sqlite:PATH` or `postgresql://...` with the schema on search_path).
    public let url: String
    public let directory: String

    public var location: Configuration.StoreLocation {
        get throws { try Configuration.parseStoreURL(url) }
    }

    public static func make(_ backend: Backend) throws -> TestDatabase {
        let directory = try makeTemporaryDirectory()
        switch backend {
        case .sqlite:
            return TestDatabase(backend: .sqlite, url: "sqlite:\(directory)/governance.db", directory: directory)
        case .postgres:
            let base = try postgresURL()
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let admin = try PostgresConnection(url: base)
            try admin.executeScript("CREATE SCHEMA \(schema)")
            let separator = base.contains("?") ? "&" : "?"
            return TestDatabase(backend: .postgres, url: base + separator + "options=-csearch_path%3D\(schema)", directory: directory)
        }
    }

    /// The throwaway cluster's URL; a loud failure when it is missing.
    public static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["GOVERNANCE_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw TestSetupError("GOVERNANCE_TEST_POSTGRES_URL is not set: the PostgreSQL tests need the throwaway server that `make test` starts")
        }
        return url
    }

    /// A migrated store.
    public func open() throws -> Store {
        try Store(location: try location, migration: .automatic)
    }

    /// A raw connection, for tampering as an attacker with database access would.
    public func rawConnection() throws -> SQLConnection {
        switch try location {
        case .sqlite(let path): return try SQLiteConnection(path: path)
        case .postgres(let url): return try PostgresConnection(url: url)
        }
    }
}

/// A new, empty folder. Every folder of one test process lives under one root, removed when the
/// process exits, so that test runs leave nothing behind in the temporary folder.
public func makeTemporaryDirectory() throws -> String {
    let path = TemporaryRoot.path + "/" + UUID().uuidString.lowercased()
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private enum TemporaryRoot {
    static let path: String = {
        let root = NSTemporaryDirectory() + "governance-test-\(getpid())-" + UUID().uuidString.prefix(8).lowercased()
        atexit { TemporaryRoot.remove() }
        return root
    }()

    static func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The secret the tests use (strong enough to pass the checks).
public let testSecret = "test-secret-6d1f0b9a2c4e7385-governance-suite"
public let testKeys = PurposeKeys(secret: Array(testSecret.utf8))

/// The package's root folder, found from this file's path.
public func packageRoot(_ file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        url.deleteLastPathComponent()
    }
    return FileManager.default.currentDirectoryPath
}
