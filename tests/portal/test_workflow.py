"""Content review, scheduled publication and unpublishing, stale actions, inquiries, publications, metrics."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from qinqing.core.metrics import Period, compute
from qinqing.demands.models import Outbox
from qinqing.investment.models import Project, Stage
from qinqing.portal import inquiries, jobs, publications, services, snapshot
from qinqing.portal.models import (
    ContentKind,
    ContentStatus,
    Entry,
    Inquiry,
    InquiryStatus,
    JobStatus,
    PublicItem,
)
from tests.factories import unit
from tests.portal.conftest import make_project

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def form(**kw: Any) -> dict[str, Any]:
    base = {
        "company": "江苏某新材料有限公司",
        "contact": "王经理",
        "phone": "13900000001",
        "message": "我公司拟投资铝基新材料项目，希望了解用地政策。",
        "consent": "1",
    }
    return {**base, **kw}


def test_review_schedule_and_unpublish(editor: Any, reviewer: Any) -> None:
    entry = services.create_entry(
        editor,
        ContentKind.NEWS,
        {"title": "定时发布的新闻", "publish_at": timezone.now() + dt.timedelta(hours=2)},
    )
    with pytest.raises(ValidationError):
        services.approve_entry(reviewer, entry, expected_version=entry.version)  # not submitted yet
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    with pytest.raises(ValidationError, match="已被他人修改"):
        services.approve_entry(reviewer, entry, expected_version=entry.version - 1)
    entry = services.approve_entry(reviewer, entry, expected_version=entry.version)
    assert entry.status == ContentStatus.SCHEDULED
    assert not PublicItem.objects.filter(kind="news", ref=entry.pk).exists()
    assert services.run_schedule(timezone.now() + dt.timedelta(hours=1)) == (0, 0)
    assert services.run_schedule(timezone.now() + dt.timedelta(hours=3)) == (1, 0)
    entry.refresh_from_db()
    assert (entry.status, entry.online) == (ContentStatus.PUBLISHED, True)
    assert PublicItem.objects.get(kind="news", ref=entry.pk).payload["title"]["zh"] == "定时发布的新闻"
    # an edit keeps the published snapshot until the new version is approved
    entry = services.update_entry(editor, entry, {"title": "改后的标题"}, expected_version=entry.version)
    assert entry.status == ContentStatus.DRAFT
    assert PublicItem.objects.get(kind="news", ref=entry.pk).payload["title"]["zh"] == "定时发布的新闻"
    entry = services.unpublish_entry(reviewer, entry, expected_version=entry.version, reason="过期")
    assert not PublicItem.objects.filter(kind="news", ref=entry.pk).exists()
    assert [v.note for v in entry.versions.order_by("number")] == [
        "新建",
        "提交审核",
        "审核通过，定时发布于 " + timezone.localtime(entry.publish_at).strftime("%Y-%m-%d %H:%M"),
        "定时发布",
        "修改",
        "下线",
    ]


def test_scheduled_unpublish(editor: Any, reviewer: Any) -> None:
    entry = services.create_entry(
        editor,
        ContentKind.NEWS,
        {"title": "会下线的新闻", "unpublish_at": timezone.now() + dt.timedelta(days=1)},
    )
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    entry = services.approve_entry(reviewer, entry, expected_version=entry.version)
    assert PublicItem.objects.filter(ref=entry.pk).exists()
    assert services.run_schedule(timezone.now() + dt.timedelta(days=2)) == (0, 1)
    assert not PublicItem.objects.filter(ref=entry.pk).exists()


def test_catalogue_follows_investment(site: dict[str, Any], cj_dispatcher: Any) -> None:
    project = site["project"]
    assert snapshot.sync_projects().changed == 0
    from qinqing.investment import services as investment

    investment.update_project(
        cj_dispatcher,
        project,
        {"name": "改名后的项目"},
        expected_version=Project.objects.get(pk=project.pk).version,
    )
    assert snapshot.sync_projects().updated == 1
    assert PublicItem.objects.get(kind="project", ref=project.pk).payload["name"] == "改名后的项目"
    Project.objects.filter(pk=project.pk).update(stage=Stage.TERMINATED)
    assert snapshot.sync_projects().removed == 1


def test_inquiry_routing_deadline_reminders_and_lead(
    site: dict[str, Any], cj_dispatcher: Any, reviewer: Any, monkeypatch: Any
) -> None:
    start = dt.datetime(2026, 6, 5, 10, 0, tzinfo=TZ)  # a Friday
    monkeypatch.setattr("django.utils.timezone.now", lambda: start)
    inq = inquiries.submit_inquiry(form(project=site["project"].pk), ip="10.0.0.1")
    assert inq.unit == unit("昌吉市")  # the project's location unit (no responsible unit set)
    # 3 working days after Friday: Mon 8, Tue 9, Wed 10 June → end of Wednesday
    assert timezone.localtime(inq.due_at).date() == dt.date(2026, 6, 10)
    assert (inq.consent_version, inq.consent_at) == ("2026-1", start)
    general = inquiries.submit_inquiry(form(phone="13900000002"), ip="10.0.0.1")
    assert general.unit.name == "乌鲁木齐市招商服务局"
    # reminders once per threshold
    n_yellow = jobs.sweep_inquiries(timezone.localtime(inq.warn_at) + dt.timedelta(minutes=1))
    assert n_yellow == 2
    assert jobs.sweep_inquiries(timezone.localtime(inq.warn_at) + dt.timedelta(minutes=2)) == 0
    assert inq.light(inq.due_at + dt.timedelta(seconds=1)) == "red"
    assert jobs.sweep_inquiries(inq.due_at + dt.timedelta(hours=1)) == 2
    assert Outbox.objects.filter(subject__contains=inq.number).filter(subject__contains="已超期").count() >= 1
    # scope: 乌鲁木齐 staff cannot act on 昌吉市's inquiry
    with pytest.raises(Exception, match="数据范围"):
        inquiries.reply(reviewer, inq, expected_version=inq.version, text="答复")
    inq = inquiries.reply(
        cj_dispatcher, inq, expected_version=inq.version, text="欢迎来昌吉考察，我们将安排专人对接。"
    )
    assert inq.status == InquiryStatus.ANSWERED and inq.answered_at == start and inq.on_time
    project = inquiries.convert_to_lead(
        cj_dispatcher,
        inq,
        expected_version=inq.version,
        project_data={
            "name": "铝基新材料项目（洽谈）",
            "source": "province",
            "investor_type": "private",
            "sector": 2,
            "industry_section": "C",
            "location_unit": unit("昌吉市"),
            "planned_investment_wan": Decimal("20000"),
        },
    )
    inq.refresh_from_db()
    assert (inq.status, project.stage, project.investor_name) == (
        InquiryStatus.LEAD,
        Stage.LEAD,
        "江苏某新材料有限公司",
    )
    assert project.portal_inquiry == inq
    from qinqing.core.extensions import extras_for

    assert [x.label for x in extras_for("project", cj_dispatcher, project)] == [
        f"来源：对接洽谈 {inq.number}"
    ]
    # tracking page shows the public reply
    page = Client().get(f"/portal/track/{inq.token}/").content.decode()
    assert "欢迎来昌吉考察" in page and "已转为项目线索" in page
    assert compute("portal.docking_talks", unit("昌吉州"), Period.year(2026)) == 1
    assert compute("portal.docking_talks_ontime_rate", unit("昌吉州"), Period.year(2026)) == Decimal("100.00")


def test_abuse_checks_write_nothing(site: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        inquiries.submit_inquiry(form(phone="123", consent=""), ip="10.0.0.9")
    assert exc.value.message_dict == {
        "phone": ["请填写11位手机号码"],
        "consent": ["请阅读并同意《个人信息处理告知书》"],
    }
    with pytest.raises(inquiries.Refused, match="未通过校验"):
        inquiries.submit_inquiry(form(website="http://spam"), ip="10.0.0.9")
    inquiries.submit_inquiry(form(), ip="10.0.0.9")
    with pytest.raises(inquiries.Refused, match="重复提交"):
        inquiries.submit_inquiry(form(), ip="10.0.0.9")
    # the duplicate counted towards the phone's 3 a day: one more passes, the next is refused
    inquiries.submit_inquiry(form(message="另一条不同的洽谈内容，请联系我们。"), ip="10.0.1.1")
    with pytest.raises(inquiries.Refused, match="该手机号提交过于频繁") as refused:
        inquiries.submit_inquiry(form(message="第四条不同的洽谈内容，请联系我们。"), ip="10.0.2.1")
    assert refused.value.retry_after > 0
    assert Inquiry.objects.count() == 2
    cache.clear()
    for i in range(10):
        inquiries.submit_inquiry(
            form(phone=f"1390000{i:04d}", message=f"地址限流测试第{i}条内容。"), ip="10.9.9.9"
        )
    response = Client(REMOTE_ADDR="10.9.9.9").post(
        "/api/public/v1/inquiries/",
        data={**form(phone="13911112222", message="第十一条地址限流测试内容。"), "consent": True},
        content_type="application/json",
    )
    assert (
        response.status_code == 429
        and response.json()["code"] == "throttled"
        and int(response["Retry-After"]) > 0
    )
    assert Inquiry.objects.count() == 12


def test_publications_pdf_and_word(site: dict[str, Any], reviewer: Any, cj_dispatcher: Any) -> None:
    for i in range(3):
        make_project(cj_dispatcher, f"第{i}号招商项目", published=True)
    snapshot.sync_projects()
    edition = services.create_edition(
        reviewer, {"kind": "brochure", "edition": "2026年版", "pagesize": "A5", "print_run": 940}
    )
    assert edition.unit_cost_yuan == Decimal("25") and edition.budget_yuan == Decimal("23500.00")
    edition = publications.generate(edition)
    assert edition.status == JobStatus.DONE and edition.progress == 100
    reader = PdfReader(io.BytesIO(edition.pdf.read()))
    # cover, contents, 4 project pages
    assert len(reader.pages) == edition.pages == 6
    assert "招商项目册" in reader.pages[0].extract_text()
    assert "目录" in reader.pages[1].extract_text()
    texts = [reader.pages[i].extract_text() for i in range(2, 6)]
    assert all("第 " in t and " 页" in t for t in texts)
    assert sorted(
        next(line for line in t.splitlines() if "项目" in line and "招商项目册" not in line) for t in texts
    )
    assert "保密投资方" not in "".join(texts) and "未公开的内部储备项目" not in "".join(texts)
    assert edition.docx.size > 1000
    guide = publications.generate(services.create_edition(reviewer, {"kind": "guide", "print_run": 950}))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(guide.pdf.read())).pages)
    assert "支持制造业高质量发展的若干措施" in text and "2020年招商引资奖励办法" not in text
    edition = services.mark_printed(
        reviewer, edition, expected_version=edition.version, printed_on=timezone.localdate(), print_run=940
    )
    services.log_edition_error(
        reviewer, edition, found_on=timezone.localdate(), description="第3页项目名称错字", copies_affected=94
    )
    period = Period.year(timezone.localdate().year)
    assert compute("portal.publications_printed", unit("乌鲁木齐市"), period) == 940
    assert compute("portal.printing_error_rate", unit("乌鲁木齐市"), period) == Decimal("10.00")


def test_staff_pages(
    site: dict[str, Any], reviewer: Any, cj_dispatcher: Any, django_assert_max_num_queries: Any
) -> None:
    inquiries.submit_inquiry(form(project=site["project"].pk), ip="1.1.1.1")
    client = Client()
    client.force_login(cj_dispatcher)
    for name in ("/portal/staff/", "/portal/staff/inquiries/", "/portal/staff/figures/"):
        assert client.get(name).status_code == 200, name
    with django_assert_max_num_queries(12):
        page = client.get("/portal/staff/inquiries/")
    assert "江苏某新材料有限公司" in page.content.decode()
    client.force_login(reviewer)
    assert "江苏某新材料有限公司" not in client.get("/portal/staff/inquiries/").content.decode()
    assert client.get("/portal/staff/content/").status_code == 200
    assert client.get(f"/portal/staff/content/{site['policy'].pk}/").status_code == 200


def test_staff_form_builds_policy_rules_and_review_page_publishes(editor: Any, reviewer: Any) -> None:
    client = Client()
    client.force_login(editor)
    response = client.post(
        "/portal/staff/content/new/policy/",
        {
            "title": "用电支持政策",
            "summary": "对工业项目给予电价支持",
            "body": "正文",
            "ordering": 0,
            "issuer": "市发改委",
            "doc_number": "乌发改〔2026〕1号",
            "valid_from": "2026-01-01",
            "valid_to": "2099-12-31",
            "policy_types": ["power"],
            "industries": "C, 44",
            "min_investment_wan": "3000",
            "min_jobs": "50",
            "project_types": ["new", "expansion"],
            "checks": "须签订入园协议\n须按期开工",
        },
    )
    entry = Entry.objects.get(title="用电支持政策")
    assert response.status_code == 302
    assert entry.data["rules"] == [
        {"field": "industry", "op": "in", "value": ["C", "44"]},
        {"field": "investment_wan", "op": ">=", "value": "3000"},
        {"field": "jobs", "op": ">=", "value": "50"},
        {"field": "project_type", "op": "in", "value": ["new", "expansion"]},
    ]
    assert entry.data["checks"] == ["须签订入园协议", "须按期开工"]
    bad = client.post("/portal/staff/content/new/policy/", {"title": "x", "ordering": 0, "industries": "ZZ"})
    assert "行业代码 ZZ 不是 GB/T 4754 的门类或大类" in bad.content.decode()
    client.post(f"/portal/staff/content/{entry.pk}/submit/", {"version": entry.version})
    client.force_login(reviewer)
    client.post(f"/portal/staff/content/{entry.pk}/approve/", {"version": entry.version + 1})
    entry.refresh_from_db()
    assert entry.status == ContentStatus.PUBLISHED
    hits = Client().get("/api/public/v1/policies/?q=用电").json()["results"]
    assert [h["title"] for h in hits] == ["用电支持政策"]


def test_staff_schema_tags_public_endpoints(site: dict[str, Any], reviewer: Any) -> None:
    client = Client()
    client.force_login(reviewer)
    doc = client.get("/api/schema/?format=json")
    assert doc.status_code == 200
    import json

    paths = json.loads(doc.content)["paths"]
    public_ops = [op for p, ops in paths.items() if p.startswith("/api/public/") for op in ops.values()]
    assert public_ops and all(op["tags"] == ["public"] for op in public_ops)
    assert "/api/v1/portal/figures/" in paths


def test_image_upload_is_resized_and_served_long_cached(editor: Any, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage

    from qinqing.portal import images

    settings.MEDIA_ROOT = tmp_path
    buf = io.BytesIO()
    PILImage.new("RGB", (2000, 1000), (30, 90, 160)).save(buf, "PNG")
    row = images.add_image(editor, SimpleUploadedFile("park.png", buf.getvalue(), "image/png"), alt="园区")
    assert sorted(row.sizes, key=int) == ["320", "640", "1280"]
    with PILImage.open(images.folder() / row.sizes["640"]) as small:
        assert small.size == (640, 320)
    response = Client().get(f"/portal/images/{row.sizes['320']}")
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=31536000, immutable"
    with pytest.raises(ValidationError, match=r"文件内容与扩展名不符：x\.png 实为 纯文本 文件"):
        images.add_image(editor, SimpleUploadedFile("x.png", b"not an image", "image/png"))
    assert Client().get("/portal/images/..%2Fsecret.jpg").status_code == 404


def test_content_list_query_count(editor: Any, reviewer: Any, django_assert_num_queries: Any) -> None:
    for i in range(5):
        services.create_entry(editor, ContentKind.NEWS, {"title": f"新闻{i}"})
    client = Client()
    client.force_login(editor)
    client.get("/portal/staff/content/")
    # session, the user with unit, scope root and roles; the count; the rows with their unit — for any number
    with django_assert_num_queries(4):
        page = client.get("/portal/staff/content/")
    assert page.content.decode().count("新闻") >= 5
    for i in range(5, 25):
        services.create_entry(editor, ContentKind.NEWS, {"title": f"新闻{i}"})
    with django_assert_num_queries(4):
        client.get("/portal/staff/content/")


def test_brochure_selection_narrows_contents(
    site: dict[str, Any], reviewer: Any, prefecture_dispatcher: Any
) -> None:
    other = make_project(prefecture_dispatcher, "玛纳斯县光伏项目", published=True, unit_name="玛纳斯县")
    snapshot.sync_projects()
    edition = services.create_edition(
        reviewer, {"kind": "brochure", "selection": {"location": other.location_unit_id, "cluster": ""}}
    )
    assert edition.selection == {"location": str(other.location_unit_id)}
    edition = publications.generate(edition)
    assert [c["title"] for c in edition.contents] == ["玛纳斯县光伏项目"]
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        "/portal/staff/publications/",
        {
            "kind": "policies",
            "pagesize": "A4",
            "edition_date": "2026-12-01",
            "print_run": 500,
            "policy_type": "land",
        },
    )
    assert response.status_code == 302
    from qinqing.portal.models import Edition

    created = Edition.objects.latest("id")
    assert (created.selection, created.unit_cost_yuan) == ({"type": "land"}, Decimal("30"))
    assert publications.generate(created).contents == [
        {"kind": "policy", "ref": site["policy"].pk, "title": "支持制造业高质量发展的若干措施"}
    ]


def test_settings_page_changes_answer_days_and_needs_a_new_notice_version(
    reviewer: Any, cj_dispatcher: Any
) -> None:
    client = Client()
    client.force_login(reviewer)
    from qinqing.portal.models import PortalSettings

    cfg = PortalSettings.current()
    base = {f: getattr(cfg, f) or "" for f in services.SETTINGS_FIELDS if f != "default_unit"}
    base["default_unit"] = unit("乌鲁木齐市招商服务局").pk
    refused = client.post("/portal/staff/settings/", {**base, "notice_text": "新的告知书内容"})
    assert "修改告知书内容时请同时更新版本号" in refused.content.decode()
    ok = client.post(
        "/portal/staff/settings/",
        {**base, "answer_days": 5, "notice_text": "新的告知书内容", "notice_version": "2027-1"},
    )
    assert ok.status_code == 302
    cfg.refresh_from_db()
    assert (cfg.answer_days, cfg.notice_version) == (5, "2027-1")
    with pytest.raises(Exception, match="州（市）级"):
        services.update_settings(cj_dispatcher, {"answer_days": 2})
