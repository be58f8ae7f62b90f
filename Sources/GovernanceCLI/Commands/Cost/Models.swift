import GovernanceCore

extension Cost {
    enum Models {
        static let unpriced: Flag<Bool> = .toggle("unpriced", "List the models tracked without a known price instead")
        static let importFile: Flag<String> = .path(
            "import", value: "FILE", "Read prices from LiteLLM's model_prices_and_context_window.json",
            doc: "Takes chat, completion and responses entries with input_cost_per_token and output_cost_per_token (cache_read_input_token_cost as the cached-input price), read exactly; a price finer than a nano-dollar per token is rounded up. Prints the imported table; with --output, writes it as a pricing file for --pricing-file or GOVERNANCE_PRICING_FILE.",
)
        static let output: Flag<String> = .path("output", short: "o", value: "FILE", "With --import: write the prices to this new pricing file (an existing file is refused)")

        static let command = CommandSpec(
            "models", "Print the pricing table in effect (USD per million tokens, with its source and date)",
            doc: "The built-in table (a dated snapshot of LiteLLM's price map; the first line says which), overridden or extended by --pricing-file or GOVERNANCE_PRICING_FILE. With --unpriced, the models that `cost track-usage` has seen without a price (they were tracked at $0). With --import, a LiteLLM price map converted, and with --output saved as a pricing file.",
            flags: [Cost.pricingFile, unpriced.conflicts(with: importFile), importFile.conflicts(with: Cost.pricingFile), output.requires(importFile)],
            examples: ["governance cost models", "governance cost models --unpriced",
                       "governance cost models --import model_prices_and_context_window.json --output /etc/governance/prices.json"],
            needs: CommandNeeds(store: .readIfAvailable)
        ) { args, run in
            // Read either way: a broken pricing file is an error whichever list is asked for.
            let pricingFile = try args[Cost.pricingFile]
            let table = try PricingTable.resolve(file: pricingFile, environment: { _ in nil })
            if try args.has(unpriced) {
                guard let store = run.availableStore else { throw run.storeUnavailable ?? GovernanceError.unavailable("the store is unavailable") }
                let models = try CostLedger(db: store.connection).unpricedModels()
                run.emit(json: .object([("unpriced", .array(models.map(JSONValue.string)))]),
                         text: models.isEmpty ? "every tracked model has a price" : models.map(Render.escaped).joined(separator: "\n"))
                return 0
            }
            if let file = try args[importFile] {
                return try importPrices(file, output: try args[output], run: run)
            }
            let header = "built-in prices: \(PricingTable.builtInSource), as of \(PricingTable.builtInAsOf)"
                + (pricingFile.map { "; overridden by \($0)" } ?? "")
            run.emit(json: .object([("source", .string(PricingTable.builtInSource)), ("as_of", .string(PricingTable.builtInAsOf)),
                                    ("pricing_file", .optional(pricingFile)), ("models", .array(table.all.map(\.json)))]),
                     text: Render.escaped(header) + "\n" + lines(table.all))
            return 0
        }

        static func lines(_ prices: [ModelPrice]) -> String {
            prices.map { p in
                let m = { (n: Int64) in Money(nanos: n * 1_000_000).decimal }
                // The header names the built-in table's source once; a row says where it differs.
                let origin = p.source == PricingTable.builtInSource ? "built-in" : Render.escaped(p.source) + (p.asOf.isEmpty ? "" : ", " + p.asOf)
                return "\(Render.escaped(p.model))  in $\(m(p.inputNanosPerToken))  out $\(m(p.outputNanosPerToken))  cached $\(m(p.cachedInputNanosPerToken))  (\(origin))"
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
