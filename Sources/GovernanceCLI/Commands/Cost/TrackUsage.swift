import GovernanceCore

extension Cost {
    enum TrackUsage {
        static let input: Flag<Int64> = .integer("input-tokens", "Input (prompt) tokens", range: 0...Int64.max)
        static let output: Flag<Int64> = .integer("output-tokens", "Output (completion) tokens", range: 0...Int64.max)
        static let cached: Flag<Int64> = .integer("cached-input-tokens", "Input tokens served from the provider's cache", range: 0...Int64.max)
        static let fromResponse: Flag<String> = .path(
            "from-response", value: "FILE", "Read the model and token usage from the LLM's response (JSON or its event stream; - for stdin)",
            doc: "OpenAI Chat Completions, OpenAI Responses API or Anthropic Messages, each as the JSON body or as the server-sent-event stream (up to 1 MiB of JSON, 16 MiB of stream). Anthropic cache writes count as input tokens at the input price.")

        static let command = Cost.observing(
            "track-usage", "Price a model call from the pricing table, track it and audit it as llm.call",
            doc: """
            Computes the cost from the built-in pricing table (`governance cost models`), or a pricing file, \
            tracks it as `cost track` does, and audits an llm.call event with the model and the token counts. \
            A versioned model name falls back to a shorter entry only when what is cut off is a date or version \
            suffix. An unknown model costs zero, with a warning, and is listed by `cost models --unpriced`. \
            With --from-response the model and tokens are read from the vendor's response as the agent \
            received it (JSON or the streamed events); an unknown shape exits 2 naming the accepted ones.
            """,
            flags: [SharedFlags.model.described("The model that was called").requiredUnless(fromResponse), input.requiredUnless(fromResponse),
                    output.requiredUnless(fromResponse), cached, fromResponse.conflicts(with: SharedFlags.model, input, output, cached),
                    Cost.pricingFile, Cost.reservation],
            examples: ["governance cost track-usage -a billing-agent -m gpt-4o --input-tokens 1000 --output-tokens 500",
                       "curl -sN https://api.openai.com/v1/responses ... | tee reply.sse; governance cost track-usage -a billing-agent --from-response reply.sse"]
        ) { args, run in
            let pricing = try PricingTable.resolve(file: try args[Cost.pricingFile], environment: { _ in nil })
            let usage: CostLedger.Usage
            if let file = try args[fromResponse] {
                let read = try ResponseUsage.read(file)
                usage = try CostLedger.Usage(model: read.model, inputTokens: read.inputTokens, outputTokens: read.outputTokens,
                                             cachedInputTokens: read.cachedInputTokens, pricing: pricing)
            } else {
                usage = try CostLedger.Usage(model: try args.require(SharedFlags.model), inputTokens: try args.require(input),
                                             outputTokens: try args.require(output), cachedInputTokens: try args[cached] ?? 0, pricing: pricing)
            }
            if !usage.priced {
                run.warn("no price is known for model \(Render.quoted(usage.model ?? "")): it is tracked at $0 (see `governance cost models --unpriced`, or give a --pricing-file)")
            }
            return usage
        }
    }
}
