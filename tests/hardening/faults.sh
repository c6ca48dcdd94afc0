#!/usr/bin/env bash
# Fault test: gunicorn (2 workers) + a Celery worker and beat on a scratch PostgreSQL 15 cluster and a
# scratch Redis, while two clients submit 12345 demands through the API continuously (each external_ref
# retried until acknowledged). Meanwhile: kill -9 the Celery worker mid-task (and start it again), restart
# PostgreSQL, restart Redis. Then wait for the outbox and the fact queue to drain and count: lost (an
# acknowledged submission missing), duplicated (demands, events, outbox and inbox rows), pending, queued,
# and the status webhook (to a local receiver) sent, received, repeated.
#   tests/hardening/faults.sh     (FAULT_SECONDS=60, FAULT_PG_PORT, FAULT_REDIS_PORT, FAULT_HTTP_PORT)
set -euo pipefail
cd "$(dirname "$0")/../.."
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"
free_port() { local p=$1; while (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
pg_port="${FAULT_PG_PORT:-$(free_port 5441)}"
redis_port="${FAULT_REDIS_PORT:-$(free_port 6391)}"
http_port="${FAULT_HTTP_PORT:-$(free_port 8106)}"
hook_port="$(free_port $((http_port + 1)))"
seconds="${FAULT_SECONDS:-60}"
work="$(mktemp -d /tmp/qq-faults.XXXXXX)"
chown postgres "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
bin="$PWD/.venv/bin"
pids=()
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    for f in worker beat web; do echo "--- last lines of $f.log"; tail -n 25 "$work/$f.log" 2>/dev/null || true; done
  fi
  touch "$work/stop"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/*.pid; do [ -f "$f" ] && kill -- "-$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  [ -f "$work/pg/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$work/pg" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" "$pg_port" "$work" >>"$work/pg/postgresql.conf"
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start >/dev/null
"$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE qinqing"
start_redis() {
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --dir "$work" --appendonly yes \
    --save "" --logfile "$work/redis.log"
  for _ in $(seq 1 30); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.2; done
}
start_redis

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/qinqing" REDIS_URL="redis://127.0.0.1:$redis_port/0"
export QINQING_VAR_DIR="$work/var" SECRET_KEY="faults-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS="127.0.0.1" SECURE_COOKIES=0 DEBUG=0 QINQING_DEMO=0 LOG_LEVEL=ERROR RATE_LIMITS_ENABLED=0
export DJANGO_SETTINGS_MODULE=qinqing.settings
$bin/qinqing migrate --noinput --verbosity 0
read -r token enterprise category < <($bin/python -c "
import django; django.setup()
from qinqing.orgs.tree import load_tree
load_tree()
from qinqing.accounts.roles import Role
from qinqing.accounts.services import create_token
from qinqing.demands.models import Category
from tests.factories import EnterpriseFactory, make_user, unit
from qinqing.demands.models import DemandSettings
DemandSettings.objects.update_or_create(pk=1, defaults={'webhook_url': 'http://127.0.0.1:$hook_port/hook', 'webhook_secret': 'faults'})
ent = EnterpriseFactory(registered_unit=unit('昌吉市'), name='故障测试有限公司')
office = make_user('fault_office', unit_name='昌吉市营商环境服务中心', roles=[Role.DISPATCHER])
print(create_token(office, 'faults')[1], ent.pk, Category.objects.filter(parent__isnull=False).first().pk)
")
$bin/python tests/hardening/faults_driver.py receive "$hook_port" "$work/hooks.txt" & pids+=($!)
$bin/qinqing serve --bind "127.0.0.1:$http_port" --workers 2 >"$work/web.log" 2>&1 & pids+=($!)
# The worker and beat run as deploy/systemd's units run them (Restart=always, RestartSec=2): a Celery worker
# exits by design on some broker failures (kombu's "Unrecoverable error" when the Redis connection drops
# while it restores unacknowledged messages), and the service manager starts it again.
supervise() {
  local name=$1
  shift
  while [ ! -e "$work/stop" ]; do
    setsid "$@" >>"$work/$name.log" 2>&1 &
    echo $! >"$work/$name.pid"
    wait $! || true
    [ -e "$work/stop" ] && break
    echo "$name" >>"$work/restarts"
    sleep 2
  done
}
supervise worker $bin/celery -A qinqing worker -l "${FAULT_LOG_LEVEL:-error}" --concurrency 2 -n "faults-$$@%h" & pids+=($!)
supervise beat $bin/celery -A qinqing beat -l "${FAULT_LOG_LEVEL:-error}" --schedule "$work/beat-schedule" & pids+=($!)
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$http_port/healthz" && break; sleep 1; done

$bin/python tests/hardening/faults_driver.py load "http://127.0.0.1:$http_port/api/v1/demands/" "$token" \
  "$enterprise" "$category" "$seconds" "$work/acked.json" & load=$!
step=$((seconds / 4))
sleep "$step"
echo "fault 1: kill -9 the Celery worker (its process group, pool children mid-task); its supervisor starts it again"
kill -9 -- "-$(cat "$work/worker.pid")"
sleep "$step"
echo "fault 2: restart PostgreSQL (fast shutdown: open connections are cut)"
as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w restart -l "$work/pg.log" >/dev/null
sleep "$step"
echo "fault 3: restart Redis (broker and cache)"
redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || true
sleep 1
start_redis
wait "$load"

echo "draining: the outbox (demands.deliver_outbox) and the fact queue (analysis.process_queue), through beat"
status=0
$bin/python tests/hardening/faults_driver.py count "$work/acked.json" "$work/hooks.txt" || status=$?
for name in worker beat; do
  n=$(grep -cx "$name" "$work/restarts" 2>/dev/null || true)
  echo "$name restarted by its supervisor: ${n:-0} times"
done
exit "$status"
