import Foundation
import GovernanceCLI
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The completion scripts offer every enum-valued flag's values, per command, and ask the binary
/// (`governance complete KIND`) for agents, sessions and pending requests.
@Suite struct CompletionTests {
    /// A stand-in for the binary, answering `complete KIND` as the store would.
    static func stub() throws -> String {
        let path = try makeTemporaryDirectory() + "/governance"
        try """
        #!/bin/sh
        [ "$1" = complete ] || exit 2
        case "$2" in
          agents) printf 'alpha\\nbeta\\npolicy-only\\n' ;;
          sessions) printf '0b6a4b2e-0c1d-4c1e-9f1a-000000000001\\n' ;;
          requests) printf '7d2c6f5e-1111-4a2b-8c3d-000000000002\\n' ;;
        esac

        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o755) == 0)
        return path
    }

    static func complete(_ lines: [String]) throws -> String {
        let binary = try stub()
        let script = Completions.bash(.standard) + lines.map { words in
            "COMP_WORDS=(\(binary) \(words)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _governance; echo \"${COMPREPLY[*]}\""
        }.joined(separator: "\n")
        return try runProcess("/bin/bash", ["-c", script], environment: ["PATH": "/usr/bin:/bin"]).stdout
    }

    @Test func bashOffersEachCommandsEnumValues() throws {
        let out = try Self.complete([
            "compliance report --kind ''",
            "audit log --kind ''",
            "compliance report --fail-on p",
            "compliance report --format h",
            "policy apply --dry-run -f nowhere-at-all",
        ])
        #expect(out == "article12 summary\n\npartial\nhtml\n\n", "\(out)")
    }

    @Test func bashAsksTheBinaryForAgentsSessionsAndRequests() throws {
        let out = try Self.complete([
            "policy show ''",
            "scope check --agent a",
            "audit verify --session ''",
            "gates grant ''",
            "gates grant --request ''",
            "gates show 7",
            "presence kill b",
        ])
        #expect(out == """
        alpha beta policy-only
        alpha
        0b6a4b2e-0c1d-4c1e-9f1a-000000000001
        7d2c6f5e-1111-4a2b-8c3d-000000000002
        7d2c6f5e-1111-4a2b-8c3d-000000000002
        7d2c6f5e-1111-4a2b-8c3d-000000000002
        beta

        """, "\(out)")
    }

    @Test func zshAndFishAskTheSameQueries() throws {
        let zsh = Completions.zsh(.standard)
        #expect(zsh.contains("'--kind[Which report]:KIND:(article12 summary)'"))
        #expect(zsh.contains("\"policy show\"*) _arguments -s $globals '*:AGENT:_governance_values agents'"))
        #expect(zsh.contains("'--session[") && zsh.contains(":UUID:_governance_values sessions'"))
        #expect(zsh.contains("'*:REQUEST:_governance_values requests'"))
        #expect(zsh.contains("values=(${(f)\"$(${words[1]} complete $1 2>/dev/null)\"})"))
        let fish = Completions.fish(.standard)
        #expect(fish.contains("complete -c governance -n '__fish_seen_subcommand_from gates; and __fish_seen_subcommand_from grant' -a '(governance complete requests 2>/dev/null)'"))
        #expect(fish.contains("-l kind -r -a 'article12 summary'"))
        #expect(fish.contains("-l session -s s -r -a '(governance complete sessions 2>/dev/null)'"))
        for script in [Completions.bash(.standard), zsh, fish] {
            #expect(!script.contains("presence list --names"), "the scripts ask `governance complete`")
        }
    }
}
