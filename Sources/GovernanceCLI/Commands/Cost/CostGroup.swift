import GovernanceCore

enum Cost {
    static let group = GroupSpec("cost", "Track spend exactly and stop an agent at its budget",
                                 doc: "Money is exact: integer nano-dollars in the store, decimal USD at the edges, never floating point. Spend is counted per session and per agent and UTC day when its audit event enters the chain, so a spooled `cost track` is counted once, when it is replayed. Five caps (docs/POLICIES.md): per_session_usd, per_session_tokens, per_agent_usd_daily, per_agent_tokens_daily, per_session_seconds.",
                                 commands: [Check.command, Track.command, TrackUsage.command, Snapshot.command, Breakdown.command, Models.command])

    static let pricingFile: Flag<String> = .path("pricing-file", value: "FILE", "Prices that override or extend the built-in table (YAML or JSON)",
                                                 environment: "GOVERNANCE_PRICING_FILE")
    static let requireDurable: Flag<Bool> = .toggle("require-durable", "Exit 4 when the store is unreachable instead of spooling")
    static let reservation: Flag<String> = .text("reservation", value: "ID", "Settle this reservation of `cost check` with the spend",
                                                 doc: "The spend replaces what the check reserved, in the same transaction. An id that is unknown, expired, already settled or another agent's settles nothing.")

    /// `--reservation ID`, checked as the UUID `cost check` printed.
    static func reservationID(_ args: Arguments) throws -> String? {
        guard let text = args[reservation] else { return nil }
        guard let id = SessionID(text) else { throw GovernanceError.invalid("--reservation \(Render.quoted(text)) is not a reservation id (a UUID printed by `cost check`)") }
        return id.value
    }

    /// Records a tracked spend through the recorder: counted and audited in one transaction, or
    /// spooled (counted on replay), or, failing both, a placeholder with a warning.
    static func record(_ usage: CostLedger.Usage, args: Arguments, run: Run) throws -> Int32 {
        var usage = usage
        usage.reservationID = try reservationID(args)
        let agent = try args.require(SharedFlags.agent)
        let session = AgentChain.resolve(args[SharedFlags.optionalSession], agentID: agent)
        let pending = try PendingEvent(validating: CostLedger.event(agentID: agent, sessionID: session, usage: usage))
        let recorder = try run.recorder
        let outcome = try recorder.record([pending], returningIDs: true)
        for warning in recorder.warnings { run.warn(warning) }
        var json: [(String, JSONValue)] = [("agent_id", .string(agent)), ("session_id", .string(session.value))] + usage.metadata
        if let model = usage.model { json.insert(("model", .string(model)), at: 2) }
        let what = "\(Render.count(Int(clamping: usage.tokens), "token")) and $\(usage.usd.decimal)"
        switch outcome {
        case .appended(let records):
            run.emit(json: .object([("status", .string("tracked"))] + json + [("seq", .int64(records[0].seq))]),
                     text: "tracked \(what) in session \(session.value)")
        case .spooled(let path, _):
            run.emit(json: .object([("status", .string("spooled")), ("spool_file", .string(path))] + json),
                     text: "spooled \(what) (the store is unavailable; counted when `audit flush` replays it)")
        case .placeholder:
            run.emit(json: .object([("status", .string("unavailable"))] + json), text: "NOT tracked: the store and the spool are both unavailable")
        }
        return 0
    }

    enum Check {
        static let projected: Flag<Int64> = .integer("projected-tokens", "Deny if this call's tokens would pass a token cap; reserve them when allowed",
                                                     doc: "Default: GOVERNANCE_DEFAULT_MAX_TOKENS when set.", range: 1...Int64.max,
                                                     conflicts: ["max-tokens"])
        static let maxTokens: Flag<Int64> = .integer("max-tokens", "The call's max_tokens: the same projection under the reference SDK's name",
                                                     doc: "With --model, priced at the model's dearest per-token rate (the worst case) against the USD caps. Default: GOVERNANCE_DEFAULT_MAX_TOKENS when set.",
                                                     range: 1...Int64.max)
        static let model: Flag<String> = .text("model", short: "m", value: "MODEL", "The model the call will use: its projected tokens are priced against the USD caps",
                                               doc: "A model without a price is denied when the agent has a USD cap, unless its policy says budget.unpriced: track_at_zero.")

