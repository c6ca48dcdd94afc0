"""Hostile text in the HTML forms that answer with a redirect and a message (the evaluation pages, the
promotion intentions and next steps), and over-long text at each service that used to cut it silently.

Per field and payload (the same PAYLOADS as test_hostile_forms): never a 500; the NUL refused by the guard
(400, nothing written); the 10,000 characters refused with a message naming the field by its label
(nothing written) or stored in full; everything else stored exactly, the script shown escaped. At the
services: an over-long value raises a ValidationError naming the field (标签不能超过N个字（现为M个字）)
and no row is written (row counts unchanged). The counts go to the battery's tally.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.core.nul import MESSAGE
from qinqing.evaluation import services as evaluation
from qinqing.evaluation.models import Evidence, IndicatorSystem, ReformMeasure, Round, Value, ValueChange
from qinqing.promotion.models import NextStep, Reception, Touch
from tests.demands.conftest import flow, people  # noqa: F401  (fixtures)
from tests.evaluation.conftest import evaluator, office, rnd, system  # noqa: F401  (fixtures)
from tests.hardening.hostile import LONG, tally
from tests.hardening.test_hostile_forms import CASES, ESCAPED, PAYLOADS, World, _api, _form_errors, world  # noqa: F401
from tests.liaison.conftest import cast, clock  # noqa: F401  (fixtures)
from tests.portal.conftest import editor, reviewer  # noqa: F401  (fixtures)
from tests.surveys.conftest import designer  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Post:
    """One page's form: PREPARE gives (url, body) for a try (a fresh object where a try uses one up)."""

    name: str
    fields: dict[str, tuple[str, int | None]]  # field → (label the message names, max_length or None)
    prepare: Callable[[], tuple[str, dict[str, Any]]]
    written: Callable[[], int]  # rows a successful post writes (history rows for an update)
    stored: Callable[[str], Any]  # the field's value on the object the last post wrote or changed
    page: Callable[[], str | None]  # where the value is shown (None: not shown on a page)
    formatted: dict[str, str] = field(default_factory=dict)  # field → why free text is refused there
    files: Callable[[], dict[str, Any]] = dict


def _run(client: Client, viewer: Client, case: Post) -> list[str]:
    problems: list[str] = []
    tried = safe = 0
    for name, (label, limit) in case.fields.items():
        for kind, payload in PAYLOADS.items():
            tried += 1
            url, body = case.prepare()
            before = case.written()
            client.cookies.pop("messages", None)  # only this post's messages (the earlier ones were not read)
            response = client.post(url, {**body, name: payload, **case.files()})
            written = case.written() - before
            said = (
                [str(m) for m in get_messages(response.wsgi_request)] if response.status_code != 400 else []
            )
            named = any(label in m for m in said) or name in _form_errors(response)
            where = f"{case.name}.{name} ← {kind}: {response.status_code} written {written} {said}"
            if kind == "nul":
                ok = response.status_code == 400 and MESSAGE in response.content.decode() and written == 0
            elif written == 0:  # refused: only the long text (or text in a formatted field), naming it
                fits = limit is None or len(payload) <= limit
                ok = response.status_code in (200, 302) and named and (not fits or name in case.formatted)
            else:
                ok = response.status_code == 302 and case.stored(name) == payload
                page = case.page()
                if ok and kind == "script" and page is not None:
                    html = viewer.get(page).content.decode()
                    ok = "<script>alert(1)" not in html and ESCAPED in html
                    where += "" if ok else " not escaped on the page"
            safe += ok
            if not ok:
                problems.append(where)
    tally(f"html form: {case.name}", tried, safe)
    return problems


def _latest(model: type[models.Model], name: str) -> Any:
    return getattr(model._default_manager.order_by("-pk").first(), name, None)


