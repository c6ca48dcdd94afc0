#!/usr/bin/env bash
# Smoke test of the compose-free reference deployment on this machine: a fresh PostgreSQL database,
# migrate, collectstatic, `qinqing serve` (gunicorn, 2 workers) and a Celery worker on Redis, then a user
# logs in through the login form (CSRF and all) and sees the home page; the worker answers a ping.
#   DATABASE_URL=postgres://…/fresh_db REDIS_URL=redis://127.0.0.1:6379/14 tests/hardening/smoke_deploy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
port="${SMOKE_PORT:-8766}"
work="$(mktemp -d)"
export QINQING_VAR_DIR="$work" SECRET_KEY="smoke-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS="127.0.0.1" SECURE_COOKIES=0 DEBUG=0 QINQING_DEMO=0 LOG_LEVEL=WARNING
: "${DATABASE_URL:?set DATABASE_URL to a new, empty database}" "${REDIS_URL:?set REDIS_URL}"
bin="$PWD/.venv/bin"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

$bin/qinqing check --deploy --fail-level ERROR >/dev/null
$bin/qinqing migrate --noinput --verbosity 0
$bin/qinqing collectstatic --noinput --verbosity 0
$bin/qinqing shell -c "
from qinqing.orgs.tree import load_tree
from qinqing.orgs.models import Unit
from qinqing.accounts.models import User, UserRole
load_tree()
u = User(username='smoke_dispatcher', full_name='冒烟测试', unit=Unit.objects.get(name='昌吉市营商环境服务中心'))
u.set_password('Smoke-Pass-2026'); u.must_change_password = False; u.save()
UserRole.objects.create(user=u, role='dispatcher')
" >/dev/null
$bin/qinqing serve --bind "127.0.0.1:$port" --workers 2 >"$work/web.log" 2>&1 & pids+=($!)
$bin/celery -A qinqing worker -l warning --concurrency 1 -n "smoke-$$@%h" >"$work/worker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/" && break; sleep 1; done

jar="$work/cookies"
curl -fsS -c "$jar" -o "$work/login.html" "http://127.0.0.1:$port/accounts/login/"
token=$(awk '$6 == "csrftoken" {print $7}' "$jar")
code=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
  -H "Referer: http://127.0.0.1:$port/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=smoke_dispatcher" \
  --data-urlencode "password=Smoke-Pass-2026" "http://127.0.0.1:$port/accounts/login/")
echo "login POST: $code"
[ "${code%% *}" = 302 ]
home=$(curl -fsS -b "$jar" "http://127.0.0.1:$port/")
echo "$home" | grep -q "冒烟测试" || { echo "home page does not show the user"; exit 1; }
headers=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$port/accounts/login/")
echo "$headers" | grep -qi "^content-security-policy: default-src 'self'; script-src 'self';" || { echo "no CSP"; exit 1; }
ok=0
for _ in $(seq 1 30); do
  if $bin/celery -A qinqing inspect ping -d "smoke-$$@$(hostname)" --timeout 2 >/dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ "$ok" = 1 ] || { echo "worker did not answer"; tail -20 "$work/worker.log"; exit 1; }
echo "smoke deploy: gunicorn (2 workers) + Celery worker up, smoke_dispatcher logged in and saw the home page"