        static let command = CommandSpec.enforcing(
            "check", "Exit 0 and reserve the projection while the agent is within its budget, 12 naming the cap when it is not",
            doc: """
            Goes through the enforcement path (store, kill switch, then the budget), after replaying spend that \
            this host spooled while the store was away. Exits 12 naming the cap, what is used (spend plus live \
            reservations) and the limit when a cap is reached, or when the projection (--projected-tokens or \
            --max-tokens, and with --model its worst-case USD) would pass a cap; the denial is audited as \
            budget.exceeded. A check that passes reserves its projection in the same transaction that read the \
            spend, so concurrent checks never jointly pass a cap; it prints the reservation id, which `cost track \
            --reservation ID` or `cost track-usage --reservation ID` settles. Unsettled reservations expire after \
            the policy's budget.reservation_seconds (default 900). The session clock (per_session_seconds) starts \
            at the session's first tracked or checked call. An agent with no policy exits 11; a policy without a \
            budget has no caps. Prints the budget snapshot when allowed.
            """,
            flags: [SharedFlags.agent, SharedFlags.optionalSession, projected, maxTokens, model, Cost.pricingFile],
            examples: ["governance cost check --agent billing-agent --projected-tokens 4000",
                       "id=$(governance cost check -a billing-agent -m gpt-4o --max-tokens 4000 --json | jq -r .reservation_id)"],
            failures: [.budgetExceeded, .noPolicy, .invalidInput],
            decide: { args, run, enforcer, failOpen in
                let pricing = try PricingTable.resolve(file: args[Cost.pricingFile], environment: { _ in nil })
                let projection = try CostProjection.resolve(projectedTokens: args[projected], maxTokens: args[maxTokens], model: args[model],
                                                            pricing: pricing, environment: { run.environment($0) })
                return try enforcer.costCheck(agentID: try args.require(SharedFlags.agent), sessionID: args[SharedFlags.optionalSession],
                                              projection: projection, failOpen: failOpen)
            },
            render: { decision, _, run in
                var text = "within budget: " + Snapshot.text(decision.snapshot)
                if let r = decision.reservation {
                    text = "reservation \(r.id)\n" + text + "\nreserved \(Render.count(Int(clamping: r.tokens), "token")) and $\(r.usd.decimal) until \(r.expiresAt.iso8601)"
                }
                run.emit(json: .object([("allowed", .bool(true))] + Reservation.json(decision.reservation) + (decision.snapshot.json.objectMembers ?? [])),
                         text: text)
                return 0
            })
    }

    enum Track {
        static let tokens: Flag<Int64> = .integer("tokens", "Tokens used by the call", range: 0...Int64.max, requirement: .required)
        static let usd: Flag<String> = .decimal("usd", value: "USD", "What the call cost, in USD (a decimal, up to 9 places)", requirement: .required)

        static let command = CommandSpec(
            "track", "Add a call's tokens and cost to the session's and the agent's daily spend",
            doc: """
            An observation: the spend is counted and audited (cost.tracked) in one transaction; when the store \
            is unreachable the event is spooled and counted once when `audit flush` (or the next write) replays \
            it; exit 0 either way unless --require-durable. Counters only grow, and are exact under any number \
            of concurrent processes (INSERT ... ON CONFLICT DO UPDATE). Negative, non-decimal or overflowing \
            amounts exit 2 and nothing is counted.
            """,
            flags: [SharedFlags.agent, SharedFlags.optionalSession, tokens, usd, Cost.reservation, requireDurable],
            examples: ["governance cost track --agent billing-agent --tokens 1200 --usd 0.0042"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            let usage = CostLedger.Usage(tokens: try args.require(tokens), usd: try Money.parse(try args.require(usd)))
            return try Cost.record(usage, args: args, run: run)
        }
    }

