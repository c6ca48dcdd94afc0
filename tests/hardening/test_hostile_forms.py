"""Hostile text in every main create endpoint: each free-text field of each POST operation (enumerated from
the OpenAPI schema: its string fields without enum or format) receives 10,000 characters, a NUL,
emoji/4-byte and full-width text, and HTML with script.

Expected, per field: never a 500; the long text is refused with an error naming the field or stored in
full (never truncated); the NUL is refused by ``core.nul.NulGuardMiddleware``; emoji and full-width text
are stored exactly (read back through the API); the script is stored as text and the object's detail and
list pages show it escaped, never as markup. The battery prints its counts (tests/hardening/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.core.nul import MESSAGE
from qinqing.demands.models import Category
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from qinqing.portal.models import Inquiry
from qinqing.surveys import services
from tests.factories import EnterpriseFactory, credit_code, make_user, unit
from tests.hardening.hostile import EMOJI, LONG, NUL, tally
from tests.surveys.conftest import DEFINITION, designer  # noqa: F401  (designer is a fixture)

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FULLWIDTH = "全角ＡＢＣ１２３（测试）＜ｂ＞＆"
# twice: a free-text field may want at least 10 characters (洽谈内容请至少写 10 个字)
PAYLOADS = {"long": LONG, "nul": NUL, "emoji": EMOJI * 2, "fullwidth": FULLWIDTH, "script": SCRIPT}

pytestmark = pytest.mark.django_db


@cache
def openapi() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    components = openapi()["components"]["schemas"]
    if "$ref" in node:
        return components[node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        return _resolve(node["allOf"][0])
    return node


def text_fields(path: str, method: str = "post") -> dict[str, int | None]:
    """The writable free-text fields of METHOD PATH's JSON body and their maxLength (None: unlimited)."""
    body = openapi()["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    out: dict[str, int | None] = {}
    for name, prop in _resolve(body)["properties"].items():
        node = _resolve(prop)
        if prop.get("readOnly") or node.get("type") != "string" or "enum" in node or "format" in node:
            continue
        out[name] = prop.get("maxLength", node.get("maxLength"))
    return out


@dataclass
class World:
    staff: User
    ent_user: User
    leader: User
    sysadmin: User
    enterprise: Enterprise
    county: Unit
    category: Category
    serial: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # the POST operation (as in the schema)
    who: str  # a World attribute, or "" for an anonymous caller
    base: Callable[[World], dict[str, Any]]
    pages: Callable[[dict[str, Any]], list[str]]  # pages showing the created object (from the 201 body)
    shown: tuple[str, ...]  # fields the detail page displays (their script must appear escaped there)
    formatted: dict[str, str] = field(default_factory=dict)  # field → why free text is refused there
    detail: str = "{path}{id}/"  # where the API reads the object back
    model: Callable[[dict[str, Any]], Any] | None = None  # else the stored object itself (no API to read)
    page_user: Callable[[Any], User] | None = None  # who views the pages (default: the staff user)


def _inquiry(created: dict[str, Any]) -> Inquiry:
    return Inquiry.objects.select_related("unit").get(token=created["token"])


def _day(days_ago: int = 3) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


CASES = [
    Case(
        "demands (staff)",
        "/api/v1/demands/",
        "staff",
        lambda w: {
            "category": w.category.pk,
            "demand_type": "help",
            "title": "用地手续办理缓慢",
            "description": "扩建项目用地手续已提交三个月。",
            "enterprise": w.enterprise.pk,
            "channel": "phone",
            "contact_name": "李四",
            "contact_phone": "13812341234",
            "external_ref": f"EXT-{w.serial()}",
        },
        lambda r: [reverse("demands:detail", args=[r["id"]]), reverse("demands:list")],
        ("title", "description"),
        {"contact_phone": "手机号码格式", "external_ref": "外部编号只许字母数字"},
    ),
    Case(
        "demands (enterprise)",
        "/api/v1/demands/",
        "ent_user",
        lambda w: {
            "category": w.category.pk,
            "demand_type": "consult",
            "title": "政策咨询",
            "description": "想了解技改补贴政策。",
            "contact_name": "王经理",
            "contact_phone": "13900001111",
        },
        lambda r: [reverse("demands:detail", args=[r["id"]]), reverse("demands:list")],
        ("title", "description"),
        {"contact_phone": "手机号码格式", "external_ref": "外部编号只许字母数字"},
    ),
    Case(
        "enterprises",
        "/api/v1/enterprises/",
        "staff",
        lambda w: {
            "name": f"昌吉测试企业{w.serial()}有限公司",
            "credit_code": credit_code("652301"),
            "industry_section": "C",
            "scale": "small",
            "ownership": "private",
            "registered_unit": w.county.pk,
            "legal_representative": "张三",
            "address": "昌吉市北京南路1号",
        },
        lambda r: [reverse("enterprises:detail", args=[r["id"]]), reverse("enterprises:list")],
        ("name", "legal_representative", "address"),
        {"credit_code": "统一社会信用代码校验"},
    ),
    Case(
        "investment projects",
        "/api/v1/projects/",
        "staff",
        lambda w: {
            "name": f"新材料产业园项目{w.serial()}",
            "investor_name": "江苏某新材料有限公司",
            "investor_origin": "江苏省",
            "source": "province",
            "investor_type": "private",
            "sector": 2,
            "industry_section": "C",
            "location_unit": w.county.pk,
            "planned_investment_wan": "50000",
            "responsible_leader": "市领导",
            "summary": "年产10万吨铝基新材料。",
        },
        lambda r: [reverse("investment:detail", args=[r["id"]]), reverse("investment:list")],
        ("name", "investor_name"),  # the summary is not on the project page
        {"investor_credit_code": "统一社会信用代码校验"},
    ),
    Case(
        "liaison visits",
        "/api/v1/liaison/visits/",
        "leader",
        lambda w: {
            "enterprise": w.enterprise.pk,
            "visited_on": _day(),
            "form": "on_site",
            "topics": "融资",
            "situation": "企业生产正常。",
            "companions_text": "办公室主任",
            "contact_name": "王经理",
            "contact_phone": "13900001111",
        },
        lambda r: [reverse("liaison:visit", args=[r["id"]]), reverse("liaison:visits")],
        ("topics", "situation"),
        {"contact_phone": "手机号码格式"},
    ),
    Case(
        "surveys questionnaires",
        "/api/v1/surveys/questionnaires/",
        "staff",
        lambda w: {"title": "政务服务满意度问卷"},
        lambda r: [reverse("surveys:questionnaire", args=[r["id"]]), reverse("surveys:questionnaires")],
        ("title",),
    ),
    Case(
        "promotion trips",
        "/api/v1/promotion/trips/",
        "staff",
        lambda w: {
            "kind": "squad",
            "organiser": "own",
            "title": "赴江苏招商小分队",
            "province": "江苏省",
            "city": "南京市",
            "start_date": _day(10),
            "end_date": _day(8),
            "participants": 3,
            "participant_names": "张三、李四、王五",
            "summary": "拜访企业三家。",
        },
        lambda r: [reverse("promotion:trip", args=[r["id"]]), reverse("promotion:trips")],
        ("title", "summary"),
        {"province": "省份须从列表中选择"},
    ),
    Case(
        "promotion receptions",
        "/api/v1/promotion/receptions/",
        "staff",
        lambda w: {
            "title": "江苏企业家考察团",
            "origin": "江苏省",
            "start_date": _day(10),
            "end_date": _day(9),
            "delegation_size": 8,
            "delegation_leaders": "张总",
            "hosts": "市招商局",
            "accompanying_leaders": "市领导",
            "itinerary": "参观产业园。",
            "outcome": "达成初步意向。",
            "firms": [{"name": "江苏某新材料有限公司", "origin": "江苏省"}],
        },
        lambda r: [reverse("promotion:reception", args=[r["id"]]), reverse("promotion:receptions")],
        ("title", "itinerary", "outcome"),
    ),
    Case(
        "kpi maintenance requests",
        "/api/v1/kpi/requests/",
        "sysadmin",
        lambda w: {"system": "platform", "title": "无法登录", "description": "登录页报错。"},
        lambda r: [reverse("kpi:request_edit", args=[r["id"]]), reverse("kpi:requests")],
        ("title", "description"),
    ),
    Case(
        "portal inquiries (public)",
        "/api/public/v1/inquiries/",
        "",
        lambda w: {
            "company": f"江苏某新材料有限公司{w.serial()}",
            "contact": "王经理",
            "phone": f"139{w.serial():08d}",
            "message": "我公司拟投资铝基新材料项目，希望了解用地政策。",
            "consent": True,
        },
        lambda r: [reverse("portal:inquiry", args=[_inquiry(r).pk]), reverse("portal:inquiries")],
        ("company", "contact", "message"),
        {"phone": "手机号码格式", "sms_code": "短信验证码为数字", "notice_version": "告知书版本号"},
        model=lambda r: _inquiry(r),
        page_user=lambda obj: make_user(
            f"hostile_inq{obj.pk}", unit_name=obj.unit.name, roles=[Role.DISPATCHER]
        ),
    ),
]


@pytest.fixture
def world(tree: None) -> World:
    county = unit("昌吉市")
    ent = cast(Enterprise, EnterpriseFactory(registered_unit=county, name="昌吉市示范制造有限公司"))
    staff = make_user(
        "hostile_staff",
        unit_name="昌吉市营商环境服务中心",
        roles=[Role.DISPATCHER, Role.UNIT_HEAD, Role.STATS_FILER],
    )
    leader = make_user("hostile_leader", unit_name="昌吉市", roles=[Role.LEADER], full_name="市领导")
    api = APIClient()
    api.force_authenticate(
        make_user("hostile_pref", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])
    )
    assigned = api.post(
        "/api/v1/liaison/assignments/",
        {"leader": leader.pk, "enterprise": ent.pk, "start_date": _day(300)},
        format="json",
    )
    assert assigned.status_code == 201, assigned.content[:300]
    return World(
        staff=staff,
        ent_user=make_user("hostile_ent", enterprise=ent, roles=[Role.ENTERPRISE]),
        leader=leader,
        sysadmin=make_user("hostile_sysadmin", unit_name="昌吉州营商环境服务中心", roles=[Role.SYSADMIN]),
        enterprise=ent,
        county=county,
        category=Category.objects.get(name="用地", parent__isnull=False),
    )


