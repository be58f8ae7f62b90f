import Foundation
import GovernanceCLI
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The completion scripts offer every enum-valued flag's values, per command, and ask the binary
/// (`governance complete KIND`) for agents, sessions and pending requests.
@Suite struct CompletionTests {
    /// A stand-in for the binary, answering `complete KIND` as the store would: a shell function
    /// (a script written and run at once can fail with ETXTBSY while other tests fork).
    static let stub = """
        governance_stub() {
            [ "$1" = complete ] || return 2
            case "$2" in
              agents) printf 'alpha\\nbeta\\npolicy-only\\n' ;;
              sessions) printf '0b6a4b2e-0c1d-4c1e-9f1a-000000000001\\n' ;;
              requests) printf '7d2c6f5e-1111-4a2b-8c3d-000000000002\\n' ;;
            esac
        }

        """

    static func complete(_ lines: [String]) throws -> String {
        let script = Completions.bash(.standard) + stub + lines.map { words in
            "COMPREPLY=(); COMP_WORDS=(governance_stub \(words)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _governance; echo \"${COMPREPLY[*]}\""
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
            "policy show p",
            "scope check --agent a",
            "audit verify --session ''",
            "gates grant 7",
            "gates grant --request ''",
            "gates show 7",
            "presence kill b",
        ])
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("alpha beta policy-only --") == true, "the agents, then the command's flags: \(out)")
        #expect(lines.dropFirst().joined(separator: "\n") == """
        policy-only
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
