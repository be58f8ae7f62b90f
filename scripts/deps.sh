#!/usr/bin/env bash
# Installs the system packages governance builds and tests with, only those that are missing.
set -euo pipefail
packages=(libpq-dev libssl-dev libsqlite3-dev libyaml-dev libsodium-dev pkg-config postgresql sqlite3 python3 python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# python3 may come from elsewhere (pyenv); then Debian's is not needed.
if command -v python3 >/dev/null 2>&1; then
    missing=("${missing[@]/python3}"); missing=("${missing[@]/python3-pip}")
fi
read -r -a missing <<< "${missing[*]:-}"
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--python" ] && command -v python3 >/dev/null 2>&1; then
    # The independent RFC 8785 implementation the export test checks against.
    python3 -c 'import rfc8785' 2>/dev/null || python3 -m pip install -q --root-user-action=ignore rfc8785 >&2 \
        || echo "deps: could not install the rfc8785 Python package" >&2
    # The JSON Schema validator the schema test runs every command's --json output through.
    python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install -q --root-user-action=ignore jsonschema >&2 \
        || echo "deps: could not install the jsonschema Python package" >&2
    # The reference MCP SDK: the client and the server of the `mcp proxy` end-to-end tests.
    python3 -c 'import mcp.client.stdio' 2>/dev/null || python3 -m pip install -q --root-user-action=ignore 'mcp>=1.23,<2' >&2 \
        || echo "deps: could not install the mcp Python package" >&2
fi
exit 0