    enum TrackUsage {
        static let model: Flag<String> = .text("model", short: "m", value: "MODEL", "The model that was called", requirement: .requiredUnless(["from-response"]))
        static let input: Flag<Int64> = .integer("input-tokens", "Input (prompt) tokens", range: 0...Int64.max, requirement: .requiredUnless(["from-response"]))
        static let output: Flag<Int64> = .integer("output-tokens", "Output (completion) tokens", range: 0...Int64.max, requirement: .requiredUnless(["from-response"]))
        static let cached: Flag<Int64> = .integer("cached-input-tokens", "Input tokens served from the provider's cache", range: 0...Int64.max)
        static let fromResponse: Flag<String> = .path(
            "from-response", value: "FILE", "Read the model and token usage from the LLM's response (JSON or its event stream; - for stdin)",
            doc: "OpenAI Chat Completions, OpenAI Responses API or Anthropic Messages, each as the JSON body or as the server-sent-event stream (up to 1 MiB of JSON, 16 MiB of stream). Anthropic cache writes count as input tokens at the input price.",
            conflicts: ["model", "input-tokens", "output-tokens", "cached-input-tokens"])

        static let command = CommandSpec(
            "track-usage", "Price a model call from the pricing table, track it and audit it as llm.call",
            doc: """
            Computes the cost from the built-in pricing table (`governance cost models`), or a pricing file, \
            tracks it as `cost track` does, and audits an llm.call event with the model and the token counts. \
            A versioned model name falls back to a shorter entry only when what is cut off is a date or version \
            suffix. An unknown model costs zero, with a warning, and is listed by `cost models --unpriced`. \
            With --from-response the model and tokens are read from the vendor's response as the agent \
            received it (JSON or the streamed events); an unknown shape exits 2 naming the accepted ones.
            """,
            flags: [SharedFlags.agent, SharedFlags.optionalSession, model, input, output, cached, fromResponse, Cost.pricingFile, Cost.reservation, requireDurable],
            examples: ["governance cost track-usage -a billing-agent -m gpt-4o --input-tokens 1000 --output-tokens 500",
                       "curl -sN https://api.openai.com/v1/responses ... | tee reply.sse; governance cost track-usage -a billing-agent --from-response reply.sse"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            let pricing = try PricingTable.resolve(file: args[Cost.pricingFile], environment: { _ in nil })
            let usage: CostLedger.Usage
            if let file = args[fromResponse] {
                let read = try ResponseUsage.read(file)
                usage = try CostLedger.Usage(model: read.model, inputTokens: read.inputTokens, outputTokens: read.outputTokens,
                                             cachedInputTokens: read.cachedInputTokens, pricing: pricing)
            } else {
                usage = try CostLedger.Usage(model: try args.require(model), inputTokens: try args.require(input),
                                             outputTokens: try args.require(output), cachedInputTokens: args[cached] ?? 0, pricing: pricing)
            }
            if !usage.priced {
                run.warn("no price is known for model \(Render.quoted(usage.model ?? "")): it is tracked at $0 (see `governance cost models --unpriced`, or give a --pricing-file)")
            }
            return try Cost.record(usage, args: args, run: run)
        }
    }