# --- the evaluation pages -------------------------------------------------------------------------
def _evaluation_posts(office: User, system: IndicatorSystem, rnd: Round) -> list[Post]:  # noqa: F811
    values = list(rnd.values.select_related("unit").order_by("pk"))
    value = values[0]

    def fresh(v: Value) -> Value:
        v.refresh_from_db()
        return v

    def submitted() -> tuple[str, dict[str, Any]]:
        """The first value entered and sent for review again (a return puts it back to entry)."""
        v = fresh(value)
        if v.status != "review":
            evaluation.enter_values(office, rnd, [evaluation.Entry(v.pk, v.version, "3")], submit=True)
        return reverse("evaluation:review", args=[rnd.pk]), {"value": [v.pk], "action": "return"}

    def overridable() -> tuple[str, dict[str, Any]]:
        v = fresh(values[1])
        return reverse("evaluation:value", args=[v.pk]), {
            "action": "override",
            "value": "5",
            "reason": "台账核实",
            "version": v.version,
        }

    history = ValueChange.objects.count
    units = [u.pk for u in rnd.units.order_by("path")]
    return [
        Post(
            "evaluation round",
            {"name": ("评价名称", 120)},
            lambda: (
                reverse("evaluation:round_create"),
                {
                    "name": "2027年营商环境评价",
                    "year": 2027,
                    "system": system.pk,
                    "units": units,
                    "starts_on": "2027-01-01",
                    "ends_on": "2027-12-31",
                },
            ),
            Round.objects.count,
            lambda name: _latest(Round, name),
            lambda: reverse("evaluation:round", args=[Round.objects.latest("pk").pk]),
        ),
        Post(
            "evaluation reform measure",
            {
                "topic": ("一级指标代码", 40),
                "title": ("举措", 120),
                "text": ("内容", None),
                "source": ("出处", 200),
            },
            lambda: (
                reverse("evaluation:measures"),
                {"topic": "T.A", "title": "一窗通办", "text": "开办企业一日办结。", "source": "国务院文件"},
            ),
            ReformMeasure.objects.count,
            lambda name: _latest(ReformMeasure, name),
            lambda: reverse("evaluation:measures"),
        ),
        Post(
            "evaluation override",
            {"value": ("修正后数值", 40), "reason": ("修正理由", None)},
            overridable,
            history,
            lambda name: getattr(fresh(values[1]), "override_reason" if name == "reason" else name),
            lambda: reverse("evaluation:value", args=[values[1].pk]),
            {"value": "数值"},
        ),
        Post(
            "evaluation evidence",
            {"note": ("说明", 200)},
            lambda: (reverse("evaluation:value", args=[values[2].pk]), {}),
            Evidence.objects.count,
            lambda name: _latest(Evidence, name),
            lambda: reverse("evaluation:value", args=[values[2].pk]),
            files=lambda: {"file": SimpleUploadedFile("台账.pdf", b"%PDF-1.4\n%fake\n", "application/pdf")},
        ),
        Post(
            "evaluation return comment",
            {"comment": ("审核意见", 200)},
            submitted,
            history,
            lambda name: fresh(value).review_comment,
            lambda: reverse("evaluation:entry", args=[rnd.pk]) + f"?unit={value.unit_id}",
        ),
    ]


def test_hostile_text_in_the_evaluation_forms(office: User, system: IndicatorSystem, rnd: Round) -> None:  # noqa: F811
    client = Client()
    client.force_login(office)
    problems = [p for case in _evaluation_posts(office, system, rnd) for p in _run(client, client, case)]
    assert problems == [], "\n".join(problems)


# --- promotion: intentions and next steps -------------------------------------------------------
def _reception(w: World) -> Reception:
    created = _api(w, "staff").post(CASES[7].path, CASES[7].base(w), format="json")
    assert created.status_code == 201, created.content[:300]
    return Reception.objects.get(pk=created.json()["id"])


