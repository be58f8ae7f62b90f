import GovernanceCore

extension Audit {
    enum Events {
        static let limit: Flag<Int64> = .integer("limit", short: "n", "Only the newest N matching events", range: 1...Int64.max)
        static let verify: Flag<Bool> = .toggle("verify", "Verify each event and its chain on read (exit 20 on failure)")

        static let command = CommandSpec(
            "events", "List stored events, filtered, oldest first",
            doc: """
            Streams matching events in the order they were appended: as text (time, session, seq, agent, kind, \
            model, the first characters of any stored input and output hashes, metadata), or with --json as \
            JSON lines, one event per line with every stored field. --since and --until take RFC 3339 times or \
            dates (UTC midnight); --until is exclusive. --limit keeps the newest N matches. With --verify, each \
            event's HMAC is recomputed and its session's chain is checked up to it (at most \
            \(Render.grouped(AuditQuery.maxVerified)) events: narrow the listing, or use `audit verify`); each line then \
            carries "verified", and the command exits 20 when any event fails.
            """,
            flags: Filters.all + [Filters.since, Filters.until, limit, verify],
            examples: ["governance audit events --agent billing-agent --since 2026-11-26 --json",
                       "governance audit events -s $GOVERNANCE_SESSION_ID --verify"],
            needs: .read,
            failures: [.integrityFailure]
        ) { args, run in
            var filter = try Filters.filter(args, times: true)
            filter.limit = try args[limit].map { Int(clamping: $0) }
            let store = try run.store
            guard try args.has(verify) else {
                try AuditQuery(db: store.connection).events(filter) { Audit.write($0, run: run) }
                return 0
            }
            let listed = try AuditQuery(db: store.connection).verifiedEvents(filter, keys: try run.keys())
            for (record, ok) in listed { Audit.write(record, verified: ok, run: run) }
            if listed.contains(where: { !$0.verified }) { throw AuditQuery.verificationFailed }
            return 0
        }
    }
}
