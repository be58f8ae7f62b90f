import GovernanceCore

extension DB {
    enum Roles {
        static let agentRole: Flag<String> = .text("agent-role", value: "ROLE", "The role agents' logins are granted")
        static let operatorRole: Flag<String> = .text("operator-role", value: "ROLE", "The role operators' logins are granted")
        static let auditorRole: Flag<String> = .text("auditor-role", value: "ROLE", "The role auditors' logins are granted (reads only)")

        static let command = CommandSpec(
            "roles", "Make PostgreSQL enforce who may do what, with roles",
            doc: """
            PostgreSQL only (exit 2 on the embedded store). Run after `db migrate`, as the owner of the governance tables \
            or a superuser. Creates the three roles when missing (NOLOGIN group roles) and brings their privileges on the \
            governance tables to exactly this: the agent role appends audit events, records heartbeats and spend, asks for \
            approvals and uses granted ones up, reserves budget and records loop calls, and reads policies, kill markers, \
            gates and operators; it cannot UPDATE or DELETE audit rows, write kill markers, policies, operators or gate \
            decisions, or touch spend counters, chain heads and presence, which the server derives from the appended rows. \
            The operator role may do what the agent may, plus kill, revive, policies, operators, gate decisions and repairs \
            of derived state. The auditor role reads. Rows that operators write, and every audit row, record the server's \
            session_user. Give logins a role with `GRANT agent_role TO bot_login;`. Running it again changes nothing and says \
            so; `db migrate` grants the tables later migrations add to the roles configured here.
            """,
            flags: [agentRole.required, operatorRole.required, auditorRole.required],
            examples: ["governance db roles --agent-role governance_agent --operator-role governance_operator --auditor-role governance_auditor",
                       "psql -c 'GRANT governance_agent TO billing_bot'"],
            failures: [.invalidInput, .storeUnavailable]
        ) { args, run in
            let configuration = try run.configuration()
            guard case .postgres = configuration.store else {
                throw GovernanceError.invalid("db roles needs a PostgreSQL store: the embedded store has no roles",
                                              hint: "on SQLite, whoever can write the store file can change it; docs/SECURITY.md says what holds there")
            }
            let names = DatabaseRoles.Names(agent: try args.require(agentRole), operator: try args.require(operatorRole),
                                            auditor: try args.require(auditorRole))
            let store = try Store.open(configuration, access: .read)
            let report = try DatabaseRoles.configure(store.connection, names: names)
            let roles: [(String, JSONValue)] = DatabaseRoles.Purpose.allCases.map { ($0.rawValue, .string(names[$0])) }
            var lines = report.created.map { "created role \(Render.escaped($0)) (NOLOGIN)" }
            lines += report.statements.map { Render.escaped($0) }
            lines.append(report.changed ? "roles are in place: grant them to logins, e.g. GRANT \(names.agent) TO your_agent_login;"
                                        : "roles and privileges are already in place: nothing changed")
            run.emit(
                json: .object([
                    ("store", .string(configuration.redactedStoreDescription)),
                    ("roles", .object(roles)),
                    ("created", .array(report.created.map(JSONValue.string))),
                    ("statements", .array(report.statements.map(JSONValue.string))),
                    ("changed", .bool(report.changed)),
                ]),
                text: lines.joined(separator: "\n"))
            return 0
        }
    }
}
