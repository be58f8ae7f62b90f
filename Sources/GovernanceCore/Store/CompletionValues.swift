/// The words the shell completions offer, read from the store (`governance complete KIND`):
/// bounded, sorted, and only words a shell takes literally. bash's `compgen -W` expands its word
/// list (a word `$(cmd)` would run cmd in the operator's shell on Tab), and agent ids, session
/// ids and approval kinds are written by the agent being governed, so a value holding anything
/// but letters, digits and `._:@%+=,/-` is never offered (it is counted, not printed).
public enum CompletionValues {
    public enum Kind: String, Sendable, CaseIterable {
        /// Agents with a presence row, a kill marker or a stored policy.
        case agents
        /// Sessions holding events, the most recently active first.
        case sessions
        /// Pending approval requests, the newest first.
        case requests
    }

    public static let defaultLimit = 200
    public static let maxLimit = 1_000

    public struct Values: Sendable, Equatable {
        public var values: [String]
        /// Values left out because a shell would not take them literally.
        public var skipped: Int
    }

    /// At most `limit` values of `kind` starting with `prefix`.
    public static func read(_ kind: Kind, db: SQLConnection, prefix: String = "", limit: Int = defaultLimit, at time: Timestamp = .now()) throws -> Values {
        let limit = min(max(limit, 1), maxLimit)
        // The prefix is matched in Swift (a LIKE pattern would need escaping on both engines);
        // each source is read with a bound, so a prefix narrows what is shown, not what is read.
        let bound: [SQLValue] = [.int(Int64(limit) * 4)]
        var read: [String] = []
        switch kind {
        case .agents:
            for table in ["governance_presence", "governance_kill_markers", "governance_policies"] {
                read += try db.query("SELECT agent_id FROM \(table) ORDER BY agent_id LIMIT ?", bound).map { try $0.text(0) }
            }
            read = Array(Set(read)).sorted()
        case .sessions:
            read = try db.query("SELECT session_id FROM governance_audit_events GROUP BY session_id ORDER BY MAX(created_at_us) DESC LIMIT ?",
                                bound).map { try $0.text(0) }
        case .requests:
            read = try db.query("""
                SELECT request_id FROM governance_gate_requests WHERE status = 'pending' AND expires_at_us > ?
                ORDER BY created_at_us DESC, request_id LIMIT ?
                """, [.int(time.microseconds)] + bound).map { try $0.text(0) }
        }
        var out = Values(values: [], skipped: 0)
        for value in read where value.hasPrefix(prefix) {
            guard isLiteral(value) else { out.skipped += 1; continue }
            if out.values.count < limit { out.values.append(value) }
        }
        return out
    }

    /// True when every byte is one a shell leaves as it is, in a word list and on a command line.
    public static func isLiteral(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || Array("._:@%+=,/-".utf8).contains(b)
        }
    }
}
