"""The reference Python MCP SDK as the agent's client, through `governance mcp proxy`.

usage: client.py SCENARIO; prints one JSON document of what it saw. Environment: GOVERNANCE_BIN,
MCP_AGENT, MCP_SESSION, MCP_FIXTURE_DIR, and per scenario MCP_KILL_ARGS (JSON argv of the kill)
and MCP_MARKER (a file the slow tool writes its pid to).
"""
import asyncio
import json
import os
import subprocess
import sys
import time

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

BIN = os.environ["GOVERNANCE_BIN"]
HERE = os.environ["MCP_FIXTURE_DIR"]


def proxy_argv():
    return ["mcp", "proxy", "--agent", os.environ["MCP_AGENT"], "--session", os.environ["MCP_SESSION"],
            "--kill-grace", "2", "--", sys.executable, os.path.join(HERE, "server.py")]


def text_of(result):
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


def call_json(result):
    return {"is_error": bool(result.isError), "text": text_of(result)}


async def sampling(context, params):
    return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="forty-two"),
                                     model="fixture-model", stopReason="endTurn")


async def run(scenario):
    out = {}
    changed = asyncio.Event()

    async def on_message(message):
        if isinstance(message, types.ServerNotification) and isinstance(message.root, types.ToolListChangedNotification):
            changed.set()

    if scenario == "config":
        # The server as a wrapped client configuration starts it (MCP_CONFIG, server "fixture").
        entry = json.load(open(os.environ["MCP_CONFIG"]))["mcpServers"]["fixture"]
        params = StdioServerParameters(command=entry["command"], args=entry["args"], env=dict(os.environ))
    else:
        params = StdioServerParameters(command=BIN, args=proxy_argv(), env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, sampling_callback=sampling, message_handler=on_message) as session:
            init = await session.initialize()
            out["protocol"] = init.protocolVersion
            if scenario == "config":
                out["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
                out["echo"] = call_json(await session.call_tool("echo", {"text": "wrapped"}))
            elif scenario == "basic":
                out["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
                out["echo"] = call_json(await session.call_tool("echo", {"text": "hi"}))
                out["not_allowed"] = call_json(await session.call_tool("not_allowed", {}))
                out["hidden"] = call_json(await session.call_tool("secret_tool", {}))
                out["sampling"] = call_json(await session.call_tool("ask_model", {"prompt": "the answer?"}))
                out["ping"] = (await session.send_ping()) is not None
                out["add"] = call_json(await session.call_tool("add_tool", {}))
                await asyncio.wait_for(changed.wait(), 10)
                out["tools_after_change"] = sorted(t.name for t in (await session.list_tools()).tools)
                out["server_garbage"] = call_json(await session.call_tool("garbage", {}))
                out["post_violation"] = call_json(await session.call_tool("late_allowed", {}))
            elif scenario == "priced":
                # echo is priced at $0.02 a call under a $0.05 session cap; slow has no price.
                out["calls"] = [call_json(await session.call_tool("echo", {"text": str(i)})) for i in range(3)]
                out["unpriced"] = call_json(await session.call_tool("slow", {"seconds": 0}))
            elif scenario == "kill":
                marker = os.environ["MCP_MARKER"]
                slow = asyncio.create_task(session.call_tool("slow", {"seconds": 60, "marker": marker}))
                for _ in range(400):
                    if os.path.exists(marker) and open(marker).read():
                        break
                    await asyncio.sleep(0.05)
                pid = int(open(marker).read())
                kill = subprocess.run([BIN] + json.loads(os.environ["MCP_KILL_ARGS"]), capture_output=True, text=True)
                out["kill_status"] = kill.returncode
                started = time.monotonic()
                out["in_flight"] = call_json(await asyncio.wait_for(slow, 10))
                out["cancel_seconds"] = time.monotonic() - started
                out["later"] = call_json(await session.call_tool("echo", {"text": "after"}))
                for _ in range(100):
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    await asyncio.sleep(0.05)
                else:
                    out["server_alive"] = True
                out["server_stopped_seconds"] = time.monotonic() - started
            elif scenario == "approval":
                # MCP_DECIDE_ARGS: the operator's `gates grant REQUEST` argv (grant becomes deny for the second call).
                decide = json.loads(os.environ["MCP_DECIDE_ARGS"])
                progress = []

                async def on_progress(value, total, message):
                    progress.append(message)

                for verb, amount in (("grant", 10), ("deny", 20)):
                    call = asyncio.create_task(session.call_tool("charge", {"amount": amount}, progress_callback=on_progress))
                    request_id = None
                    for _ in range(200):
                        listed = subprocess.run([BIN, "--json", "gates", "list", "--pending"], capture_output=True, text=True)
                        pending = json.loads(listed.stdout or "[]")
                        pending = pending.get("requests", pending) if isinstance(pending, dict) else pending
                        if pending:
                            request_id = pending[0]["request_id"]
                            break
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(1.5)  # long enough for a progress notification
                    out[verb + "_held"] = not call.done()
                    argv = [verb if a == "grant" else (request_id if a == "REQUEST" else a) for a in decide]
                    out[verb + "_status"] = subprocess.run([BIN] + argv, capture_output=True, text=True).returncode
                    out[verb] = call_json(await asyncio.wait_for(call, 20))
                out["progress"] = len(progress)
            elif scenario == "crash":
                slow = asyncio.create_task(session.call_tool("slow", {"seconds": 60}))
                await asyncio.sleep(0.5)
                try:
                    out["crash"] = call_json(await asyncio.wait_for(session.call_tool("crash", {}), 10))
                except Exception as error:  # the connection may end first
                    out["crash_error"] = type(error).__name__
                try:
                    out["in_flight"] = call_json(await asyncio.wait_for(slow, 10))
                except Exception as error:
                    out["in_flight_error"] = type(error).__name__
    return out


if __name__ == "__main__":
    result = asyncio.run(run(sys.argv[1]))
    print(json.dumps(result))
