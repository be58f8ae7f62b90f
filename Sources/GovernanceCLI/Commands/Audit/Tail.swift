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
            every 50 ms. Output is flushed after each event, so it can be piped. Each event is printed once. \
            When the store is lost (a PostgreSQL restart) it reconnects with backoff, and when the SQLite file \
            is replaced it follows the new file; both are said on stderr.
            """,
            flags: [follow, lines] + Filters.all,
            examples: ["governance audit tail -f", "governance audit tail -f --json --agent billing-agent | jq .kind"],
            needs: .read
        ) { args, run in
            let config = try run.configuration()
            var tail = AuditTail(store: try run.store, filter: try Filters.filter(args, times: false)) { try Store.open(config, access: .read) }
            try tail.backlog(Int(try args[lines] ?? 10)) { Audit.write($0, run: run) }
            run.console.flush()
            guard try args.has(follow) else { return 0 }
            Signals.allowInterruption()
            // The core reconnects; what happened to the store goes to stderr.
            while true {
                if try tail.poll(timeout: 1.0, notice: { run.warn($0.message) }, { Audit.write($0, run: run) }) > 0 { run.console.flush() }
            }
        }
    }
}
