#!/usr/bin/env bash
# Property-based API testing (schemathesis) against a running Qinqing: the staff schema (/api/schema/)
# and, when it exists, the public one, as three users (dispatcher, enterprise user, system administrator).
# Checks: no server error (5xx), every response conforms to the documented schema (status, body, content
# type). Prints the operations and examples per role. Exit non-zero on any failure.
#
#   DATABASE_URL=postgres://… tests/hardening/api_fuzz.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
examples="${1:-${FUZZ_MAX_EXAMPLES:-15}}"
port="${FUZZ_PORT:-8765}"
work="$(mktemp -d)"
export QINQING_VAR_DIR="$work" MEDIA_ROOT="$work/media" SECRET_KEY="fuzz-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS="127.0.0.1,localhost" SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 RATE_LIMITS_ENABLED=0
export ADMIN_TOTP_REQUIRED=0 QINQING_DEMO=0 DEBUG=0 LOG_LEVEL=WARNING
export DATABASE_URL="${DATABASE_URL:-sqlite:///$work/fuzz.sqlite3}"
bin="$PWD/.venv/bin"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

$bin/qinqing migrate --verbosity 0
$bin/qinqing shell -c "
from qinqing.core.demo import load_users
from qinqing.orgs.tree import load_tree
from qinqing.enterprises import demo as e
from qinqing.demands import demo as d
from qinqing.investment import demo as i
from qinqing.liaison import demo as l
load_tree(); load_users(); e.load(); load_users(); d.load(); i.load(); l.load()
from qinqing.accounts.models import User
from qinqing.accounts.services import create_token
with open('$work/tokens', 'w') as out:
    for name in ('changji_dispatcher', 'ent_demo', 'sysadmin'):
        user = User.objects.get(username=name)
        user.must_change_password = False
        user.save(update_fields=['must_change_password'])
        out.write(name + ' ' + create_token(user, 'fuzz', None)[1] + chr(10))
" >/dev/null
$bin/qinqing collectstatic --noinput --verbosity 0
$bin/gunicorn qinqing.wsgi:application --bind "127.0.0.1:$port" --workers 2 --timeout 60 \
  --error-logfile "$work/gunicorn.log" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/" && break; sleep 1; done

# The deterministic coverage phase (boundary and invalid values of every parameter) is the slow one: it
# runs for the roles in FUZZ_COVERAGE_ROLES; every role gets the examples and random fuzzing phases.
coverage_roles=" ${FUZZ_COVERAGE_ROLES:-changji_dispatcher} "
phases() { case "$coverage_roles" in *" $1 "*) echo examples,coverage,fuzzing ;; *) echo examples,fuzzing ;; esac; }
status=0
total_ops=0
total_cases=0
schemas=("/api/schema/")
if curl -fsS -o /dev/null "http://127.0.0.1:$port/api/public/schema/"; then schemas+=("/api/public/schema/"); fi
while read -r name token; do
  for schema in "${schemas[@]}"; do
    log="$work/st-$name-$(echo "$schema" | tr / _).log"
    set +e
    # run from the scratch directory: schemathesis keeps its example database in ./.schemathesis
    (cd "$work" && "$bin/st" run "http://127.0.0.1:$port$schema" -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --max-examples "$examples" --seed 20261203 --generation-deterministic --workers 2 \
      --request-timeout 30 --phases "$(phases "$name")" --no-color \
      --exclude-path '/api/v1/tokens/{id}/' </dev/null >"$log" 2>&1)
    rc=$?
    set -e
    ops=$(grep -oE 'Tested: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    cases=$(grep -oE '^ +[0-9]+ generated' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    total_ops=$((total_ops + ops)); total_cases=$((total_cases + cases))
    echo "schemathesis $name $schema: rc=$rc, $ops operations, $cases examples"
    if [ "$rc" != 0 ]; then
      status=1
      grep -E '^_{5,} |^- ST[0-9]+|^    (Received|Documented):' "$log" | head -150
    fi
    sed -n '/SUMMARY/,$p' "$log" | head -30
  done
done <"$work/tokens"
echo "schemathesis total: ${#schemas[@]} schema(s) x 3 roles, $total_ops operations, $total_cases examples; status=$status"
exit $status
