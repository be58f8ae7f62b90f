import GovernanceCore

extension Audit {
    enum Tail {
        static let follow: Flag<Bool> = .toggle("follow", short: "f", "Keep printing new events until interrupted")
        static let lines: Flag<Int64> = .integer("lines", short: "n", "How many existing events to print first (default 10)",
                                                 range: 0...1_000_000)

        static let command = CommandSpec(
            "tail", "Print the newest events, and with --follow every new one as it is appended",
            doc: """
            Prints the newest events (10 unless -n says otherwise), oldest first, as text or JSON lines. With \
            --follow it then waits and prints each new matching event as soon as it is committed, by any \
            process or host, until interrupted. PostgreSQL wakes it with LISTEN/NOTIFY; SQLite is polled \
            every 50 ms. Output is flushed after each event, so it can be piped.
            """,
            flags: [follow, lines] + Filters.all,
            examples: ["governance audit tail -f", "governance audit tail -f --json --agent billing-agent | jq .kind"],
            needs: .read
        ) { args, run in
            var tail = AuditTail(db: try run.store.connection, filter: Filters.filter(args))
            try tail.backlog(Int(args[lines] ?? 10)) { Audit.write($0, run: run) }
            run.console.flush()
            guard args.has(follow) else { return 0 }
            Signals.allowInterruption()
            while true {
                if try tail.poll(timeout: 1.0, { Audit.write($0, run: run) }) > 0 { run.console.flush() }
            }
        }
    }
}
