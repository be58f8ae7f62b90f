import GovernanceCore
import Testing

/// API pattern matching and the tool check, with hostile requests.
@Suite struct ScopeTests {
    static func matches(_ pattern: String, _ call: String) throws -> Bool {
        let p = try APIPattern.parse(pattern)
        guard let request = try? APIRequest.parse(call) else { return false }
        return p.matches(request)
    }

    @Test func patternsMatchWhatTheDocsSay() throws {
        let stripe = "GET https://api.stripe.com/v1/*"
        for call in ["GET https://api.stripe.com/v1/charges", "get https://API.Stripe.COM/v1/charges/ch_1/refunds",
                     "GET https://api.stripe.com/v1/charges?limit=3", "GET https://api.stripe.com/v1/charges#top",
                     "GET https://api.stripe.com:443/v1/x", "GET https://api.stripe.com/v1/charges/"] {
            #expect(try Self.matches(stripe, call), "\(call)")
        }
        for call in ["POST https://api.stripe.com/v1/charges", "GET http://api.stripe.com/v1/charges",
                     "GET https://api.stripe.com/v1", "GET https://api.stripe.com/v1/", "GET https://api.stripe.com/v2/charges",
                     "GET https://api.stripe.com:8443/v1/charges", "GET https://api.stripe.com.evil.io/v1/charges",
                     "GET https://evil.io/api.stripe.com/v1/charges", "GET https://xapi.stripe.com/v1/charges",
                     "GET https://stripe.com/v1/charges", "GET https://api.stripe.com./v1/charges"] {
            #expect(try !Self.matches(stripe, call), "\(call)")
        }
        let segment = "POST https://api.example.com/v1/customers/*/invoices"
        #expect(try Self.matches(segment, "POST https://api.example.com/v1/customers/cus_1/invoices"))
        #expect(try !Self.matches(segment, "POST https://api.example.com/v1/customers/a/b/invoices"))
        #expect(try !Self.matches(segment, "POST https://api.example.com/v1/customers/cus_1/invoices/x"))
        #expect(try Self.matches("GET https://api.example.com/files/report-*.csv", "GET https://api.example.com/files/report-2026.csv"))
        #expect(try !Self.matches("GET https://api.example.com/files/report-*.csv", "GET https://api.example.com/files/report-1/x.csv"))
        #expect(try Self.matches("GET https://api.example.com/v1/status", "GET https://api.example.com/v1/status?verbose=1"))
        #expect(try !Self.matches("GET https://api.example.com/v1/status", "GET https://api.example.com/v1/status/"))
        #expect(try Self.matches("GET http://localhost:8080/*", "GET http://LOCALHOST:8080/a"))
        #expect(try !Self.matches("GET http://localhost:8080/*", "GET http://localhost/a"))
        #expect(try Self.matches("GET http://[::1]:8080/*", "GET http://[::1]:8080/a"))
    }

    @Test func forgedHostsAndPathTricksNeverMatch() throws {
        let stripe = "GET https://api.stripe.com/v1/*"
        for forged in ["GET https://api.stripe.com@evil.io/v1/charges", "GET https://user:pw@api.stripe.com/v1/charges",
                       "GET https://api.stripe.com%2eevil.io/v1/x", "GET https://api.stripe.com\\@evil.io/v1/x",
                       "GET https://api.stripe.com/v1/../admin", "GET https://api.stripe.com/v1/%2e%2e/admin",
                       "GET https://api.stripe.com/v1/%2E%2E/admin", "GET https://api.stripe.com/v1/.%2e/admin",
                       "GET https://api.stripe.com/v1/./charges", "GET https://api.stripe.com/v1/a%2Fb",
                       "GET https://api.stripe.com/v1/a%2f..%2fadmin", "GET https://api.stripe.com/v1/a%5c..",
                       "GET https://api.stripe.com/v1//admin", "GET https://api.stripe.com/v1\\..\\admin",
                       "GET  https://api.stripe.com/v1/x", "GET https://api.stripe.com/v1/x HTTP/1.1",
                       "GET https://api.stripe.com/v1/\u{0}", "GET https://api.stripe.com/v1/x\u{1b}[2J",
                       "G3T https://api.stripe.com/v1/x", "GET //api.stripe.com/v1/x", "GET api.stripe.com/v1/x",
                       "GET https://api.stripe.com:0/v1/x", "GET https://api.stripe.com:99999/v1/x", "GET https://api.stripe.com:/v1/x"] {
            #expect(try !Self.matches(stripe, forged), "\(forged)")
        }
        #expect(throws: GovernanceError.self) { try APIRequest.parse("GET https://api.stripe.com@evil.io/") }
        #expect(throws: GovernanceError.self) { try APIRequest.parse("GET https://api.stripe.com/v1/../admin") }
    }