def _api(w: World, who: str) -> APIClient:
    client = APIClient()
    if who:
        client.force_authenticate(getattr(w, who))
    return client


def _page_viewer(w: World, case: Case, created: dict[str, Any]) -> Client:
    client = Client()
    if case.page_user is not None and case.model is not None:
        client.force_login(case.page_user(case.model(created)))
    else:
        client.force_login(w.sysadmin if case.who == "sysadmin" else w.staff)
    return client


def _stored(w: World, case: Case, created: dict[str, Any], name: str) -> Any:
    if case.model is not None:
        return getattr(case.model(created), name, _MISSING)
    url = case.detail.format(path=case.path, id=created["id"])
    response = _api(w, case.who or "staff").get(url)
    assert response.status_code == 200, (case.name, url, response.content[:200])
    return response.json().get(name, created.get(name, _MISSING))


_MISSING = object()


def _judge(
    world: World, case: Case, name: str, limit: int | None, kind: str, response: Any
) -> tuple[bool, str]:
    """One hostile value of field NAME sent to CASE (created: 201, edited: 200), judged by the rules above."""
    payload = PAYLOADS[kind]
    status = response.status_code
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    where = f"{case.name}.{name} ← {kind}: {response.request['REQUEST_METHOD']} {status}"
    if kind == "nul":
        return status == 400 and body.get("code") == "null_character" and name in body["fields"], where
    if status == 400:
        # a refusal must name the field; free text within the limit must not be refused (the long text may
        # also meet a limit of the serializer's own, e.g. 诉求内容不能超过4000个字)
        fits = limit is None or len(payload) <= limit
        ok = name in body.get("fields", {}) and (kind == "long" or not fits or name in case.formatted)
        return ok, where if ok else f"{where} {body}"
    if status not in (200, 201):
        return False, where
    stored = _stored(world, case, body, name)
    if stored is not _MISSING and stored != payload:  # (write-only fields cannot be read back)
        return False, f"{where} stored {str(stored)[:40]!r}… ({len(str(stored))} chars)"
    if kind == "script":
        viewer = _page_viewer(world, case, body)
        for i, url in enumerate(case.pages(body)):
            html = viewer.get(url).content.decode()
            if "<script>alert(1)" in html or "onerror=alert(1)>" in html:
                return False, f"{where} unescaped on {url}"
            if name in case.shown and i == 0 and ESCAPED not in html:
                return False, f"{where} not shown escaped on {url}"
    return True, where


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_text_in_every_field(world: World, case: Case, settings: Any) -> None:
    settings.PORTAL_SMS_CHECK = False
    fields = text_fields(case.path)
    assert fields, case.path
    problems: list[str] = []
    tried = safe = 0
    api = _api(world, case.who)
    for name, limit in fields.items():
        for kind, payload in PAYLOADS.items():
            tried += 1
            address = f"10.9.{tried // 200}.{tried % 200 + 1}"  # the portal limits inquiries per address
            response = api.post(
                case.path, {**case.base(world), name: payload}, format="json", REMOTE_ADDR=address
            )
            ok, where = _judge(world, case, name, limit, kind, response)
            safe += ok
            if not ok:
                problems.append(where)
    tally(f"text fields: {case.name}", tried, safe)
    assert problems == [], "\n".join(problems)


