import GovernanceCore

enum MCP {
    static let group = GroupSpec("mcp", "Govern an agent's tools on the wire: a Model Context Protocol proxy",
                                 doc: "An agent's MCP client starts `governance mcp proxy` instead of the server; the proxy starts the server as its contained child and governs every tools/call it passes on (docs/SECURITY.md says what it guarantees).",
                                 commands: [Proxy.command, Wrap.command])
}