def test_hostile_text_in_the_promotion_intentions_and_next_steps(world: World) -> None:  # noqa: F811
    reception = _reception(world)
    staff = world.staff
    page = reverse("promotion:reception", args=[reception.pk])
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    serial = iter(range(1, 1000))

    def step() -> NextStep:
        from qinqing.promotion import services

        return services.add_next_step(
            staff, reception, description="寄送园区资料", owner=staff, due_on=timezone.localdate()
        )

    def done() -> tuple[str, dict[str, Any]]:
        s = step()
        return reverse("promotion:step_done", args=[s.pk]), {"version": s.version, "next": page}

    lead = {
        "source": "province",
        "investor_type": "private",
        "industry_section": "C",
        "location_unit": world.county.pk,
        "planned_investment_wan": "20000",
    }
    cases = [
        Post(
            "promotion intention (new lead)",
            {
                "intention": ("投资意向", 300),
                "name": ("新线索：项目名称", 200),
                "investor_name": ("投资主体", 200),
                "investor_origin": ("投资方来源地", 40),
            },
            lambda: (
                reverse("promotion:intention", args=["reception", reception.pk]),
                {
                    **lead,
                    "intention": "拟投资铝基新材料项目",
                    "name": f"铝基新材料项目{next(serial)}",
                    "investor_name": "江苏某新材料有限公司",
                },
            ),
            Touch.objects.count,
            lambda name: _latest(Touch, "intention") if name == "intention" else _latest_project(name),
            lambda: page,
        ),
        Post(
            "promotion next step",
            {"description": ("下一步工作", 300)},
            lambda: (
                reverse("promotion:step_add", args=["reception", reception.pk]),
                {"description": "寄送园区资料", "owner": staff.pk, "due_on": due},
            ),
            NextStep.objects.count,
            lambda name: _latest(NextStep, name),
            lambda: page,
        ),
        Post(
            "promotion next step done",
            {"note": ("完成情况", 300)},
            done,
            lambda: NextStep.objects.filter(done_at__isnull=False).count(),
            lambda name: _latest(NextStep, "done_note"),
            lambda: page,
        ),
    ]
    client = Client()
    client.force_login(staff)
    problems = [p for case in cases for p in _run(client, client, case)]
    assert problems == [], "\n".join(problems)


def _latest_project(name: str) -> Any:
    from qinqing.investment.models import Project

    return _latest(Project, name)


# --- over-long text at the services: refused naming the field, nothing written -------------------
def _counts(*labels: str) -> dict[str, int]:
    from django.apps import apps

    return {
        m._meta.label: m._default_manager.count()
        for label in (*labels, "audit")
        for m in apps.get_app_config(label).get_models()
    }