EDITABLE = [c for c in CASES if "patch" in openapi()["paths"].get(c.path + "{id}/", {})]


@pytest.mark.parametrize("case", EDITABLE, ids=[c.name for c in EDITABLE])
def test_hostile_text_in_every_edit(world: World, case: Case) -> None:
    """The same values through PATCH of one created object (with its current version where it has one)."""
    api = _api(world, case.who)
    created = api.post(case.path, case.base(world), format="json")
    assert created.status_code == 201, created.content[:300]
    url = f"{case.path}{created.json()['id']}/"
    problems: list[str] = []
    tried = safe = 0
    for name, limit in text_fields(case.path + "{id}/", "patch").items():
        for kind, payload in PAYLOADS.items():
            tried += 1
            current = api.get(url).json()
            body = {name: payload} | ({"version": current["version"]} if "version" in current else {})
            ok, where = _judge(world, case, name, limit, kind, api.patch(url, body, format="json"))
            safe += ok
            if not ok:
                problems.append(where)
    tally(f"edits: {case.name}", tried, safe)
    assert problems == [], "\n".join(problems)


# --- answers, applications and the pages that show them ------------------------------------------------
def _verdict(kind: str, payload: str, response: Any, field_name: str) -> bool:
    """The generic rule above for one answer: NUL 400 from the guard, long text refused naming the field,
    everything else accepted (201)."""
    body = response.json()
    if kind == "nul":
        return bool(response.status_code == 400 and body.get("code") == "null_character")
    if kind == "long":
        return bool(response.status_code == 400 and field_name in body.get("fields", {}))
    return bool(response.status_code == 201)


