"""Hostile input from the client's side, written as raw lines to `governance mcp proxy`.

Prints one JSON document: each probe's response (or null). Environment as client.py.
With the argument `calls`, it sends only the tools/call of MCP_CALLS (a JSON list of
[name, arguments]) and prints each answer by tool name.
"""
import json
import os
import subprocess
import sys

BIN = os.environ["GOVERNANCE_BIN"]
HERE = os.environ["MCP_FIXTURE_DIR"]

argv = [BIN, "mcp", "proxy", "--agent", os.environ["MCP_AGENT"], "--session", os.environ["MCP_SESSION"],
        "--kill-grace", "2", "--", sys.executable, os.path.join(HERE, "server.py")]
proxy = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def send(raw):
    proxy.stdin.write(raw + b"\n")
    proxy.stdin.flush()


def answer():
    line = proxy.stdout.readline()
    return json.loads(line) if line else None


out = {}
send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}).encode())
out["initialize"] = answer()
send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode())
pings = 0


def probe(raw):
    """Sends a hostile line then a ping: the first answer is the line's own, if it has one."""
    global pings
    pings += 1
    send(raw)
    send(json.dumps({"jsonrpc": "2.0", "id": "ping-%d" % pings, "method": "ping"}).encode())
    first = answer()
    if first is not None and first.get("id") == "ping-%d" % pings:
        return {"answer": None, "alive": True}
    return {"answer": first, "alive": (answer() or {}).get("id") == "ping-%d" % pings}


if sys.argv[1:] == ["calls"]:
    for i, (name, arguments) in enumerate(json.loads(os.environ["MCP_CALLS"])):
        send(json.dumps({"jsonrpc": "2.0", "id": 100 + i, "method": "tools/call", "params": {"name": name, "arguments": arguments}}).encode())
        out[name] = answer()
    proxy.stdin.close()
    out["status"] = proxy.wait(timeout=30)
    out["stderr"] = proxy.stderr.read().decode("utf-8", "replace")
    print(json.dumps(out))
    sys.exit(0)

out["malformed"] = probe(b"{not json")
out["batch"] = probe(b'[{"jsonrpc":"2.0","id":2,"method":"ping"}]')
out["no_method"] = probe(b'{"jsonrpc":"2.0","id":3}')
out["duplicate_key"] = probe(b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","name":"secret_tool","arguments":{}}}')
out["control_char_name"] = probe(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                                             "params": {"name": "ec\u0007ho", "arguments": {"text": "x"}}}).encode())
out["oversized"] = probe(json.dumps({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
                                     "params": {"name": "echo", "arguments": {"text": "x" * (5 << 20)}}}).encode())
out["hidden"] = probe(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "secret_tool", "arguments": {}}}).encode())
out["null_id"] = probe(b'{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
out["after"] = probe(json.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "still here"}}}).encode())
proxy.stdin.close()
out["status"] = proxy.wait(timeout=30)
out["stderr"] = proxy.stderr.read().decode("utf-8", "replace")
print(json.dumps(out))
