import GovernanceCLI
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
        #expect { _ = try parser.parse(["--format", "yaml", "audit", "verify"]) } throws: {
            ($0 as? GovernanceError)?.recoveryHint == "choose one of: text, json"
        }
        #expect { _ = try parser.parse(["audit", "verify", "--json=yes"]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
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