def test_survey_open_answers(designer: User) -> None:  # noqa: F811
    """The questionnaire's textarea (max_length 500) through the public token API, read back from the
    stored response and shown escaped on the results' open-text page."""
    from qinqing.surveys.models import Response
    from tests.surveys.conftest import ANSWERS, invite, make_survey

    questionnaire = services.publish(
        designer, services.create_questionnaire(designer, "满意度问卷", DEFINITION)
    )
    survey = make_survey(designer, questionnaire, anonymous=False, title="实名满意度调查", min_cell=3)
    invited = invite(survey, designer, "昌吉市", len(PAYLOADS))
    problems: list[str] = []
    safe = 0
    for (kind, payload), (_, token) in zip(PAYLOADS.items(), invited, strict=True):
        url = reverse("api:survey-answer-token", args=[token])
        answers = {**ANSWERS, "q7": payload}
        response = Client().post(
            url,
            json.dumps({"answers": answers, "consent": True, "submit": True}),
            content_type="application/json",
        )
        ok = _verdict(kind, payload, response, "q7")
        if ok and response.status_code == 201:
            ok = Response.objects.filter(survey=survey, answers__q7=payload).count() == 1
        safe += ok
        if not ok:
            problems.append(f"q7 ← {kind}: {response.status_code} {response.content.decode()[:300]}")
    viewer = Client()
    viewer.force_login(designer)
    html = viewer.get(reverse("surveys:text", args=[survey.pk]) + "?q=q7").content.decode()
    shown = "<script>alert(1)" not in html and ESCAPED in html and EMOJI * 2 in html
    tally("text fields: surveys answers", len(PAYLOADS) + 1, safe + shown)
    assert problems == [] and shown, (problems, html[html.find("<main") :][:3000])


