import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// LLM responses as the agent received them, JSON and streamed, read into model, tokens and USD.
@Suite struct ResponseUsageTests {
    static let fixtures = packageRoot() + "/Tests/Fixtures/llm-responses/"

    struct Expected: Sendable, CustomTestStringConvertible {
        let file: String, shape: ResponseUsage.Shape, model: String
        let input: Int64, output: Int64, cached: Int64, writes: Int64, usd: String
        var testDescription: String { file }
    }

    static let expected: [Expected] = [
        // 1000 uncached x 2.50 + 200 cached x 1.25 + 300 out x 10.00 per million
        Expected(file: "openai-chat.json", shape: .openAIChat, model: "gpt-4o-2024-08-06", input: 1_000, output: 300, cached: 200, writes: 0, usd: "0.00575"),
        Expected(file: "openai-chat.sse", shape: .openAIChatStream, model: "gpt-4o-2024-08-06", input: 50, output: 20, cached: 0, writes: 0, usd: "0.000325"),
        // 129 uncached x 2.00 + 11904 cached x 0.50 + 44 out x 8.00
        Expected(file: "openai-responses.json", shape: .openAIResponses, model: "gpt-4.1-2025-04-14", input: 129, output: 44, cached: 11_904, writes: 0, usd: "0.006562"),
        Expected(file: "openai-responses.sse", shape: .openAIResponsesStream, model: "gpt-4.1-2025-04-14", input: 9, output: 12, cached: 0, writes: 0, usd: "0.000114"),
        // (100 + 20 cache writes) x 3.00 + 10 cache reads x 0.30 + 5 out x 15.00
        Expected(file: "anthropic-messages.json", shape: .anthropicMessages, model: "claude-sonnet-4-5-20250929", input: 120, output: 5, cached: 10, writes: 20, usd: "0.000438"),
        // message_start's input, message_delta's cumulative output (15, not message_start's 1)
        Expected(file: "anthropic-messages.sse", shape: .anthropicMessagesStream, model: "claude-sonnet-4-5-20250929", input: 25, output: 15, cached: 0, writes: 0, usd: "0.0003"),
    ]

    @Test(arguments: expected)
    func everyShapeGivesTheModelTokensAndUSD(_ e: Expected) throws {
        let read = try ResponseUsage.read(Self.fixtures + e.file)
        #expect(read.shape == e.shape)
        #expect(read.model == e.model)
        #expect(read.inputTokens == e.input && read.outputTokens == e.output && read.cachedInputTokens == e.cached && read.cacheWriteTokens == e.writes)
        let usage = try CostLedger.Usage(model: read.model, inputTokens: read.inputTokens, outputTokens: read.outputTokens,
                                         cachedInputTokens: read.cachedInputTokens, pricing: .builtIn)
        #expect(usage.priced)
        #expect(usage.usd.decimal == e.usd)
        #expect(usage.tokens == e.input + e.output + e.cached)
    }

    static func parse(_ text: String) throws -> ResponseUsage { try ResponseUsage.parse(bytes: Array(text.utf8)) }