    enum Snapshot {
        static let command = CommandSpec(
            "snapshot", "Show what the agent and session have spent, and what is left under each cap",
            doc: "The fields of the reference SDK's BudgetSnapshot: session_usd_used, session_tokens_used, agent_daily_usd_used, agent_daily_tokens_used, session_seconds_used, and a _remaining twin for each capped one. USD are decimal strings. Exits 4 when the store is unreachable: the reference SDK returns zeros there, which a script would read as nothing spent.",
            flags: [SharedFlags.agent, SharedFlags.optionalSession],
            examples: ["governance cost snapshot --agent billing-agent --json"],
            needs: .read
        ) { args, run in
            let agent = try args.require(SharedFlags.agent)
            let db = try run.store.connection
            let budget = try PolicyStore(db: db).policy(for: agent)?.budget
            let snapshot = try CostLedger(db: db).snapshot(agentID: agent, sessionID: AgentChain.resolve(args[SharedFlags.optionalSession], agentID: agent),
                                                           budget: budget)
            run.emit(json: snapshot.json, text: text(snapshot))
            return 0
        }

        static func text(_ s: BudgetSnapshot) -> String {
            func part(_ name: String, _ used: String, _ cap: String?) -> String { "\(name) \(used)" + (cap.map { " of \($0)" } ?? "") }
            return [part("session $", s.sessionUSDUsed.decimal, s.budget?.perSessionUSD?.decimal),
                    part("session tokens", String(s.sessionTokensUsed), s.budget?.perSessionTokens.map(String.init)),
                    part("today $", s.agentDailyUSDUsed.decimal, s.budget?.perAgentUSDDaily?.decimal),
                    part("today tokens", String(s.agentDailyTokensUsed), s.budget?.perAgentTokensDaily.map(String.init)),
                    part("session seconds", String(s.sessionSecondsUsed), s.budget?.perSessionSeconds.map(String.init))].joined(separator: ", ")
        }
    }

    enum Breakdown {
        static let command = CommandSpec(
            "breakdown", "Show the agent's spend per model",
            doc: "For each model the agent called through `cost track-usage`: calls, tokens and USD, since the counters began. Exits 4 when the store is unreachable (an empty breakdown would read as nothing spent).",
            flags: [SharedFlags.agent],
            examples: ["governance cost breakdown --agent billing-agent"],
            needs: .read
        ) { args, run in
            let rows = try CostLedger(db: try run.store.connection).breakdown(agentID: try args.require(SharedFlags.agent))
            run.emit(json: .object([("models", .array(rows.map(\.json)))]),
                     text: rows.isEmpty ? "no model calls tracked" : rows.map {
                         "\(Render.escaped($0.model))  \(Render.count(Int(clamping: $0.calls), "call"))  \(Render.count(Int(clamping: $0.tokens), "token"))  $\($0.usd.decimal)"
                     }.joined(separator: "\n"))
            return 0
        }
    }

    enum Models {
        static let unpriced: Flag<Bool> = .toggle("unpriced", "List the models tracked without a known price instead", conflicts: ["import"])
        static let importFile: Flag<String> = .path(
            "import", value: "FILE", "Read prices from LiteLLM's model_prices_and_context_window.json",
            doc: "Takes chat, completion and responses entries with input_cost_per_token and output_cost_per_token (cache_read_input_token_cost as the cached-input price), read exactly; a price finer than a nano-dollar per token is rounded up. Prints the imported table; with --output, writes it as a pricing file for --pricing-file or GOVERNANCE_PRICING_FILE.",
            conflicts: ["pricing-file"])
        static let output: Flag<String> = .path("output", short: "o", value: "FILE", "With --import: write the prices to this new pricing file (an existing file is refused)",
                                                requires: ["import"])