def test_chambers_application_reason_and_organisation_name(tree: None) -> None:
    """An application's reason (API, one fresh organisation per try: one open application each), and an
    organisation named with markup on its page, the application page and its certificate PDF."""
    from pypdf import PdfReader

    from qinqing.chambers import certificates
    from qinqing.chambers.models import Certificate
    from tests.chambers import builders

    staff = builders.bureau(role=Role.UNIT_HEAD)
    problems: list[str] = []
    safe = 0
    origins = ["江苏省", "河南省", "四川省", "湖南省", "山东省", "广东省"]  # 一地一会: one chamber per origin
    for (kind, payload), origin in zip(PAYLOADS.items(), origins, strict=False):
        org, org_user = builders.org_account(staff, name=f"乌鲁木齐{origin}商会", origin=origin)
        api = APIClient()
        api.force_authenticate(org_user)
        body = {"organisation": org.pk, "kind": "registration", "reason": payload}
        response = api.post("/api/v1/chambers/applications/", body, format="json")
        ok = _verdict(kind, payload, response, "reason") or (kind == "long" and response.status_code == 201)
        if ok and response.status_code == 201:
            stored = api.get(f"/api/v1/chambers/applications/{response.json()['id']}/").json()["reason"]
            ok = stored == payload
            if not ok:
                problems.append(f"reason ← {kind}: stored {len(stored)} chars {stored[:30]!r}")
        safe += ok
        if not ok:
            problems.append(f"reason ← {kind}: {response.status_code} {response.content[:200]!r}")
    from django.core.exceptions import ValidationError

    from qinqing.chambers import services as chambers

    org, org_user = builders.org_account(staff, name="乌鲁木齐甘肃省商会", origin="甘肃省")
    with pytest.raises(ValidationError) as refused:  # the service itself (the pages' forms) never cuts it
        chambers.start_application(org_user, org, "registration", reason=LONG)
    assert refused.value.message_dict == {"reason": ["申请事由不能超过300个字（现为10000个字）"]}
    org, org_user = builders.org_account(staff, name=SCRIPT[:100], origin=origins[-1])
    # the account's display name (≤ 50) from a longer organisation name: shortened, not a DataError on PostgreSQL
    assert (org.name, org_user.full_name) == (SCRIPT, SCRIPT[:50])
    app = builders.registered(staff, org_user, org)
    viewer = Client()
    viewer.force_login(staff)
    pages = [reverse("chambers:org", args=[org.pk]), reverse("chambers:application", args=[app.pk])]
    for url in pages:
        html = viewer.get(url).content.decode()
        ok = "<script>alert(1)" not in html and ESCAPED in html
        safe += ok
        if not ok:
            problems.append(f"organisation name unescaped or missing on {url}")
    pdf = certificates.render([Certificate.objects.get(organisation=org)], count=False)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    ok = SCRIPT[:100].replace(" ", "") in text.replace(" ", "")
    safe += ok
    if not ok:
        problems.append(f"certificate text: {text[:200]!r}")
    tally("text fields: chambers", len(PAYLOADS) + len(pages) + 1, safe)
    assert problems == [], "\n".join(problems)


