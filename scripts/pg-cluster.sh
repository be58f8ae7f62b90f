#!/usr/bin/env bash
# A private PostgreSQL cluster in DIR, reachable only through a unix socket in DIR.
#   pg-cluster.sh init DIR    initdb + start; prints the connection URL
#   pg-cluster.sh start DIR   start an initialised cluster again
#   pg-cluster.sh stop DIR    stop it cleanly
#   pg-cluster.sh destroy DIR stop it and remove DIR
set -euo pipefail
action=${1:?usage: pg-cluster.sh init|start|stop|destroy DIR}
dir=${2:?usage: pg-cluster.sh init|start|stop|destroy DIR}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "pg-cluster: no PostgreSQL server found (run scripts/deps.sh)" >&2; exit 1; }
as_pg=()
# initdb and postgres refuse to run as root; the postgres user owns the cluster.
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

start() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
}

case "$action" in
    init)
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
        "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        start
        echo "postgresql:///postgres?host=$dir&user=postgres"
        ;;
    start) start ;;
    # A clean shutdown: with synchronous_commit off, an immediate one could lose the last commits.
    stop) "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
    destroy)
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
        ;;
    *) echo "pg-cluster: unknown action $action" >&2; exit 2 ;;
esac
