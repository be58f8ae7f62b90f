/// `governance db roles`: the PostgreSQL roles that make the server enforce who may do what
/// (docs/SECURITY.md). Three NOLOGIN group roles, granted to login roles by the database's
/// administrator (`GRANT agent_role TO bot_login`):
/// - agent: appends events (which move the derived tables through the server's trigger), asks
///   for approvals and uses them up, reserves budget, records loop calls; reads the rest.
/// - operator: what the agent may, plus kill markers, policies, operators, gate decisions and
///   repairs of the derived tables.
/// - auditor: reads.
/// Nobody but the owner may UPDATE or DELETE audit rows. Configuring is idempotent: the
/// privileges each role holds on the governance tables are brought to exactly these, and what
/// was already right is left alone.
public enum DatabaseRoles {
    public enum Purpose: String, CaseIterable, Sendable {
        case agent, `operator`, auditor
    }

    public struct Names: Sendable, Equatable {
        public var agent: String
        public var `operator`: String
        public var auditor: String

        public init(agent: String, operator: String, auditor: String) {
            self.agent = agent
            self.operator = `operator`
            self.auditor = auditor
        }

        public subscript(purpose: Purpose) -> String {
            switch purpose {
            case .agent: agent
            case .operator: `operator`
            case .auditor: auditor
            }
        }
    }

    public struct Report: Sendable {
        public var names: Names
        /// Roles this run created.
        public var created: [String] = []
        /// Every statement this run executed to grant, revoke or limit, in order.
        public var statements: [String] = []
        public var changed: Bool { !created.isEmpty || !statements.isEmpty }
    }

    /// What a role may do to one table. INSERT and UPDATE never cover the columns the server
    /// stamps with `session_user` (`RolesSchema.stampedColumns`).
    enum Access: Hashable {
        case select, delete, insert, update
        case updateColumns([String])
        /// USAGE on the table's `id` sequence (an INSERT that takes the next id).
        case sequence
    }

    struct TableAccess {
        let table: String
        let agent: [Access]
        /// In addition to the agent's.
        let operatorExtra: [Access]
    }

    static let gateDecisionColumns = ["status", "decided_by", "decided_os_user", "decided_host", "decided_at_us", "reason",
                                      "decision_document", "decision_signature"]

    /// Every governance table; a test checks that each table of the registry is here.
    static let tables: [TableAccess] = [
        TableAccess(table: "governance_schema_migrations", agent: [.select], operatorExtra: []),
        TableAccess(table: "governance_roles", agent: [.select], operatorExtra: []),
        TableAccess(table: "governance_audit_events", agent: [.select, .insert, .sequence], operatorExtra: []),
        TableAccess(table: "governance_audit_sessions", agent: [.select], operatorExtra: []),
        TableAccess(table: "governance_audit_spooled", agent: [.select, .insert], operatorExtra: []),
        TableAccess(table: "governance_audit_appends", agent: [.select, .insert], operatorExtra: []),
        TableAccess(table: "governance_policies", agent: [.select], operatorExtra: [.insert, .update, .delete]),
        // The agent starts a session's clock (an INSERT of zeros, which the server keeps from
        // going negative); spend itself is added by the server's trigger.
        TableAccess(table: "governance_cost_sessions", agent: [.select, .insert], operatorExtra: [.update, .delete]),
        TableAccess(table: "governance_cost_daily", agent: [.select], operatorExtra: [.insert, .update, .delete]),
        TableAccess(table: "governance_cost_models", agent: [.select], operatorExtra: [.insert, .update, .delete]),
        // Deletes by the agent are limited to expired rows (a restrictive row policy).
        TableAccess(table: "governance_cost_reservations", agent: [.select, .insert, .delete], operatorExtra: []),
        // Deletes by the agent are limited to rows older than any loop window.
        TableAccess(table: "governance_loop_calls", agent: [.select, .insert, .delete, .sequence], operatorExtra: []),
        TableAccess(table: "governance_kill_markers", agent: [.select], operatorExtra: [.insert, .update, .delete]),
        TableAccess(table: "governance_presence", agent: [.select], operatorExtra: [.insert, .update, .delete]),
        TableAccess(table: "governance_gate_requests", agent: [.select, .insert, .updateColumns(["consumed_at_us"])],
                    operatorExtra: [.updateColumns(gateDecisionColumns)]),
        TableAccess(table: "governance_operators", agent: [.select], operatorExtra: [.insert, .update]),
    ]