def test_dashboards_show_hostile_titles_escaped(world: World) -> None:
    """A demand titled with markup from an enterprise named with markup, overdue, on every dashboard."""
    from qinqing.demands.models import Demand

    Enterprise.objects.filter(pk=world.enterprise.pk).update(name=SCRIPT[:100])
    api = _api(world, "ent_user")
    body = CASES[1].base(world) | {"title": SCRIPT, "description": SCRIPT + "用地审批慢，融资难。"}
    created = api.post("/api/v1/demands/", body, format="json")
    assert created.status_code == 201, created.content[:300]
    Demand.objects.filter(pk=created.json()["id"]).update(due_at=timezone.now() - dt.timedelta(days=3))
    viewer = Client()
    viewer.force_login(world.staff)
    today = timezone.localdate()
    period = f"?start={today.replace(day=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
    pages = {
        reverse("analysis:dashboard") + period: True,
        reverse("analysis:drill") + period + "&dimension=overdue&key=1": True,
        reverse("analysis:terms") + period: False,
        reverse("analysis:repeated"): False,
        reverse("demands:todo"): False,
        reverse("demands:stats"): False,
        "/": False,
    }
    problems = []
    for url, must_show in pages.items():
        response = viewer.get(url)
        html = response.content.decode()
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
        elif "<script>alert(1)" in html or "onerror=alert(1)>" in html:
            problems.append(f"{url}: unescaped")
        elif must_show and ESCAPED not in html:
            problems.append(f"{url}: the title is not shown")
    tally("markup on dashboards", len(pages), len(pages) - len(problems))
    assert problems == [], problems


# --- the HTML forms -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormCase:
    name: str
    url: str
    who: str  # a World attribute, or "" for an anonymous visitor
    form: Callable[[World], Any]  # the page's form, for its text fields (or a dict name → max_length)
    base: Callable[[World], dict[str, Any]]
    model: Any  # the model a successful post creates
    page: Callable[[Any], str]  # where the created object is shown
    formatted: dict[str, str] = field(default_factory=dict)


def _form_text_fields(form: Any) -> dict[str, int | None]:
    from django import forms

    if isinstance(form, dict):
        return form
    return {
        name: getattr(f, "max_length", None)
        for name, f in form.fields.items()
        if type(f) is forms.CharField and not isinstance(f.widget, forms.HiddenInput)
    }


def _form_errors(response: Any) -> dict[str, Any]:
    context = response.context or {}
    if "form" in context and hasattr(context["form"], "errors"):
        return dict(context["form"].errors)
    return dict(context.get("errors") or {})


