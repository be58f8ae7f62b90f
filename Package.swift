// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "governance",
    products: [
        .library(name: "GovernanceCore", targets: ["GovernanceCore"]),
        .executable(name: "governance", targets: ["governance"]),
        // The fuzz targets' entry points, for the package in fuzz/ (never linked into governance).
        .library(name: "GovernanceFuzz", targets: ["GovernanceFuzz"]),
    ],
    targets: [
        // System libraries, installed by `make deps` with apt-get. libpq's headers only: the
        // library is loaded on first use of a PostgreSQL URL (Store/LibPQ.swift).
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Policy and pricing files (YAML) through libyaml's event parser: small, C, no Foundation.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Ed25519 verification of operator signatures on every enforcement call: libcrypto's EVP
        // route sets up OpenSSL 3's provider name map first (3 million instructions a process).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        // How a governed step's first process starts (fork or clone3 into a cgroup, a parent-death
        // signal, a subreaper): calls that must run between fork and exec, which Swift cannot make.
        .target(name: "CSpawn", path: "Sources/CSpawn"),
        // The shared core: no printing, no exit(), no argv.
        .target(name: "GovernanceCore", dependencies: ["CLibPQ", "CSQLite", "COpenSSL", "CYAML", "CSpawn", "CSodium"]),
        // argv -> command -> core call -> rendered output + exit code. Never writes SQL.
        .target(name: "GovernanceCLI", dependencies: ["GovernanceCore"]),
        .executableTarget(name: "governance", dependencies: ["GovernanceCLI"]),
        // `make bench`: each figure beside a baseline measured in the same run.
        .executableTarget(name: "governance-bench", dependencies: ["GovernanceCore"], path: "Sources/GovernanceBench"),
        // `make generate`: completions, man pages and the exit-code table from the command table.
        .executableTarget(name: "governance-docs", dependencies: ["GovernanceCLI"], path: "Sources/GovernanceDocs"),

        // What each fuzz target checks (fuzz/, `make fuzz`); the tests replay seeds and past finds.
        .target(name: "GovernanceFuzz", dependencies: ["GovernanceCore"]),

        // Test helpers shared by the three test targets: real databases, never mocks.
        .target(name: "GovernanceTestSupport", dependencies: ["GovernanceCore"], path: "Tests/Support"),
        .testTarget(name: "GovernanceCoreTests", dependencies: ["GovernanceCore", "GovernanceFuzz", "GovernanceTestSupport"]),
        .testTarget(name: "GovernanceCLITests", dependencies: ["GovernanceCLI", "GovernanceCore", "GovernanceTestSupport"]),
        // A governed step through the Swift API in a process of its own, for the end-to-end tests.
        .executableTarget(name: "governance-sdk-probe", dependencies: ["GovernanceCore"], path: "Tests/SDKProbe"),
        .testTarget(name: "EndToEndTests", dependencies: ["GovernanceCore", "GovernanceTestSupport", "governance", "governance-sdk-probe"]),
    ],
    swiftLanguageModes: [.v6]
)