    /// Functions a role may EXECUTE; PUBLIC may execute none of them. The agent moves its presence
    /// row's last seen time through the first (`Presence.stateOnly`), and nothing else of the row.
    static let functions: [(signature: String, purposes: [Purpose])] = [
        ("governance_presence_seen(TEXT, TEXT, TEXT, TEXT, BIGINT)", [.agent, .operator]),
    ]

    /// The agent role's limits on deletes, as restrictive row policies: (table, policy, condition).
    static let agentDeleteLimits: [(table: String, policy: String, condition: String)] = [
        ("governance_cost_reservations", "governance_agent_deletes_expired", "expires_at_us <= \(RolesSchema.serverNow)"),
        ("governance_loop_calls", "governance_agent_deletes_outside_windows",
         "called_at_us <= \(RolesSchema.serverNow) - \(PolicyParser.maxWindowSeconds * 1_000_000)"),
    ]

    /// A role name as given on the command line: letters, digits and `_`, not starting with a
    /// digit, at most 63 bytes, and not one PostgreSQL reserves.
    public static func checkName(_ name: String, flag: String) throws {
        let bytes = Array(name.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 63 && !(bytes[0] >= UInt8(ascii: "0") && bytes[0] <= UInt8(ascii: "9"))
            && bytes.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
        guard ok else {
            throw GovernanceError.invalid("\(flag) \(quoted(name)) is not a role name this command accepts",
                                          hint: "use 1 to 63 letters, digits and underscores, not starting with a digit")
        }
        let lower = name.lowercased()
        guard !lower.hasPrefix("pg_"), !["public", "none", "current_user", "session_user", "current_role"].contains(lower) else {
            throw GovernanceError.invalid("\(flag) \(quoted(name)) is a name PostgreSQL reserves")
        }
    }

    static func ident(_ name: String) -> String { "\"" + name.replacing("\"", with: "\"\"") + "\"" }

    /// Creates the roles when missing and brings their privileges to exactly what they may do,
    /// in one transaction. Refused (exit 2) on SQLite, for a role that is a superuser, bypasses
    /// row security or holds the tables' owner's rights, and for one role given twice.
    public static func configure(_ db: SQLConnection, names: Names, at time: Timestamp = .now()) throws -> Report {
        guard db.dialect == .postgres else {
            throw GovernanceError.invalid("db roles needs a PostgreSQL store: the embedded store has no roles",
                                          hint: "on SQLite, whoever can write the store file can change it; docs/SECURITY.md says what holds there")
        }
        for purpose in Purpose.allCases { try checkName(names[purpose], flag: "--\(purpose.rawValue)-role") }
        guard Set(Purpose.allCases.map { names[$0] }).count == Purpose.allCases.count else {
            throw GovernanceError.invalid("the agent, operator and auditor roles must be three different roles")
        }
        return try db.writeTransaction {
            try db.lockChain("governance/db-roles")
            try checkRunner(db)
            var report = Report(names: names)
            for purpose in Purpose.allCases {
                let name = names[purpose]
                if let row = try db.queryFirst("SELECT rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = ?", [.text(name)]) {
                    if try row.text(0) == "t" || row.text(1) == "t" {
                        throw GovernanceError.invalid("role \(quoted(name)) is a superuser or bypasses row security: the server would enforce nothing on it",
                                                      hint: "name a role without SUPERUSER and BYPASSRLS")
                    }
                } else {
                    try db.executeScript("CREATE ROLE \(ident(name)) NOLOGIN")
                    report.created.append(name)
                }
                if try ownsTables(db, role: name) {
                    throw GovernanceError.invalid("role \(quoted(name)) owns the governance tables (or has their owner's rights): privileges cannot limit it",
                                                  hint: "name a role that is not the owner, nor a member of the owner's role")
                }
            }
            report.statements = try converge(db, names: names)
            try record(db, names: names, at: time)
            return report
        }
    }

    /// Inside `db migrate`'s transaction: grants the tables a migration added to the roles
    /// configured before (nothing when `db roles` was never run).
    static func reapplyInTransaction(_ db: SQLConnection) throws {
        guard let names = try configured(db) else { return }
        _ = try converge(db, names: names)
    }

    /// The roles `db roles` configured, if any.
    public static func configured(_ db: SQLConnection) throws -> Names? {
        guard db.dialect == .postgres, try db.tableExists("governance_roles") else { return nil }
        var stored: [String: String] = [:]
        for row in try db.query("SELECT purpose, role_name FROM governance_roles") { stored[try row.text(0)] = try row.text(1) }
        guard let agent = stored[Purpose.agent.rawValue], let op = stored[Purpose.operator.rawValue],
              let auditor = stored[Purpose.auditor.rawValue] else { return nil }
        return Names(agent: agent, operator: op, auditor: auditor)
    }

    /// Only the tables' owner (or a superuser) may grant on them.
    private static func checkRunner(_ db: SQLConnection) throws {
        let owners = try db.query("""
            SELECT DISTINCT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
            WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
              AND c.relname LIKE 'governance\\_%' AND c.relkind = 'r' AND NOT pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
            """).map { try $0.text(0) }
        guard owners.isEmpty else {
            throw GovernanceError.config("db roles must be run by the owner of the governance tables (\(owners.map { quoted($0) }.joined(separator: ", "))) or a superuser",
                                         hint: "connect as the role that ran `governance db migrate`")
        }
    }

    private static func ownsTables(_ db: SQLConnection, role: String) throws -> Bool {
        try db.queryFirst("""
            SELECT 1 FROM pg_catalog.pg_class c
            WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
              AND c.relname = 'governance_audit_events' AND pg_catalog.pg_has_role(?, c.relowner, 'USAGE')
            """, [.text(role)]) != nil
    }

    /// A privilege as PostgreSQL stores it: on a table or sequence, or on one column.
    struct Privilege: Hashable, Comparable {
        var relation: String
        var column: String?
        var kind: String

        static func < (a: Privilege, b: Privilege) -> Bool {
            (a.relation, a.kind, a.column ?? "") < (b.relation, b.kind, b.column ?? "")
        }
    }

    /// What `purpose` may hold, resolved against the columns the tables have now.
    static func desired(_ purpose: Purpose, columns: [String: [String]], sequences: [String: String]) -> Set<Privilege> {
        var wanted: Set<Privilege> = []
        for spec in tables {
            let accesses: [Access]
            switch purpose {
            case .agent: accesses = spec.agent
            case .operator: accesses = spec.agent + spec.operatorExtra
            case .auditor: accesses = [.select]
            }
            let all = columns[spec.table] ?? []
            // The store assigns ids; the server stamps who wrote.
            let writable = all.filter { $0 != "id" && !RolesSchema.stampedColumns.contains($0) }
            let whole = writable.count == all.count
            func columnWise(_ kind: String, _ names: [String]) {
                for c in names where all.contains(c) { wanted.insert(Privilege(relation: spec.table, column: c, kind: kind)) }
            }
            for access in accesses {
                switch access {
                case .select: wanted.insert(Privilege(relation: spec.table, column: nil, kind: "SELECT"))
                case .delete: wanted.insert(Privilege(relation: spec.table, column: nil, kind: "DELETE"))
                case .insert:
                    if whole { wanted.insert(Privilege(relation: spec.table, column: nil, kind: "INSERT")) } else { columnWise("INSERT", writable) }
                case .update:
                    if whole { wanted.insert(Privilege(relation: spec.table, column: nil, kind: "UPDATE")) } else { columnWise("UPDATE", writable) }
                case .updateColumns(let names): columnWise("UPDATE", names)
                case .sequence:
                    if let sequence = sequences[spec.table] { wanted.insert(Privilege(relation: sequence, column: nil, kind: "USAGE")) }
                }
            }
        }
        // A table-wide UPDATE covers the column grants of the same kind.
        for p in wanted where p.column != nil && wanted.contains(Privilege(relation: p.relation, column: nil, kind: p.kind)) {
            wanted.remove(p)
        }
        return wanted
    }

    private static let currentSchemaOID = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())"