def _html_cases() -> list[FormCase]:
    from qinqing.demands.forms import SubmitForm
    from qinqing.demands.models import Demand
    from qinqing.kpi.forms import RequestForm
    from qinqing.kpi.models import MaintenanceRequest
    from qinqing.liaison.forms import MAX_PROBLEM_ROWS, VisitFormForm
    from qinqing.liaison.models import Visit

    return [
        FormCase(
            "demand submission (enterprise)",
            reverse("demands:submit"),
            "ent_user",
            lambda w: SubmitForm(staff=False),
            lambda w: {
                "demand_type": "help",
                "category": w.category.pk,
                "urgency": "normal",
                "title": "厂区用地手续办理缓慢",
                "description": "扩建项目用地手续已提交三个月。",
                "contact_name": "李四",
                "contact_phone": "13812341234",
            },
            Demand,
            lambda d: reverse("demands:detail", args=[d.pk]),
            {"contact_phone": "手机号码格式"},
        ),
        FormCase(
            "liaison visit",
            reverse("liaison:visit_new"),
            "leader",
            lambda w: VisitFormForm(user=w.leader),
            lambda w: {
                "enterprise": w.enterprise.pk,
                "visited_on": _day(),
                "form": "on_site",
                "topics": "融资",
                "situation": "企业生产正常。",
                **{
                    f"p{i}-demand_type": "help" for i in range(1, MAX_PROBLEM_ROWS + 1)
                },  # blank rows: preset select
            },
            Visit,
            lambda v: reverse("liaison:visit", args=[v.pk]),
            {"contact_phone": "手机号码格式"},
        ),
        FormCase(
            "kpi maintenance request",
            reverse("kpi:request_new"),
            "sysadmin",
            lambda w: RequestForm(),
            lambda w: {"system": "platform", "title": "无法登录", "raised_at": "2026-11-20 09:00"},
            MaintenanceRequest,
            lambda r: reverse("kpi:request_edit", args=[r.pk]),
        ),
        FormCase(
            "portal inquiry (public page)",
            reverse("portal:pub_inquiry"),
            "",
            lambda w: {"company": 100, "contact": 30, "message": 2000},
            lambda w: {
                "company": f"江苏某新材料有限公司{w.serial()}",
                "contact": "王经理",
                "phone": f"138{w.serial():08d}",
                "message": "我公司拟投资铝基新材料项目，希望了解用地政策。",
                "consent": "1",
            },
            Inquiry,
            lambda i: reverse("portal:inquiry", args=[i.pk]),
        ),
    ]


def test_hostile_text_in_the_html_forms(world: World, settings: Any) -> None:
    settings.PORTAL_SMS_CHECK = False
    problems: list[str] = []
    for case in _html_cases():
        client = Client()
        if case.who:
            client.force_login(getattr(world, case.who))
        tried = safe = 0
        for name, limit in _form_text_fields(case.form(world)).items():
            for kind, payload in PAYLOADS.items():
                tried += 1
                before = case.model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                address = f"10.8.{tried // 200}.{tried % 200 + 1}"
                response = client.post(case.url, {**case.base(world), name: payload}, REMOTE_ADDR=address)
                created = case.model.objects.filter(pk__gt=before).order_by("-pk").first()
                where = f"{case.name}.{name} ← {kind}: {response.status_code}"
                if kind == "nul":
                    ok = (
                        response.status_code == 400
                        and MESSAGE in response.content.decode()
                        and created is None
                    )
                elif created is None:
                    errors = _form_errors(response)
                    fits = limit is None or len(payload) <= limit
                    ok = response.status_code in (200, 400) and name in errors
                    ok = ok and (kind == "long" or not fits or name in case.formatted)
                    where += f" {errors}"
                else:
                    stored = getattr(
                        created, name, _MISSING
                    )  # (the visit's contact goes to the enterprise's)
                    ok = response.status_code == 302 and stored in (payload, _MISSING)
                    if kind == "script" and ok:
                        viewer = Client()
                        viewer.force_login(world.sysadmin if case.who == "sysadmin" else world.staff)
                        if case.model is Inquiry:
                            viewer.force_login(
                                make_user(
                                    f"hostile_v{created.pk}",
                                    unit_name=created.unit.name,
                                    roles=[Role.DISPATCHER],
                                )
                            )
                        html = viewer.get(case.page(created)).content.decode()
                        ok = "<script>alert(1)" not in html and ESCAPED in html
                        where += " not escaped on the page" if not ok else ""
                safe += ok
                if not ok:
                    problems.append(where)
        tally(f"html form: {case.name}", tried, safe)
    assert problems == [], "\n".join(problems)
