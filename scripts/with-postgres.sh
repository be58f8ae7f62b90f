#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (initdb in a temp dir, reachable only via a unix socket
# in that dir), exports GOVERNANCE_TEST_POSTGRES_URL, runs the given command, then stops the
# cluster and removes it, whatever the command's outcome.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/governance-pg.XXXXXX)
trap '"$here/pg-cluster.sh" destroy "$dir"' EXIT
GOVERNANCE_TEST_POSTGRES_URL=$("$here/pg-cluster.sh" init "$dir")
export GOVERNANCE_TEST_POSTGRES_URL
echo "with-postgres: throwaway cluster on $dir" >&2
set +e
"$@"
exit $?
