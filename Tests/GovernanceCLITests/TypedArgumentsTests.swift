@testable import GovernanceCLI
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Flags and arguments are read by definition, and only by the command that declares them.
@Suite struct TypedArgumentsTests {
    let table = CommandTable.standard

    func resolve(_ arguments: [String], environment: [String: String] = [:]) throws -> Arguments {
        let parsed = try ArgumentParser(table: table).parse(arguments)
        let console = Console(out: { _ in }, err: { _ in }, stdin: { nil })
        return try FlagResolver(environment: { environment[$0] }, console: console).resolve(parsed, command: parsed.command!)
    }

    func isInternalError(_ error: any Error) -> Bool {
        (error as? GovernanceError)?.kind == .internalError && (error as? GovernanceError)?.exitCode == 1
    }

    /// `gates wait --timeout` and `exec --timeout` share a name and a type: reading the other
    /// command's definition must not answer with this command's value, nor with nil.
    @Test func readingAFlagTheCommandDoesNotDeclareThrows() throws {
        let args = try resolve(["exec", "-a", "billing-agent", "-t", "read", "--timeout", "5", "--", "true"])
        #expect(try args[Exec.timeout] == 5)
        #expect(throws: GovernanceError.self, performing: { try args[GatesCommands.Wait.timeout] })
        #expect(performing: { _ = try args[PresenceCommands.Sweep.timeout] }, throws: isInternalError)
        #expect(performing: { _ = try args.has(Audit.Log.batch) }, throws: isInternalError)
        #expect(performing: { _ = try args.all(Policy.Apply.file) }, throws: isInternalError)
        #expect(performing: { _ = try args.isGiven(Observation.requireDurable) }, throws: isInternalError)
        // Arguments too.
        #expect(try args[Exec.argv] == ["true"])
        #expect(performing: { _ = try args[PresenceCommands.agentArgument] }, throws: isInternalError)
    }

    /// Through the dispatcher, the mistake is exit 1 (a bug), never a silent default.
    @Test func aHandlerReadingAnUndeclaredFlagExitsOne() throws {
        let command = CommandSpec("probe", "Reads a flag it does not declare", flags: [Exec.timeout]) { args, _ in
            _ = try args[GatesCommands.Wait.timeout]
            return 0
        }
        let probe = CommandTable(groups: [GroupSpec(nil, "probe", doc: "", commands: [command])])
        var err = ""
        let code = CLI.run(["probe", "--timeout", "3"], console: Console(out: { _ in }, err: { err += $0 }, stdin: { nil }),
                           environment: { _ in nil }, table: probe)
        #expect(code == 1)
        #expect(err.contains("read --timeout, a flag it does not declare"))
    }

    /// A shared flag is one definition: each use (required, a filter, another wording) reads back
    /// through it, and a filter use never takes the environment's value.
    @Test func usesOfASharedFlagShareItsDefinition() throws {
        let session = try SessionID.random().value
        let environment = ["GOVERNANCE_SESSION_ID": session, "GOVERNANCE_AGENT_ID": "from-env"]
        let writer = try resolve(["audit", "log", "-k", "k"], environment: environment)
        #expect(try writer[SharedFlags.session]?.value == session)
        #expect(try writer[SharedFlags.agent] == "from-env")
        #expect(try !writer.isGiven(SharedFlags.agent))
        let filter = try resolve(["audit", "export"], environment: environment)
        #expect(try filter[SharedFlags.sessionFilter] == nil)
        #expect(try filter[SharedFlags.session] == nil)
        let given = try resolve(["audit", "export", "-s", session], environment: environment)
        #expect(try given[SharedFlags.session]?.value == session)
    }

    /// agent, session, tool, event kind, model, metadata and the operator key are each defined
    /// once: every command's flag of that name is a use of the one definition.
    @Test func sharedFlagsAreDefinedOnce() {
        let shared: [any FlagDeclaration] = [SharedFlags.agent, SharedFlags.session, SharedFlags.tool, SharedFlags.model,
                                             SharedFlags.metadata, SharedFlags.operatorKey, Observation.requireDurable]
        for definition in shared {
            let uses = table.commands.flatMap(\.flags).filter { $0.name == definition.spec.name }
            #expect(!uses.isEmpty)
            for use in uses { #expect(use.id == definition.spec.id, "--\(use.name) is defined more than once") }
        }
        // `--kind` is an event kind everywhere but in `compliance report`, where it names the report.
        let kinds = table.commands.filter { $0.path != ["compliance", "report"] }.flatMap(\.flags).filter { $0.name == "kind" }
        #expect(kinds.count >= 3)
        #expect(kinds.allSatisfy { $0.id == SharedFlags.kind.spec.id })
    }

    /// Every observation that records takes `--require-durable`, last, and the dispatcher reads it
    /// by definition: with it an unreachable store is exit 4, without it the event spools.
    @Test func observationsTakeRequireDurable() throws {
        let observing = table.commands.filter { $0.role == .observe && $0.needs.recorder }
        #expect(observing.map(\.name).sorted() == ["audit log", "cost track", "cost track-usage", "presence close", "presence heartbeat", "presence idle"])
        for command in observing {
            #expect(command.flags.last?.id == Observation.requireDurable.spec.id, "\(command.name)")
            #expect(command.exitKinds.contains(.storeUnavailable))
        }
        let env = ["GOVERNANCE_AUDIT_SECRET": testSecret, "GOVERNANCE_HOME": try makeTemporaryDirectory(),
                   "GOVERNANCE_DATABASE_URL": "sqlite:/nonexistent-dir/sub/governance.db"]
        for arguments in [["presence", "idle", "a"], ["cost", "track", "-a", "a", "--tokens", "1", "--usd", "0.1"]] {
            #expect(run(arguments + ["--require-durable"], env) == 4, "\(arguments)")
            #expect(run(arguments, env) == 0, "\(arguments)")
        }
    }

    func run(_ arguments: [String], _ env: [String: String]) -> Int32 {
        CLI.run(arguments, console: Console(out: { _ in }, err: { _ in }, stdin: { nil }), environment: { env[$0] })
    }
}

/// `exec`'s own statuses come from the core's `ExecStatus`, in the table and on its own page
/// (`mcp proxy` passes on its server's status the same way).
@Suite struct ExecExitCodeTests {
    @Test func execStatusesAreInTheExitCodeTable() throws {
        let table = CommandTable.standard
        let rows = ExitCodeTable(table: table).rows
        for status in ExecStatus.documented {
            let row = try #require(rows.first { $0.code == status.status })
            // The proxy has no --timeout, so it never gives 124.
            #expect(row.commands == (status.status == ExecStatus.timedOut ? ["exec"] : ["exec", "mcp proxy"]))
        }
        #expect(rows.map(\.label).suffix(5) == ["124", "125", "126", "127", "128+N"])
        var out = ""
        let code = CLI.run(["man", "exec"], console: Console(out: { out += $0 }, err: { _ in }, stdin: { nil }), environment: { _ in nil })
        #expect(code == 0)
        #expect(out.hasPrefix(".TH GOVERNANCE-EXEC 1"))
        #expect(out.contains("\\fB128+N\\fR") && out.contains("\\fB15\\fR") && !out.contains("\\fB16\\fR"))
        #expect(GeneratedFiles.all(table).contains { $0.path == "man/governance-exec.1" })
    }
}