def _refused(call: Callable[[], Any], expected: dict[str, list[str]], *labels: str) -> None:
    """CALL raises EXPECTED (the field named, both lengths) before any INSERT/UPDATE/DELETE; rows unchanged."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = _counts(*labels)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        call()
    writes = [
        q["sql"][:120] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]
    after = _counts(*labels)
    ok = refused.value.message_dict == expected and writes == [] and after == before
    tally("over-long text at the services", 1, int(ok))
    assert refused.value.message_dict == expected
    assert (writes, after) == ([], before)


WRITES = ("INSERT", "UPDATE", "DELETE")


def too_long(label: str, limit: int, size: int = len(LONG)) -> list[str]:
    return [f"{label}不能超过{limit}个字（现为{size}个字）"]


# path → (state, who, action, params, field, label, limit)
DEMAND_PATHS: dict[str, tuple[str, str, str, dict[str, Any], str, str, int]] = {
    "rate comment": ("replied", "ent", "rate", {"rating": 4, "comment": LONG}, "comment", "评价意见", 500),
    "extension reason": (
        "handling",
        "handler",
        "request_extension",
        {"days": 3, "reason": LONG},
        "reason",
        "延期理由",
        200,
    ),
    "reminder note": ("handling", "office", "remind", {"note": LONG}, "note", "催办意见", 500),
    "supervision note": ("handling", "office", "supervise", {"note": LONG}, "note", "督办意见", 500),
}


@pytest.mark.parametrize("path", list(DEMAND_PATHS))
def test_demands_refuse_over_long_text(path: str, flow: Any, people: Any) -> None:  # noqa: F811
    from qinqing.demands import services

    state, who, action, params, name, label, limit = DEMAND_PATHS[path]
    d = flow(state)
    user = getattr(people, who)
    _refused(
        lambda: services.perform(user, d.pk, action, d.version, **params),
        {name: too_long(label, limit)},
        "demands",
    )


LIAISON_PATHS = [
    "visit companions",
    "meeting title",
    "meeting location",
    "meeting chair",
    "follow-up action",
    "difficult reason",
    "decision note",
]


@pytest.mark.parametrize("path", LIAISON_PATHS)
def test_liaison_refuses_over_long_text(path: str, cast: Any, clock: Any) -> None:  # noqa: F811
    call: Callable[[], Any]
    expected: dict[str, list[str]]
    from qinqing.liaison import services
    from qinqing.liaison.models import EscalationProposal, MeetingKind
    from tests.liaison.conftest import drive, submit_demand
    from tests.liaison.test_escalation import township_demand

    if path == "visit companions":
        data = services.VisitData(cast.ent, dt.date(2026, 11, 20), "on_site", "融资", companions_text=LONG)
        call = lambda: services.log_visit(cast.changji_leader, data)  # noqa: E731
        expected = {"companions_text": too_long("其他陪同人员", 200)}
    elif path.startswith(("meeting", "follow-up")):
        handling = drive(cast, submit_demand(cast, title="供水管网压力不足"), "handling")
        meeting = services.MeetingData(
            kind=MeetingKind.COORDINATION,
            title="道路问题协调会",
            held_on=dt.date(2026, 11, 23),
            decisions="住建局牵头修复道路。",
            demands=[handling],
            follow_ups=[services.FollowUpData(demand=handling, action="一周内完成审批")],
        )
        if path == "follow-up action":
            meeting.follow_ups = [services.FollowUpData(demand=handling, action=LONG)]
            expected = {"follow_ups.1.action": too_long("落实事项1", 500)}
        else:
            name = path.split()[1]
            label, limit = {"title": ("会议名称", 200), "location": ("地点", 200), "chair": ("主持人", 50)}[
                name
            ]
            setattr(meeting, name, LONG)
            expected = {name: too_long(label, limit)}
        call = lambda: services.record_meeting(cast.office, meeting)  # noqa: E731
    elif path == "difficult reason":
        d = township_demand(cast)
        call = lambda: services.mark_difficult(cast.town_head, d.pk, reason=LONG)  # noqa: E731
        expected = {"reason": too_long("疑难原因", 300)}
    else:
        d = township_demand(cast)
        services.mark_difficult(cast.town_head, d.pk, reason="涉及多个部门")
        proposal = EscalationProposal.objects.get()
        call = lambda: services.decide_proposal(cast.office, proposal.pk, escalate=False, note=LONG)  # noqa: E731
        expected = {"note": too_long("决定意见", 300)}
    _refused(call, expected, "liaison", "demands")


PROMOTION_PATHS = [
    "reception firm origin",
    "reception firm name",
    "trip contact person",
    "trip contact note",
    "link intention",
    "intention",
    "intention people",
    "next step description",
    "next step done note",
]


@pytest.mark.parametrize("path", PROMOTION_PATHS)
def test_promotion_refuses_over_long_text(path: str, world: World) -> None:  # noqa: F811
    call: Callable[[], Any]
    expected: dict[str, list[str]]
    from qinqing.investment.models import Project
    from qinqing.promotion import services
    from qinqing.promotion.models import Trip

    staff = world.staff
    reception = _reception(world)
    created = _api(world, "staff").post(CASES[3].path, CASES[3].base(world), format="json")
    project = Project.objects.get(pk=created.json()["id"])
    if path.startswith("reception firm"):
        data = {k: v for k, v in CASES[7].base(world).items() if k != "firms"}
        key, label, limit = ("origin", "来源地", 40) if path.endswith("origin") else ("name", "企业名称", 200)
        firm = {"name": "江苏某新材料有限公司", "origin": "江苏省", key: LONG}
        call = lambda: services.create_reception(staff, data, [firm])  # noqa: E731
        expected = {"firms": [f"第1家企业：{too_long(label, limit)[0]}"]}
    elif path.startswith("trip contact"):
        trip = _api(world, "staff").post(CASES[6].path, CASES[6].base(world), format="json").json()
        key, label, limit = ("person", "联系人", 50) if path.endswith("person") else ("note", "洽谈情况", 300)
        body = {"firm_name": "江苏某新材料有限公司", key: LONG}
        call = lambda: services.add_contact(staff, Trip.objects.get(pk=trip["id"]), body)  # noqa: E731
        expected = {key: too_long(label, limit)}
    elif path == "link intention":
        call = lambda: services.link_project(staff, reception, project, intention=LONG)  # noqa: E731
        expected = {"intention": too_long("洽谈情况", 300)}
    elif path.startswith("intention"):
        words: dict[str, Any] = (
            {"intention": LONG} if path == "intention" else {"intention": "拟扩产", "people": LONG}
        )
        call = lambda: services.record_intention(staff, reception, project=project, **words)  # noqa: E731
        expected = (
            {"intention": too_long("投资意向", 300)}
            if path == "intention"
            else {"people": too_long("参加人员", 200)}
        )
    elif path == "next step description":
        call = lambda: services.add_next_step(  # noqa: E731
            staff, reception, description=LONG, owner=staff, due_on=timezone.localdate()
        )
        expected = {"description": too_long("下一步工作", 300)}
    else:
        step = services.add_next_step(
            staff, reception, description="寄送资料", owner=staff, due_on=timezone.localdate()
        )
        call = lambda: services.complete_next_step(staff, step, expected_version=step.version, note=LONG)  # noqa: E731
        expected = {"note": too_long("完成情况", 300)}
    _refused(call, expected, "promotion", "investment")


@pytest.mark.parametrize("path", ["termination reason", "publish comment", "withdrawal reason"])
def test_investment_refuses_over_long_text(path: str, world: World) -> None:  # noqa: F811
    call: Callable[[], Any]
    expected: dict[str, list[str]]
    from qinqing.investment import services
    from qinqing.investment.models import Project

    staff = world.staff
    created = _api(world, "staff").post(CASES[3].path, CASES[3].base(world), format="json")
    project = Project.objects.get(pk=created.json()["id"])
    if path == "termination reason":
        call = lambda: services.change_stage(  # noqa: E731
            staff,
            project,
            expected_version=project.version,
            to_stage="terminated",
            on=timezone.localdate(),
            reason=LONG,
        )
        expected = {"reason": too_long("终止原因", 200)}
    else:
        project = services.request_publish(staff, project, expected_version=project.version)
        if path == "publish comment":
            call = lambda: services.review_publish(  # noqa: E731
                staff, project, expected_version=project.version, approve=False, comment=LONG
            )
            expected = {"comment": too_long("发布审核意见", 200)}
        else:
            project = services.review_publish(staff, project, expected_version=project.version, approve=True)
            call = lambda: services.withdraw_publication(  # noqa: E731
                staff, project, expected_version=project.version, reason=LONG
            )
            expected = {"comment": too_long("下架原因", 196)}
    _refused(call, expected, "investment")


@pytest.mark.parametrize("path", ["source document", "return comment", "evidence note"])
def test_evaluation_refuses_over_long_text(path: str, office: User, rnd: Round) -> None:  # noqa: F811
    call: Callable[[], Any]
    expected: dict[str, list[str]]
    v = rnd.values.order_by("pk").first()
    assert v is not None
    if path == "source document":
        entry = evaluation.Entry(v.pk, v.version, "3", source_document=LONG)
        call = lambda: evaluation.enter_values(office, rnd, [entry])  # noqa: E731
        expected = {str(v.pk): too_long("资料来源", 200)}
    elif path == "return comment":
        evaluation.enter_values(office, rnd, [evaluation.Entry(v.pk, v.version, "3")], submit=True)
        call = lambda: evaluation.transition(office, rnd, [v.pk], "return", comment=LONG)  # noqa: E731
        expected = {"comment": too_long("审核意见", 200)}
    else:
        pdf = SimpleUploadedFile("台账.pdf", b"%PDF-1.4\n%fake\n", content_type="application/pdf")
        call = lambda: evaluation.add_evidence(office, v, pdf, note=LONG)  # noqa: E731
        expected = {"note": too_long("说明", 200)}
    _refused(call, expected, "evaluation")


@pytest.mark.parametrize("path", ["approve comment", "return comment", "file title", "edition title"])
def test_portal_refuses_over_long_text(path: str, editor: User, reviewer: User) -> None:  # noqa: F811
    from qinqing.portal import services
    from qinqing.portal.models import ContentKind

    call: Callable[[], Any]
    kind = ContentKind.POLICY if path == "file title" else ContentKind.NEWS
    entry = services.create_entry(editor, kind, {"title": "营商环境新闻", "data": {"date": "2026-05-01"}})
    if path.endswith("comment"):
        entry = services.submit_entry(editor, entry, expected_version=entry.version)
        act = services.approve_entry if path.startswith("approve") else services.return_entry
        call = lambda: act(reviewer, entry, expected_version=entry.version, comment=LONG)  # noqa: E731
        expected = {"comment": too_long("审核意见", 300)}
    elif path == "file title":
        pdf = SimpleUploadedFile("政策原文.pdf", b"%PDF-1.4\n%fake\n", content_type="application/pdf")
        call = lambda: services.add_entry_file(editor, entry, title=LONG, file=pdf)  # noqa: E731
        expected = {"title": too_long("附件名称", 100)}
    else:
        call = lambda: services.create_edition(reviewer, {"kind": "guide", "title": LONG})  # noqa: E731
        expected = {"title": too_long("书名", 100)}
    _refused(call, expected, "portal")


def test_surveys_library_refuses_an_over_long_title(designer: User) -> None:  # noqa: F811
    from qinqing.surveys import services

    question = {"id": "q2", "type": "yesno", "text": "是否办理过开办企业业务", "required": True}
    _refused(
        lambda: services.save_to_library(designer, LONG, question),
        {"title": too_long("名称", 200)},
        "surveys",
    )


@pytest.mark.parametrize("path", ["registration number", "annual report section"])
def test_chambers_refuse_over_long_text(path: str, tree: None) -> None:
    from qinqing.accounts.roles import Role
    from qinqing.chambers import inspections, rules
    from qinqing.chambers import services as chambers
    from qinqing.chambers.models import AnnualReport
    from tests.chambers import builders

    call: Callable[[], Any]
    staff = builders.bureau(role=Role.UNIT_HEAD)
    org, org_user = builders.org_account(staff, name="乌鲁木齐江苏商会", origin="江苏省")
    if path == "registration number":
        builders.make_ready(org)
        app = chambers.start_application(org_user, org, rules.AppKind.REGISTRATION)
        builders.upload_all(org_user, app)
        app = chambers.submit_application(org_user, app, expected_version=app.version)
        call = lambda: chambers.approve_application(  # noqa: E731
            staff, app, expected_version=app.version, registration_number=LONG
        )
        expected = {"registration_number": too_long("民政登记证号", 40)}
    else:
        builders.registered(staff, org_user, org)
        campaign = inspections.open_campaign(staff, area=builders.unit("乌鲁木齐市"), year=2026)
        report = AnnualReport.objects.get(campaign=campaign, organisation=org)
        key, label = rules.REPORT_SECTIONS[0]
        call = lambda: inspections.save_report(  # noqa: E731
            org_user, report, {key: LONG}, expected_version=report.version
        )
        expected = {key: too_long(label, 5000)}
    _refused(call, expected, "chambers")


def test_evaluation_import_refuses_an_over_long_source(evaluator: User, rnd: Round) -> None:  # noqa: F811
    """The grid import reports the row (and writes nothing) instead of cutting the source at 200."""
    from qinqing.evaluation import importing

    content = f"单位,指标代码,数值,资料来源,备注\n天山区,T.A.P,3,台账,\n新市区,T.A.D,2,{LONG},\n".encode()
    before = _counts("evaluation")
    result = importing.import_values(evaluator, rnd, "grid.csv", content)
    ok = result.errors == [(3, too_long("资料来源", 200)[0])] and _counts("evaluation") == before
    tally("over-long text at the services", 1, int(ok))
    assert (result.errors, result.saved) == ([(3, too_long("资料来源", 200)[0])], 0)
    assert _counts("evaluation") == before
