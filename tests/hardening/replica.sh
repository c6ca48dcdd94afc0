#!/usr/bin/env bash
# CI stage: read-replica routing against a real streaming replica. Creates a PostgreSQL 15 primary and a
# hot standby (pg_basebackup -R, streaming) in a scratch directory on free ports, as the postgres user,
# runs tests/replica (the routing rules and the `replica`-marked lag tests) with DATABASE_REPLICA_URL set,
# then stops both clusters and removes the directory.
#   tests/hardening/replica.sh            (REPLICA_PRIMARY_PORT / REPLICA_STANDBY_PORT to choose the ports)
set -euo pipefail
cd "$(dirname "$0")/../.."
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"
free_port() { local p=$1; while (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
primary_port="${REPLICA_PRIMARY_PORT:-$(free_port 5441)}"
standby_port="${REPLICA_STANDBY_PORT:-$(free_port $((primary_port + 1)))}"
work="$(mktemp -d /tmp/qq-replica.XXXXXX)"
chown postgres "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for d in standby primary; do
    [ -f "$work/$d/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$work/$d" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$work/primary" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
cat >>"$work/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$work'
wal_level = replica
max_wal_senders = 4
fsync = off
synchronous_commit = on
CONF
as_pg "$pgbin/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w start >/dev/null
as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$work/standby" -R -X stream
echo "port = $standby_port" >>"$work/standby/postgresql.conf"
as_pg "$pgbin/pg_ctl" -D "$work/standby" -l "$work/standby.log" -w start >/dev/null
state=$("$pgbin/psql" -h 127.0.0.1 -p "$primary_port" -U postgres -Atc "SELECT state FROM pg_stat_replication")
echo "primary :$primary_port, standby :$standby_port ($state, in recovery: $("$pgbin/psql" -h 127.0.0.1 \
  -p "$standby_port" -U postgres -Atc 'SELECT pg_is_in_recovery()'))"
[ "$state" = streaming ]

db=qinqing_replica
DATABASE_URL="postgres://postgres@127.0.0.1:$primary_port/$db" \
DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$standby_port/$db" \
  .venv/bin/pytest tests/replica -n 0 -p no:cacheprovider -q