    static func refused(_ text: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let got = try parse(text)
            Issue.record("accepted: \(got)", sourceLocation: sourceLocation)
        } catch let error as GovernanceError {
            #expect(error.exitCode == 2, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment) || (error.recoveryHint ?? "").contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func unknownShapesExit2NamingTheAcceptedOnes() {
        Self.refused(#"{"object":"embedding","model":"m","usage":{"prompt_tokens":1}}"#, "chat.completion")
        Self.refused(#"{"candidates":[],"usageMetadata":{"promptTokenCount":3}}"#, "Anthropic Messages")
        Self.refused("hello\n", "neither JSON nor a server-sent-event stream")
        Self.refused("", "empty")
        Self.refused("data: {\"object\":\"something\"}\n\n", "not of a known shape")
        Self.refused("[1,2]", "neither JSON")
    }

    @Test func hostileTokenCountsAndDuplicatesExit2() {
        let chat = { (usage: String) in #"{"object":"chat.completion","model":"gpt-4o","usage":"# + usage + "}" }
        Self.refused(chat(#"{"prompt_tokens":-1,"completion_tokens":2}"#), "prompt_tokens")
        Self.refused(chat(#"{"prompt_tokens":1.5,"completion_tokens":2}"#), "prompt_tokens")
        Self.refused(chat(#"{"prompt_tokens":1e300,"completion_tokens":2}"#), "prompt_tokens")
        Self.refused(chat(#"{"prompt_tokens":"12","completion_tokens":2}"#), "prompt_tokens")
        Self.refused(chat(#"{"prompt_tokens":99999999999999999999,"completion_tokens":2}"#), "2^53")
        Self.refused(chat(#"{"prompt_tokens":1,"prompt_tokens":900,"completion_tokens":2}"#), "duplicate")
        Self.refused(chat(#"{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":6}}"#), "more than")
        Self.refused(chat(#"{"completion_tokens":2}"#), "prompt_tokens")
        Self.refused(#"{"object":"chat.completion","model":"","usage":{"prompt_tokens":1,"completion_tokens":2}}"#, "model")
        Self.refused(#"{"object":"chat.completion","model":"gpt-4o","model":"x","usage":{"prompt_tokens":1,"completion_tokens":2}}"#, "duplicate")
        // Counts that are each exact but whose price overflows the USD counter are refused when priced.
        #expect(throws: GovernanceError.self) {
            let r = try Self.parse(chat(#"{"prompt_tokens":9007199254740991,"completion_tokens":9007199254740991}"#))
            _ = try CostLedger.Usage(model: r.model, inputTokens: r.inputTokens, outputTokens: r.outputTokens, cachedInputTokens: r.cachedInputTokens, pricing: .builtIn)
        }
    }

    @Test func streamsThatAreAmbiguousOrCutOffExit2() throws {
        let chunk = #"data: {"object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#
        Self.refused(chunk + "\n\n" + chunk + "\n\n", "more than one")
        Self.refused(#"data: {"object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":null}"# + "\n\ndata: [DONE]\n\n", "include_usage")
        let start = #"data: {"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}}"#
        Self.refused(start + "\n\n", "message_delta")
        Self.refused(start + "\n\n" + start + "\n\n", "more than one message_start")
        Self.refused(start + "\n\n" + chunk + "\n\n", "mixes")
        Self.refused(#"data: {"type":"response.created","response":{"model":"gpt-4.1"}}"# + "\n\n", "response.completed")
        Self.refused("data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":-4}}\n\n", "output_tokens")
        Self.refused("data: {not json}\n\n", "invalid JSON")
        // A stream whose data lines are split across two lines of one event is joined, as SSE says.
        let split = "data: {\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\ndata: \"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n"
        #expect(try Self.parse(split).inputTokens == 5)
    }

    @Test func readsAreBounded() throws {
        let dir = try makeTemporaryDirectory()
        let big = dir + "/big.json"
        var json = #"{"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":1,"completion_tokens":2},"pad":""#
        json += String(repeating: "x", count: ResponseUsage.maxJSONBytes) + "\"}"
        try json.write(toFile: big, atomically: true, encoding: .utf8)
        #expect { try ResponseUsage.read(big) } throws: { ($0 as? GovernanceError)?.message.contains("1 MiB") == true }
        let endless = dir + "/endless.sse"
        let line = ": keep-alive padding " + String(repeating: "y", count: 1000) + "\n"
        try String(repeating: line, count: ResponseUsage.maxStreamBytes / line.utf8.count + 2).write(toFile: endless, atomically: true, encoding: .utf8)
        #expect { try ResponseUsage.read(endless) } throws: { ($0 as? GovernanceError)?.message.contains("16 MiB") == true }
    }
}
