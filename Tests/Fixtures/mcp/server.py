"""A small real MCP server (the reference Python SDK, stdio) for the proxy's end-to-end tests."""
import asyncio
import os
import sys

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import SamplingMessage, TextContent

server = FastMCP("governance-fixture")


@server.tool()
def echo(text: str) -> str:
    """Returns its text."""
    return "echo: " + text


@server.tool()
async def slow(seconds: float, marker: str = "") -> str:
    """Sleeps, after writing its pid to `marker` (so a test knows it is running)."""
    if marker:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
    await asyncio.sleep(seconds)
    return "slept"


@server.tool()
def charge(amount: int) -> str:
    """A tool whose contract needs an operator's approval."""
    return "charged %d" % amount


@server.tool()
def crash() -> str:
    """Ends the whole server at once, as a crash would."""
    os._exit(3)


@server.tool()
def secret_tool() -> str:
    """A tool the policy hides."""
    return "secret"


@server.tool()
def not_allowed() -> str:
    """A tool the policy does not allow."""
    return "should never run"


@server.tool()
def garbage() -> str:
    """Writes a line that is not JSON to the transport, then answers normally."""
    os.write(1, b"{this is not json\n")
    return "after garbage"


@server.tool()
async def ask_model(prompt: str, ctx: Context) -> str:
    """Asks the client's model (sampling/createMessage), a server-initiated request."""
    reply = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))], max_tokens=20)
    return "model said: " + (reply.content.text if reply.content.type == "text" else "?")


@server.tool()
async def add_tool(ctx: Context) -> str:
    """Adds two tools (one the policy allows, one it does not) and says the list changed."""
    def late_allowed() -> str:
        return "late"

    def late_denied() -> str:
        return "no"

    server.add_tool(late_allowed, name="late_allowed")
    server.add_tool(late_denied, name="late_denied")
    await ctx.session.send_tool_list_changed()
    return "added"


if __name__ == "__main__":
    server.run("stdio")
