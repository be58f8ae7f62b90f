// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzz targets (libFuzzer, with AddressSanitizer), one executable per target,
// in a package of their own so that a normal build of governance never compiles them. Built
// and run by `make fuzz` (fuzz/run.sh): swift build -c release -Xswiftc -sanitize=fuzzer,address.
// What each target checks is GovernanceFuzz (Sources/GovernanceFuzz in the main package), which
// the tests also run over the seeds in corpus/ and the past finds in Tests/Fixtures/fuzz-regressions/.
let targets = ["json", "batch-line", "policy", "pricing", "response-usage", "gate-token", "api-url", "mcp-message"]

let package = Package(
    name: "governance-fuzz",
    dependencies: [.package(name: "governance", path: "..")],
    targets: targets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: [.product(name: "GovernanceFuzz", package: "governance")],
                          path: "Sources/fuzz-\(name)")
    },
    swiftLanguageModes: [.v6]
)
