import Foundation
import GovernanceCore
import GovernanceFuzz
import GovernanceTestSupport
import Testing

/// Every input a fuzz target once broke on (Tests/Fixtures/fuzz-regressions/TARGET/) and every
/// seed of its corpus (fuzz/corpus/TARGET/), fed to the same entry point `make fuzz` runs.
@Suite struct FuzzRegressionTests {
    static let root = packageRoot()

    struct Input: CustomTestStringConvertible, Sendable {
        let target: String
        let path: String
        var testDescription: String { target + ": " + URL(fileURLWithPath: path).lastPathComponent }
    }

    static func inputs(under folder: String) -> [Input] {
        FuzzTargets.all.flatMap { target -> [Input] in
            let dir = root + "/" + folder + "/" + target.name
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { Input(target: target.name, path: dir + "/" + $0) }
        }
    }

    static let regressions = inputs(under: "Tests/Fixtures/fuzz-regressions")
    static let seeds = inputs(under: "fuzz/corpus")

    static func replay(_ input: Input) throws {
        let run = try #require(FuzzTargets.entryPoint(input.target), "no fuzz target \(input.target)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input.path)))
        do { try run(bytes) } catch { Issue.record("\(input.testDescription): \(error)") }
    }

    @Test(arguments: regressions) func pastFindStaysFixed(_ input: Input) throws { try Self.replay(input) }

    @Test(arguments: seeds) func seedKeepsItsProperty(_ input: Input) throws { try Self.replay(input) }

    /// Each target has a corpus, and every folder names a target.
    @Test func everyTargetHasSeedsAndEveryFolderATarget() throws {
        let names = Set(FuzzTargets.all.map(\.name))
        for folder in ["fuzz/corpus", "Tests/Fixtures/fuzz-regressions"] {
            let found = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.root + "/" + folder)) ?? []).filter { !$0.hasPrefix(".") }
            #expect(found.isSubset(of: names), "\(folder): \(found.subtracting(names))")
        }
        for name in names { #expect(Self.seeds.contains { $0.target == name }, "no seeds for \(name)") }
    }

    /// The JSON target's canonical writer agrees with the chain vectors (an independent RFC 8785
    /// implementation): each vector's metadata, as typed, becomes the bytes inside its record.
    @Test(arguments: ChainVectorTests.vectorFiles)
    func jsonTargetAgreesWithTheChainVectors(path: String) throws {
        for record in try ChainVectorTests.load(path).records {
            let canonical = try FuzzTargets.canonical(Array(record.metadata_json.utf8))
            #expect(record.canonical_utf8.contains("\"metadata\":" + canonical + ",\"model\":"), "seq \(record.seq)")
            try FuzzTargets.json(Array(record.metadata_json.utf8))
        }
    }
}