        static let command = CommandSpec(
            "models", "Print the pricing table in effect (USD per million tokens, with its source and date)",
            doc: "The built-in table (a dated snapshot of LiteLLM's price map; the first line says which), overridden or extended by --pricing-file or GOVERNANCE_PRICING_FILE. With --unpriced, the models that `cost track-usage` has seen without a price (they were tracked at $0). With --import, a LiteLLM price map converted, and with --output saved as a pricing file.",
            flags: [Cost.pricingFile, unpriced, importFile, output],
            examples: ["governance cost models", "governance cost models --unpriced",
                       "governance cost models --import model_prices_and_context_window.json --output /etc/governance/prices.json"],
            needs: CommandNeeds(store: .readIfAvailable)
        ) { args, run in
            // Read either way: a broken pricing file is an error whichever list is asked for.
            let table = try PricingTable.resolve(file: args[Cost.pricingFile], environment: { _ in nil })
            if args.has(unpriced) {
                guard let store = run.availableStore else { throw run.storeUnavailable ?? GovernanceError.unavailable("the store is unavailable") }
                let models = try CostLedger(db: store.connection).unpricedModels()
                run.emit(json: .object([("unpriced", .array(models.map(JSONValue.string)))]),
                         text: models.isEmpty ? "every tracked model has a price" : models.map(Render.escaped).joined(separator: "\n"))
                return 0
            }
            if let file = args[importFile] {
                return try importPrices(file, output: args[output], run: run)
            }
            let header = "built-in prices: \(PricingTable.builtInSource), as of \(PricingTable.builtInAsOf)"
                + (args[Cost.pricingFile].map { "; overridden by \($0)" } ?? "")
            run.emit(json: .object([("source", .string(PricingTable.builtInSource)), ("as_of", .string(PricingTable.builtInAsOf)),
                                    ("pricing_file", .optional(args[Cost.pricingFile])), ("models", .array(table.all.map(\.json)))]),
                     text: Render.escaped(header) + "\n" + lines(table.all))
            return 0
        }

        static func lines(_ prices: [ModelPrice]) -> String {
            prices.map { p in
                let m = { (n: Int64) in Money(nanos: n * 1_000_000).decimal }
                return "\(Render.escaped(p.model))  in $\(m(p.inputNanosPerToken))  out $\(m(p.outputNanosPerToken))  cached $\(m(p.cachedInputNanosPerToken))  (\(Render.escaped(p.source))\(p.asOf.isEmpty ? "" : ", " + p.asOf))"
            }.joined(separator: "\n")
        }

        static func importPrices(_ file: String, output: String?, run: Run) throws -> Int32 {
            let bytes = try DocumentFile.read(file, what: "LiteLLM price map", limit: LiteLLMPrices.maxBytes, purpose: "a LiteLLM price map")
            let asOf = String(Timestamp.now().iso8601.prefix(10))
            let source = "LiteLLM model_prices_and_context_window.json imported from \(file.split(separator: "/").last.map(String.init) ?? file)"
            let imported = try LiteLLMPrices.read(bytes, source: source, asOf: asOf)
            if let output {
                guard try FileSystem.createExclusive(output, contents: imported.pricingFile(source: source, asOf: asOf), mode: 0o644) else {
                    throw GovernanceError.invalid("\(Render.quoted(output)) already exists; the pricing file is written as a new file",
                                                  hint: "remove it first, or give another --output")
                }
            }
            for model in imported.roundedUp {
                run.warn("\(Render.quoted(model)): a price finer than a nano-dollar per token was rounded up")
            }
            let summary = "imported \(Render.count(imported.prices.count, "model")), skipped \(imported.skipped.count) (not priced per token), rounded up \(imported.roundedUp.count)"
                + (output.map { "; wrote \($0) (use it as --pricing-file or GOVERNANCE_PRICING_FILE)" } ?? "")
            run.emit(json: .object([("source", .string(source)), ("as_of", .string(asOf)), ("output", .optional(output)),
                                    ("imported", .int(imported.prices.count)), ("skipped", .int(imported.skipped.count)),
                                    ("rounded_up", .array(imported.roundedUp.map(JSONValue.string))),
                                    ("models", .array(imported.prices.map(\.json)))]),
                     text: lines(imported.prices) + "\n" + Render.escaped(summary))
            return 0
        }
    }
}