    @Test func theToolCheckIsExactAndDefaultDeny() throws {
        let policy = AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: ["read_invoice", "send_email", "both"], hiddenTools: ["delete_all", "both"]))
        #expect(try ScopeCheck.check(.tool("read_invoice"), policy: policy, agentID: "a").matched == "read_invoice")
        func code(_ request: ScopeCheck.Request, _ policy: AgentPolicy?) -> Int32? {
            do { _ = try ScopeCheck.check(request, policy: policy, agentID: "a"); return 0 } catch { return error.exitCode }
        }
        #expect(code(.tool("read_invoice"), nil) == 11)
        for denied in ["Read_Invoice", "read_invoice ", " read_invoice", "read_invoice\u{200B}", "delete_all", "both", "unknown"] {
            #expect(code(.tool(denied), policy) == 10, "\(denied)")
        }
        // Control characters never match; the identifier check may refuse them outright (exit 2).
        for control in ["read_invoice\u{0}", "read_invoice\n", "read\u{1b}_invoice", "read_invoice\u{7f}", "read_invoice\u{85}"] {
            #expect([2, 10].contains(code(.tool(control), policy)), "\(control.debugDescription)")
        }
        #expect(code(.tool(""), policy) == 2)
        #expect(code(.tool("x"), AgentPolicy(agentID: "a")) == 10)
        #expect(code(.api("GET https://api.stripe.com/v1/x"), AgentPolicy(agentID: "a")) == 10)
        #expect(code(.api("GET https://api.stripe.com@evil.io/"), policy) == 10)
    }

    @Test func theDenialListsAllowedToolsEscapedAndBounded() {
        let tools = (0..<25).map { "tool_\($0)" } + ["evil\u{1b}[31m"]
        let policy = AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: tools))
        do {
            _ = try ScopeCheck.check(.tool("nope\", forged \"x"), policy: policy, agentID: "a")
            Issue.record("allowed")
        } catch {
            #expect(error.kind == .scopeViolation)
            #expect(error.message.contains("\"tool_0\", \"tool_1\""))
            #expect(error.message.contains("and 6 more"))
            #expect(!error.message.contains("tool_20"))
            #expect(error.message.contains(#""nope\", forged \"x""#))
            #expect(error.message.contains(#""evil\u001b[31m""#) == false)  // the 26th tool is not listed
        }
        do {
            _ = try ScopeCheck.check(.tool("x"), policy: AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: ["\u{1b}[2J"])), agentID: "a")
        } catch {
            #expect(error.message.contains("\"\\u001b[2J\""))
        }
    }

    @Test func filterToolsRemovesHiddenToolsOnly() {
        let policy = AgentPolicy(agentID: "a", scope: ScopePolicy(allowedTools: ["a"], hiddenTools: ["delete_all", "drop"]))
        #expect(ScopeCheck.filterTools(["a", "delete_all", "b", "drop", "a"], policy: policy) == ["a", "b", "a"])
        #expect(ScopeCheck.filterTools(["a", "delete_all"], policy: nil) == ["a", "delete_all"])
        #expect(ScopeCheck.filterTools(["Delete_All"], policy: policy) == ["Delete_All"])
    }
}
