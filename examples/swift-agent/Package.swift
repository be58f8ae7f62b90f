// swift-tools-version:6.0
// A Swift agent governed in-process: `swift run --scratch-path .build-swift-agent swift-agent`
// (`make test` builds and runs it).
import PackageDescription

let package = Package(
    name: "swift-agent",
    dependencies: [.package(name: "governance", path: "../..")],
    targets: [
        .executableTarget(name: "swift-agent", dependencies: [.product(name: "GovernanceCore", package: "governance")]),
    ],
    swiftLanguageModes: [.v6]
)
