#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (initdb in a temp dir, reachable only via a unix socket
# in that dir), exports GOVERNANCE_TEST_POSTGRES_URL, runs the given command, then stops the
# cluster and removes it, whatever the command's outcome.
set -euo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "with-postgres: no PostgreSQL server found (run scripts/deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/governance-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root; the postgres user owns the cluster.
    chown postgres "$dir"
    as_pg=(runuser -u postgres --)
fi
stop() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses='' -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
export GOVERNANCE_TEST_POSTGRES_URL="postgresql:///postgres?host=$dir&user=postgres"
export GOVERNANCE_TEST_POSTGRES_DIR="$dir"
echo "with-postgres: throwaway cluster on $dir" >&2
set +e
"$@"
status=$?
exit $status