    /// The privileges granted to `role` itself (not through a membership) on the governance
    /// tables and their sequences.
    static func held(_ db: SQLConnection, role: String, relations: Set<String>) throws -> Set<Privilege> {
        var held: Set<Privilege> = []
        let roleOID = "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?)"
        for row in try db.query("""
            SELECT c.relname, a.privilege_type FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
            WHERE c.relnamespace = \(currentSchemaOID) AND a.grantee = \(roleOID)
            """, [.text(role)]) {
            let relation = try row.text(0)
            if relations.contains(relation) { held.insert(Privilege(relation: relation, column: nil, kind: try row.text(1))) }
        }
        for row in try db.query("""
            SELECT c.relname, t.attname, a.privilege_type FROM pg_catalog.pg_attribute t
            JOIN pg_catalog.pg_class c ON c.oid = t.attrelid CROSS JOIN LATERAL pg_catalog.aclexplode(t.attacl) a
            WHERE c.relnamespace = \(currentSchemaOID) AND t.attnum > 0 AND NOT t.attisdropped AND a.grantee = \(roleOID)
            """, [.text(role)]) {
            let relation = try row.text(0)
            if relations.contains(relation) { held.insert(Privilege(relation: relation, column: try row.text(1), kind: try row.text(2))) }
        }
        return held
    }

