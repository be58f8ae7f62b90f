import Foundation
import GovernanceCLI

// `make generate`: writes every file generated from the command table into the checkout given as
// the argument: shell completions, one man page per group, and the exit-code table in
// docs/EXIT-CODES.md. The consistency tests compare the committed files with the same functions.

let root = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "."
let table = CommandTable.standard

func write(_ path: String, _ text: String) throws {
    try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
    print("generated \(path)")
}

do {
    for file in GeneratedFiles.all(table) { try write(file.path, file.contents) }
    let exitCodes = root + "/docs/EXIT-CODES.md"
    let current = try String(contentsOfFile: exitCodes, encoding: .utf8)
    try write("docs/EXIT-CODES.md", GeneratedFiles.replacingGeneratedSection(of: current, with: ExitCodeTable(table: table).markdown))
    // Man pages of groups that no longer exist would be installed by `make install`.
    let expected = Set(GeneratedFiles.all(table).map(\.path))
    for name in try FileManager.default.contentsOfDirectory(atPath: root + "/man") where !expected.contains("man/" + name) {
        try FileManager.default.removeItem(atPath: root + "/man/" + name)
        print("removed man/\(name)")
    }
} catch {
    FileHandle.standardError.write("governance-docs: \(error)\n".data(using: .utf8)!)
    exit(1)
}
