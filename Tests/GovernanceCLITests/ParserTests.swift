import GovernanceCLI
import GovernanceTestSupport
import GovernanceCore
import Testing

@Suite struct ParserTests {
    let parser = ArgumentParser(table: .standard)

    @Test func flagFormsAndGlobalFlagsAnywhere() throws {
        let p = try parser.parse(["--json", "audit", "log", "--agent=a1", "-k", "tool.call", "-sX", "--quiet", "--database-url", "sqlite:/x"])
        #expect(p.command?.name == "audit log")
        #expect(p.values["agent"] == ["a1"])
        #expect(p.values["kind"] == ["tool.call"])
        #expect(p.values["session"] == ["X"])
        #expect(p.values["database-url"] == ["sqlite:/x"])
        #expect(p.switches.isSuperset(of: ["json", "quiet"]))
    }

    @Test func combinedShortSwitches() throws {
        let p = try parser.parse(["audit", "verify", "-qv"])
        #expect(p.switches == ["quiet", "verbose"])
    }

    @Test func doubleDashEndsFlags() throws {
        let p = try parser.parse(["help", "--", "--json"])
        #expect(p.positionals == ["--json"])
        #expect(!p.switches.contains("json"))
    }

    @Test func lastValueWinsForSingleFlags() throws {
        let p = try parser.parse(["audit", "log", "--agent", "a", "--agent", "b"])
        #expect(p.values["agent"] == ["b"])
    }

    @Test func unknownFlagSuggestsTheClosest() {
        #expect {
            _ = try parser.parse(["audit", "log", "--agnet", "x"])
        } throws: { error in
            guard let e = error as? GovernanceError else { return false }
            return e.exitCode == 2 && e.message == "unknown flag --agnet" && e.recoveryHint == "did you mean --agent?"
        }
    }

    @Test func commandFlagBeforeTheCommandIsExplained() {
        #expect {
            _ = try parser.parse(["--agent", "x", "audit", "log"])
        } throws: { ($0 as? GovernanceError)?.message.contains("command flags go after the command") == true }
    }

    @Test func unknownCommandSuggestsTheClosest() {
        #expect {
            _ = try parser.parse(["audti", "log"])
        } throws: { ($0 as? GovernanceError)?.recoveryHint == "did you mean `governance audit`?" }
        #expect {
            _ = try parser.parse(["audit", "verfy"])
        } throws: { ($0 as? GovernanceError)?.recoveryHint == "did you mean `governance audit verify`?" }
    }

    @Test func missingValueAndBadChoiceAreUsageErrors() {
        #expect { _ = try parser.parse(["audit", "log", "--agent"]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
        #expect { _ = try parser.parse(["audit", "verify", "--json=yes"]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
    }

    /// Values are checked by their definition before any command runs, with one error style.
    @Test func typedValuesAreCheckedBeforeTheCommandRuns() throws {
        let env = try freshEnvironment()
        let cases: [([String], String)] = [
            (["compliance", "report", "--kind", "summary", "--format", "yaml"], "choose one of: text, json, markdown, html"),
            (["audit", "events", "--limit", "0"], "--limit must be a whole number of at least 1 (got \"0\")"),
            (["audit", "events", "--limit", "ten"], "--limit must be a whole number"),
            (["audit", "events", "--since", "last-tuesday"], "--since must be an RFC 3339 time"),
            (["audit", "verify", "--from-seq", "3"], "--from-seq needs --session"),
            (["audit", "log", "--batch", "--metadata", "{}"], "give --metadata or --batch, not both"),
            (["audit", "trace"], "missing --session (or GOVERNANCE_SESSION_ID)"),
            (["audit", "export", "--session", "x\u{1b}]0;pwned\u{07}"], "x\\\\u001b]0;pwned\\\\u0007"),
        ]
        for (arguments, message) in cases {
            let result = runCLI(arguments, env: env)
            #expect(result.code == 2, "\(arguments)")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(!result.err.contains("\u{1b}"), "a control character reached the terminal")
        }
        #expect(try storedEventCount(env) == 0)
    }

    /// Only the flags that name where an event is written fall back to the environment; a filter
    /// never narrows itself from it (so `audit verify` still checks every chain).
    @Test func environmentFallbackIsDeclaredNotDecidedPerHandler() throws {
        var env = try freshEnvironment()
        let first = try SessionID.random().value, second = try SessionID.random().value
        for session in [first, second] {
            #expect(runCLI(["audit", "log", "-a", "a", "-k", "k", "-s", session], env: env).code == 0)
        }
        env["GOVERNANCE_SESSION_ID"] = first
        env["GOVERNANCE_AGENT_ID"] = "from-env"
        #expect(runCLI(["audit", "log", "-k", "k"], env: env).code == 0)
        let verify = try JSONParser.parse(runCLI(["--json", "audit", "verify"], env: env).out)
        #expect(verify["sessions"] == .int(2))
        #expect(runCLI(["--json", "audit", "events"], env: env).out.split(separator: "\n").count == 3)
        #expect(runCLI(["--json", "audit", "export"], env: env).out.split(separator: "\n").count == 3)
        let trace = try JSONParser.parse(runCLI(["--json", "audit", "trace"], env: env).out)
        #expect(trace["session_id"] == .string(first))
    }

    @Test func everyFlagNameIsUniquePerCommand() {
        for command in CommandTable.standard.commands {
            let names = (command.flags + GlobalFlags.all).map(\.name)
            #expect(Set(names).count == names.count, "\(command.name)")
            let shorts = (command.flags + GlobalFlags.all).compactMap(\.short)
            #expect(Set(shorts).count == shorts.count, "\(command.name)")
            #expect(!shorts.contains("h"), "-h is help")
        }
    }

    @Test func suggestionDistance() {
        #expect(Suggest.distance("verfiy", "verify") == 1)
        #expect(Suggest.distance("log", "log") == 0)
        #expect(Suggest.closest(to: "zzzzzz", in: ["log", "verify"]) == nil)
    }
}
