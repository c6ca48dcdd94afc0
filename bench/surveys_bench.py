"""Surveys benchmark (issue 12): 10 counties and parks, 100,000 responses to a 40-question questionnaire.

Builds PostgreSQL database qq_bench_surveys (COPY for the responses and their dimension scores), serves
the app with gunicorn and measures:

- answering pages (an invitation's page, first visit and a saved page) — target p95 ≤ 100 ms;
- completed responses per minute through the public answering API (whole questionnaire, submit) —
  target ≥ 300 per minute;
- the prefecture's results page — target ≤ 1 s;
- one unit's report (PDF and Word, in process) — target ≤ 10 s.

Prints the figures (bench/RESULTS.md is written by the maintainer from them).

Reproduce:  .venv/bin/python -m bench.surveys_bench           (add --keep to reuse the generated database)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from typing import Any

from bench import harness

DB = "qq_bench_surveys"
RESPONSES = 100_000
UNITS = [
    "天山区", "沙依巴克区", "新市区", "水磨沟区", "头屯河区", "达坂城区", "米东区", "乌鲁木齐县",
    "乌鲁木齐经济技术开发区", "乌鲁木齐高新技术产业开发区",
]  # fmt: skip
DIMS = ["efficiency", "accuracy", "convenience", "attitude"]
SCALES = ["micro", "small", "medium", "large"]
TOKENS_PAGES = 600
TOKENS_API = 1500
TARGETS = {"pages p95 ms": 100.0, "api per minute": 300.0, "results ms": 1000.0, "report ms": 10000.0}


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


def say(msg: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {msg}", flush=True)


def definition() -> dict[str, Any]:
    """40 questions in 8 sections: per section 2 five-level items, 1 matrix of 3, 1 choice, 1 yes/no or text."""
    sections = []
    n = 1
    for s in range(8):
        dim = DIMS[s % 4]
        qs: list[dict[str, Any]] = [
            {
                "id": f"q{n}",
                "type": "scale5",
                "text": f"第{n}题 总体评价",
                "required": True,
                "dimension": dim,
                "weight": 2,
            },
            {
                "id": f"q{n + 1}",
                "type": "scale5",
                "text": f"第{n + 1}题 评价",
                "required": True,
                "dimension": dim,
                "weight": 1,
            },
            {
                "id": f"q{n + 2}",
                "type": "matrix",
                "text": f"第{n + 2}题 分项",
                "required": True,
                "items": [
                    {"id": f"q{n + 2}_{i}", "text": f"分项{i}", "dimension": dim, "weight": 1}
                    for i in (1, 2, 3)
                ],
            },
            {
                "id": f"q{n + 3}",
                "type": "single",
                "text": f"第{n + 3}题 渠道",
                "required": True,
                "options": [{"value": v, "label": v} for v in ("a", "b", "c", "d")],
            },
        ]
        if s % 2:
            qs.append(
                {"id": f"q{n + 4}", "type": "textarea", "text": f"第{n + 4}题 意见建议", "max_length": 500}
            )
        else:
            qs.append(
                {"id": f"q{n + 4}", "type": "yesno", "text": f"第{n + 4}题 是否网上办理", "required": True}
            )
        sections.append({"id": f"s{s + 1}", "title": f"第{s + 1}部分", "questions": qs})
        n += 5
    return {"title": "营商环境满意度（基准）", "sections": sections}


TEXTS = [
    "审批时限还可以压缩",
    "窗口服务态度好",
    "网上办事系统偶尔卡顿",
    "希望减少重复提交材料",
    "供电报装很快",
    "",
]


def answers(rng: random.Random, bias: float) -> dict[str, Any]:
    def level() -> int:
        x = rng.random() + bias
        return 5 if x > 1.15 else 4 if x > 0.7 else 3 if x > 0.35 else 2 if x > 0.15 else 1

    out: dict[str, Any] = {}
    n = 1
    for s in range(8):
        out[f"q{n}"] = level()
        out[f"q{n + 1}"] = level()
        out[f"q{n + 2}"] = {f"q{n + 2}_{i}": level() for i in (1, 2, 3)}
        out[f"q{n + 3}"] = rng.choice("abcd")
        if s % 2:
            text = rng.choice(TEXTS)
            if text:
                out[f"q{n + 4}"] = text
        else:
            out[f"q{n + 4}"] = rng.choice(["yes", "no"])
        n += 5
    return out


def generate(started: float) -> None:
    harness.recreate_database(DB)
    subprocess.run(
        [str(harness.VENV_BIN / "qinqing"), "migrate", "--verbosity", "0"],
        env=harness.django_env(DB),
        cwd=harness.ROOT,
        check=True,
    )
    say("migrated", started)
    harness.setup_django(DB)
    from django.db import connection

    from qinqing.accounts.models import User, UserRole
    from qinqing.accounts.roles import Role
    from qinqing.orgs.models import Unit
    from qinqing.orgs.tree import load_tree
    from qinqing.surveys import schema, services

    load_tree()
    user = User(
        username="bench_sv_urumqi", full_name="基准调度", unit=Unit.objects.get(name="乌鲁木齐市招商服务局")
    )
    user.set_password("Bench-Pass-2026")
    user.save()
    UserRole.objects.create(user=user, role=Role.DISPATCHER)
    q = services.publish(user, services.create_questionnaire(user, "营商环境满意度（基准）", definition()))
    units = [Unit.objects.get(name=n) for n in UNITS]
    today = dt.date.today()
    survey = services.create_survey(
        user,
        questionnaire=q,
        units=units,
        title="基准调查",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=30),
        anonymous=True,
        allow_open_link=True,
        strata_fields=["scale"],
    )
    services.transition(user, survey, "open", survey.lock_version)
    parsed = schema.Definition.parse(q.definition)
    rng = random.Random(20261203)
    day = today - dt.timedelta(days=3)
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor() as cur:
            with cur.copy(
                "COPY surveys_response (id, survey_id, unit_id, stratum, mode, submitted_on, answers, index, "
                "satisfied, rated, valid, consent_notice) FROM STDIN"
            ) as copy_r:
                scores: list[tuple[Any, ...]] = []
                for i in range(RESPONSES):
                    unit = units[i % len(units)]
                    bias = 0.2 + 0.04 * (i % len(units))
                    a = answers(rng, bias)
                    s = parsed.score(a)
                    rid = uuid.uuid4()
                    stratum = rng.choice(SCALES)
                    copy_r.write_row(
                        (rid, survey.pk, unit.pk, stratum, "open", day, json.dumps(a, ensure_ascii=False),
                         f"{s.index:.2f}", s.satisfied, s.rated, True, "")
                    )  # fmt: skip
                    scores.append((uuid.uuid4(), rid, survey.pk, unit.pk, stratum, "", s.index))
                    scores += [
                        (uuid.uuid4(), rid, survey.pk, unit.pk, stratum, d, v)
                        for d, v in s.dimensions.items()
                    ]
            say(f"{RESPONSES} responses copied", started)
            with cur.copy(
                "COPY surveys_dimensionscore (id, response_id, survey_id, unit_id, stratum, dimension, score) FROM STDIN"
            ) as copy_s:
                for row in scores:
                    copy_s.write_row(row)
        raw.commit()
        cursor.execute("ANALYZE")
    say(f"{len(scores)} dimension scores copied", started)


def save_pages(base: str, tokens: list[str], form: str) -> harness.Figures:
    """Each respondent: open the page (cookies and CSRF token), then save page 1; the POST is timed."""
    import http.client
    import re
    import statistics

    host, port = base.split(":")
    latencies: list[float] = []
    errors = 0
    begun = time.monotonic()
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    for t in tokens:
        conn.request("GET", f"/surveys/t/{t}/")
        r = conn.getresponse()
        html = r.read().decode()
        cookies = "; ".join(c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or [])
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        body = (form + "&csrfmiddlewaretoken=" + (match.group(1) if match else "")).encode()
        t0 = time.perf_counter()
        conn.request(
            "POST",
            f"/surveys/t/{t}/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookies,
                "Referer": f"http://{base}/",
            },
        )
        r = conn.getresponse()
        r.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        errors += r.status != 302
    conn.close()
    return harness.Figures(
        "answering page, save a page (POST → next page)",
        len(latencies),
        errors,
        time.monotonic() - begun,
        statistics.median(latencies),
        harness.percentile(latencies, 95),
        harness.percentile(latencies, 99),
        max(latencies),
    )


def make_invitations(started: float) -> None:
    """Fresh invitations with known tokens for this run (their hashes stored, as services do)."""
    from qinqing.orgs.models import Unit
    from qinqing.surveys import services
    from qinqing.surveys.models import Invitation, Survey

    survey = Survey.objects.get(title="基准调查")
    units = [Unit.objects.get(name=n) for n in UNITS]
    tokens = []
    invitations = []
    for i in range(TOKENS_PAGES + TOKENS_API):
        token = f"bench{i:06d}{uuid.uuid4().hex}"
        tokens.append(token)
        invitations.append(
            Invitation(
                survey=survey,
                unit=units[i % len(units)],
                stratum=SCALES[i % 4],
                token_hash=services.token_hash(token),
                sent=True,
            )
        )
    Invitation.objects.bulk_create(invitations)
    (harness.ROOT / "var" / "bench_surveys_tokens.json").write_text(
        json.dumps({"survey": survey.pk, "tokens": tokens})
    )
    say("invitations made", started)


def main() -> int:
    started = time.monotonic()
    print("load before:", loadavg(), flush=True)
    os.environ.setdefault("QINQING_DEMO", "1")
    # The standing limit on unauthenticated requests per address (core.ratelimit "anon:ip") would stop a
    # load test from one address after a few hundred requests; respondents come from many addresses.
    os.environ["RATE_LIMITS_ENABLED"] = "0"
    token_file = harness.ROOT / "var" / "bench_surveys_tokens.json"
    if "--keep" not in sys.argv or not harness.database_exists(DB):
        generate(started)
    else:
        harness.setup_django(DB)
    make_invitations(started)
    from qinqing.accounts.models import User
    from qinqing.orgs.models import Unit
    from qinqing.surveys import queries, reports
    from qinqing.surveys.models import Response, Survey

    data = json.loads(token_file.read_text())
    survey = Survey.objects.get(pk=data["survey"])
    tokens: list[str] = data["tokens"]
    page_tokens, api_tokens = tokens[:TOKENS_PAGES], tokens[TOKENS_PAGES:]
    print(f"responses in the database: {Response.objects.filter(survey=survey).count()}")
    cookie = harness.session_cookie("bench_sv_urumqi")
    body = {k: v for k, v in answers(random.Random(1), 0.5).items()}
    page1 = "page=0&action=next&q1=5&q2=4&q3__q3_1=4&q3__q3_2=4&q3__q3_3=3&q4=a&q5=yes"
    rows = []
    with harness.gunicorn(DB, workers=3) as base:
        # answering pages: first visit (creates the draft), then the saved first page (POST → redirect)
        gets = [("GET", f"/surveys/t/{t}/", None, {}) for t in page_tokens]
        rows.append(
            harness.load(base, "answering page, first visit (GET)", gets, concurrency=2, max_seconds=120)
        )
        rows.append(save_pages(base, page_tokens[:300], page1))
        submits = [
            ("POST", f"/api/v1/surveys/answer/token/{t}/", harness.json_body({"answers": body, "submit": True}),
             {"Content-Type": "application/json"})
            for t in api_tokens
        ]  # fmt: skip
        api = harness.load(
            base,
            "public API: complete response (submit)",
            submits,
            concurrency=4,
            max_seconds=240,
            expect=(201,),
        )
        rows.append(api)
        results = [("GET", f"/surveys/{survey.pk}/results/", None, {"Cookie": cookie})] * 20
        rows.append(
            harness.load(
                base,
                "results page, prefecture (10 units, 100k responses)",
                results,
                concurrency=1,
                max_seconds=120,
            )
        )
    user = User.objects.get(username="bench_sv_urumqi")
    unit = Unit.objects.get(name="天山区")
    rows.append(
        harness.timed(
            "unit report PDF + Word (in process)", lambda: reports.generate(user, survey, unit), repeat=3
        )
    )
    rows.append(
        harness.timed(
            "results query (in process)", lambda: queries.results(survey, list(survey.units.all())), repeat=5
        )
    )
    print()
    print(harness.machine_line())
    print(harness.TABLE_HEADER)
    for r in rows:
        print(r.row())
    print(
        f"\ncompleted responses per minute through the API: {api.rps * 60:.0f} (target ≥ 300; {api.errors} errors)"
    )
    print("load after:", loadavg())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