    /// Grants what is missing and revokes what is extra, for the three roles and for roles that
    /// a previous run configured and this one replaces; returns the statements run.
    static func converge(_ db: SQLConnection, names: Names) throws -> [String] {
        var columns: [String: [String]] = [:]
        for row in try db.query("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name LIKE 'governance\\_%' ORDER BY table_name, ordinal_position
            """) {
            columns[try row.text(0), default: []].append(try row.text(1))
        }
        var sequences: [String: String] = [:]
        for spec in tables where spec.agent.contains(.sequence) {
            if let row = try db.queryFirst("SELECT pg_catalog.pg_get_serial_sequence(?, 'id')", [.text(spec.table)]), let qualified = row.optionalText(0) {
                sequences[spec.table] = String(qualified.split(separator: ".").last ?? Substring(qualified)).replacing("\"", with: "")
            }
        }
        let relations = Set(tables.map(\.table)).union(sequences.values)
        var statements: [String] = []
        func run(_ sql: String) throws {
            try db.executeScript(sql)
            statements.append(sql)
        }
        var roles: [(String, Set<Privilege>)] = Purpose.allCases.map { (names[$0], desired($0, columns: columns, sequences: sequences)) }
        if try db.tableExists("governance_roles") {
            for row in try db.query("SELECT role_name FROM governance_roles ORDER BY purpose") {
                let old = try row.text(0)
                if !roles.contains(where: { $0.0 == old }),
                   try db.queryFirst("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?", [.text(old)]) != nil {
                    roles.append((old, []))
                }
            }
        }
        for (role, wanted) in roles {
            let r = ident(role)
            // Table-wide revokes first: revoking a table's privilege revokes its column grants too.
            let before = try held(db, role: role, relations: relations)
            for p in before.subtracting(wanted).sorted() where p.column == nil {
                try run("REVOKE \(p.kind) ON \(ident(p.relation)) FROM \(r)")
            }
            let now = try held(db, role: role, relations: relations)
            var columnRevokes: [String: [String]] = [:], columnGrants: [String: [String]] = [:]
            for p in now.subtracting(wanted).sorted() { if let c = p.column { columnRevokes["\(p.kind) \(p.relation)", default: []].append(c) } }
            for p in wanted.subtracting(now).sorted() {
                if let c = p.column {
                    columnGrants["\(p.kind) \(p.relation)", default: []].append(c)
                } else {
                    try run("GRANT \(p.kind) ON \(p.kind == "USAGE" ? "SEQUENCE " : "")\(ident(p.relation)) TO \(r)")
                }
            }
            for (key, cols) in columnRevokes.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                try run("REVOKE \(parts[0]) (\(cols.map(ident).joined(separator: ", "))) ON \(ident(parts[1])) FROM \(r)")
            }
            for (key, cols) in columnGrants.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                try run("GRANT \(parts[0]) (\(cols.map(ident).joined(separator: ", "))) ON \(ident(parts[1])) TO \(r)")
            }
            let purpose = Purpose.allCases.first { names[$0] == role }
            for function in functions {
                guard let oid = try db.queryFirst("SELECT to_regprocedure(?)::OID", [.text(function.signature)])?.optionalText(0) else { continue }
                let holds = try db.queryFirst("""
                    SELECT 1 FROM pg_catalog.pg_proc p CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
                    WHERE p.oid = ?::OID AND a.privilege_type = 'EXECUTE' AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?)
                    """, [.text(oid), .text(role)]) != nil
                let wants = purpose.map { function.purposes.contains($0) } ?? false
                if wants && !holds {
                    try run("GRANT EXECUTE ON FUNCTION \(function.signature) TO \(r)")
                } else if holds && !wants {
                    try run("REVOKE EXECUTE ON FUNCTION \(function.signature) FROM \(r)")
                }
            }
            let usage = try db.queryFirst("""
                SELECT 1 FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
                WHERE n.nspname = current_schema() AND a.privilege_type = 'USAGE' AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?)
                """, [.text(role)]) != nil
            if !wanted.isEmpty && !usage {
                try run("GRANT USAGE ON SCHEMA \(ident(try currentSchema(db))) TO \(r)")
            } else if wanted.isEmpty && usage {
                try run("REVOKE USAGE ON SCHEMA \(ident(try currentSchema(db))) FROM \(r)")
            }
        }
        for limit in agentDeleteLimits {
            let existing = try db.queryFirst("""
                SELECT array_to_string(roles, ',') FROM pg_catalog.pg_policies WHERE schemaname = current_schema() AND tablename = ? AND policyname = ?
                """, [.text(limit.table), .text(limit.policy)])?.optionalText(0)
            if existing == nil {
                try run("CREATE POLICY \(limit.policy) ON \(limit.table) AS RESTRICTIVE FOR DELETE TO \(ident(names.agent)) USING (\(limit.condition))")
            } else if existing != names.agent && existing != ident(names.agent) {
                try run("ALTER POLICY \(limit.policy) ON \(limit.table) TO \(ident(names.agent))")
            }
        }
        return statements
    }

    private static func currentSchema(_ db: SQLConnection) throws -> String {
        guard let name = try db.queryFirst("SELECT current_schema()")?.optionalText(0) else {
            throw GovernanceError.config("the connection has no current schema", hint: "check search_path in the database URL")
        }
        return name
    }

    /// Remembers the roles (for `db migrate`); a row changes only when its role does.
    private static func record(_ db: SQLConnection, names: Names, at time: Timestamp) throws {
        for purpose in Purpose.allCases {
            try db.execute("""
                INSERT INTO governance_roles (purpose, role_name, configured_at_us, db_user) VALUES (?, ?, ?, session_user)
                ON CONFLICT (purpose) DO UPDATE SET role_name = excluded.role_name, configured_at_us = excluded.configured_at_us,
                    db_user = excluded.db_user
                WHERE governance_roles.role_name <> excluded.role_name
                """, [.text(purpose.rawValue), .text(names[purpose]), .int(time.microseconds)])
        }
    }
}
