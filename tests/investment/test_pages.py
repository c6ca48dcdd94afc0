from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.investment import queries, services
from qinqing.investment.models import Attachment, InvestmentSettings, Project, Target
from qinqing.orgs.models import Unit
from tests.factories import unit

D = dt.date
W = Decimal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def messages_of(resp: Any) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_edit_project_through_the_service(
    filer: User, manas_filer: User, make_project: Callable[..., Project]
) -> None:
    p = make_project()
    c = client_for(filer)
    page = c.get(f"/investment/projects/{p.pk}/edit/")
    assert page.status_code == 200
    assert page.context["form"].initial["version"] == 1
    form = dict(page.context["form"].initial)
    data = {k: v for k, v in form.items() if v is not None and not isinstance(v, bool)}
    data |= {"name": "年产20万吨铝合金材料项目", "planned_investment_wan": "150000", "is_fiscal_funded": ""}
    data.pop("is_fiscal_funded")
    resp = c.post(f"/investment/projects/{p.pk}/edit/", data)
    assert resp.status_code == 302
    p.refresh_from_db()
    assert (p.name, p.planned_investment_wan, p.size_band, p.version) == (
        "年产20万吨铝合金材料项目",
        W("150000.00"),
        3,
        2,
    )
    event = AuditEvent.objects.filter(action="update", object_id=str(p.pk)).get()
    assert event.changes["name"] == ["年产10万吨铝合金材料项目", "年产20万吨铝合金材料项目"]
    # a stale version is refused and nothing changes
    resp = c.post(f"/investment/projects/{p.pk}/edit/", data | {"name": "旧页面提交"})
    assert resp.status_code == 200
    assert "该记录已被他人修改，请刷新后重试" in resp.content.decode()
    p.refresh_from_db()
    assert p.name == "年产20万吨铝合金材料项目"
    assert client_for(manas_filer).get(f"/investment/projects/{p.pk}/edit/").status_code == 404


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_attachments_checked_by_content_and_served_in_scope_only(
    filer: User, manas_filer: User, make_project: Callable[..., Project], settings: Any
) -> None:
    p = make_project()
    c = client_for(filer)
    url = f"/investment/projects/{p.pk}/attachments/"
    resp = c.post(url, {"title": "投资协议", "file": SimpleUploadedFile("协议.pdf", PDF)}, follow=True)
    assert messages_of(resp) == ["附件已上传"]
    resp = c.post(url, {"title": "可研报告", "file": SimpleUploadedFile("a.docx", _docx())}, follow=True)
    assert messages_of(resp) == ["附件已上传"]
    cases = [
        ("伪装的PDF", SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"), "文件内容与扩展名不符：x.pdf 实为 可执行程序 文件"),
        ("伪装的文档", SimpleUploadedFile("x.docx", b"PK\x03\x04garbage"), "文件内容与扩展名不符：x.docx 实为 ZIP 压缩包 文件"),
        ("程序", SimpleUploadedFile("x.exe", b"MZ\x90\x00"), "不支持的文件类型：x.exe（仅支持 PDF、JPG、PNG、DOCX、XLSX）"),
        ("太大", SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024)), "文件过大：big.pdf（不超过 20 MB）"),
    ]  # fmt: skip
    for title, upload, message in cases:
        resp = c.post(url, {"title": title, "file": upload}, follow=True)
        assert messages_of(resp) == [message]
    rows = list(Attachment.objects.order_by("pk"))
    assert [a.title for a in rows] == ["投资协议", "可研报告"]
    stored = Path(rows[0].file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT)) and stored.suffix == ".pdf"
    assert "协议" not in stored.name  # stored under a random name
    resp = c.get(f"/investment/attachments/{rows[0].pk}/")
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == PDF  # type: ignore[attr-defined]
    assert resp["Content-Type"] == "application/pdf"
    assert "attachment;" in resp["Content-Disposition"]
    assert client_for(manas_filer).get(f"/investment/attachments/{rows[0].pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="create", object_type="investment.attachment").count() == 2
    detail = c.get(f"/investment/projects/{p.pk}/").content.decode()
    assert "投资协议" in detail and "上传附件" in detail


def test_publication_request_and_review(
    filer: User, reviewer: User, make_project: Callable[..., Project]
) -> None:
    p = make_project()
    c = client_for(filer)
    resp = c.post(f"/investment/projects/{p.pk}/publish/", {"version": 1, "action": "request"}, follow=True)
    assert messages_of(resp) == ["已提交公开发布申请"]
    p.refresh_from_db()
    assert (p.publish_status, p.version) == ("pending", 2)
    resp = c.post(f"/investment/projects/{p.pk}/publish/", {"version": 2, "action": "approve"}, follow=True)
    assert messages_of(resp) == ["无权执行此操作"]
    r = client_for(reviewer)
    detail = r.get(f"/investment/projects/{p.pk}/").content.decode()
    assert "同意发布" in detail
    resp = r.post(f"/investment/projects/{p.pk}/publish/", {"version": 2, "action": "reject"}, follow=True)
    assert messages_of(resp) == ["不通过时请填写意见"]
    resp = r.post(
        f"/investment/projects/{p.pk}/publish/",
        {"version": 2, "action": "reject", "comment": "简介过于简单"},
        follow=True,
    )
    assert messages_of(resp) == ["已审核公开发布申请"]
    p.refresh_from_db()
    assert (p.publish_status, p.publish_comment) == ("rejected", "简介过于简单")
    c.post(f"/investment/projects/{p.pk}/publish/", {"version": 3, "action": "request"})
    r.post(f"/investment/projects/{p.pk}/publish/", {"version": 4, "action": "approve"})
    p.refresh_from_db()
    assert p.publish_status == "published"
    assert list(
        AuditEvent.objects.filter(action="workflow", object_id=str(p.pk)).order_by("pk").values_list("detail", flat=True)
    ) == ["申请在公开项目库发布", "公开发布审核：未通过", "申请在公开项目库发布", "公开发布审核：已公开"]  # fmt: skip


def test_settings_page_and_api(
    filer: User, reviewer: User, county_dispatcher: User, api_client: APIClient
) -> None:
    c = client_for(filer)
    page = c.get("/investment/settings/")
    assert page.status_code == 200
    assert "统计口径由州（市）级设置，您只能查看" in page.content.decode()
    assert c.post("/investment/settings/", {"stall_days": 10}).status_code == 403
    r = client_for(reviewer)
    form = r.get("/investment/settings/").context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not False}
    resp = r.post("/investment/settings/", data | {"light_red_points": "5"})
    assert resp.status_code == 200
    assert "红灯阈值应大于黄灯阈值" in resp.content.decode()
    assert InvestmentSettings.current().light_red_points == W("30.0")
    resp = r.post("/investment/settings/", data | {"new_signing_industrial_min_wan": "5000"}, follow=True)
    assert messages_of(resp) == ["统计口径已保存"]
    assert InvestmentSettings.current().new_signing_industrial_min_wan == W("5000.00")
    event = AuditEvent.objects.filter(action="update", object_type="investment.investmentsettings").get()
    assert event.changes == {"new_signing_industrial_min_wan": ["3000.00", "5000.00"]}
    api_client.force_authenticate(filer)
    assert api_client.get("/api/v1/investment/settings/").json()["stall_days"] == 180
    api_resp = api_client.patch("/api/v1/investment/settings/", {"stall_days": 90}, format="json")
    assert (api_resp.status_code, api_resp.json()["detail"]) == (403, "无权执行此操作")
    api_client.force_authenticate(county_dispatcher)
    api_resp = api_client.patch("/api/v1/investment/settings/", {"stall_days": 90}, format="json")
    assert (api_resp.status_code, api_resp.json()["detail"]) == (403, "统计口径由州（市）级设置")
    api_client.force_authenticate(reviewer)
    api_resp = api_client.patch("/api/v1/investment/settings/", {"stall_days": 90}, format="json")
    assert (api_resp.status_code, api_resp.json()["stall_days"]) == (200, 90)
    api_resp = api_client.patch("/api/v1/investment/settings/", {"light_red_points": "1"}, format="json")
    assert api_resp.status_code == 400
    assert api_resp.json()["fields"] == {"light_red_points": ["红灯阈值应大于黄灯阈值"]}
    assert InvestmentSettings.current().stall_days == 90


def test_targets_form_sets_prefecture_and_parts_and_says_the_gap(reviewer: User, filer: User) -> None:
    pref, changji, manas = unit("昌吉回族自治州"), unit("昌吉市"), unit("玛纳斯县")
    r = client_for(reviewer)
    page = r.get("/investment/targets/?year=2026&month=10")
    assert page.status_code == 200
    names = [cell["name"] for g in page.context["grid"] for cell in g["cells"]]
    assert names[0] == f"t-{pref.pk}-outside_funds"
    data = {
        f"t-{pref.pk}-outside_funds": "100",
        f"t-{changji.pk}-outside_funds": "40",
        f"t-{manas.pk}-outside_funds": "35.5",
        f"t-{pref.pk}-in_execution": "20",
        f"t-{changji.pk}-in_execution": "12",
        f"t-{manas.pk}-in_execution": "10",
    }
    bad = r.post(
        "/investment/targets/?year=2026&month=10", data | {f"t-{manas.pk}-new_yi": "三个"}, follow=True
    )
    assert messages_of(bad) == ["玛纳斯县 新签约亿元以上项目（个）：“三个”不是数字"]
    assert Target.objects.count() == 0
    frac = r.post(
        "/investment/targets/?year=2026&month=10", data | {f"t-{manas.pk}-new_yi": "1.5"}, follow=True
    )
    assert messages_of(frac) == ["玛纳斯县 的项目个数应为整数"]
    assert Target.objects.count() == 0
    resp = r.post("/investment/targets/?year=2026&month=10", data, follow=True)
    assert messages_of(resp) == ["2026年目标已保存"]
    assert Target.objects.count() == 6
    body = resp.content.decode()
    assert "分解合计比州级目标少 24.5 亿元" in body
    assert "分解合计比州级目标多 2 个" in body
    assert client_for(filer).post("/investment/targets/?year=2026", data).status_code == 403


def test_dashboard_has_chain_investor_and_size_charts(
    filer: User, reviewer: User, make_project: Callable[..., Project]
) -> None:
    from qinqing.investment.models import IndustryChain

    chain = IndustryChain.objects.get(cluster__name="铝基产业", name="电解铝")
    a = make_project(name="A", signed_on=D(2026, 1, 5), chain=chain, chain_role="build")
    b = make_project(
        name="B", signed_on=D(2026, 1, 5), investor_type="central", planned_investment_wan=W("2000000")
    )
    services.record_funds(filer, a, month=D(2026, 2, 1), amount_wan=W("300"), outside_amount_wan=W("200"))
    services.record_funds(filer, b, month=D(2026, 3, 1), amount_wan=W("700"), outside_amount_wan=W("700"))
    resp = client_for(reviewer).get("/investment/dashboard/?year=2026&month=10")
    body = resp.content.decode()
    for chart in ("chart-chain", "chart-investor", "chart-size"):
        assert f'id="{chart}"' in body
    data = json.loads(resp.context["data_json"])["breakdowns"]
    assert [(i["key"], i["label"], i["amount_wan"]) for i in data["chain"]] == [
        (None, "未分类", "700.00"),
        (chain.pk, "电解铝", "300.00"),
    ]
    assert [(i["key"], i["label"], i["amount_wan"]) for i in data["investor_type"]] == [
        ("central", "央企", "700.00"),
        ("private", "民营", "300.00"),
    ]
    assert [(i["key"], i["label"], i["amount_wan"]) for i in data["size_band"]] == [
        (4, "100亿元以上", "700.00"),
        (2, "5亿—10亿元", "300.00"),
    ]
    # the drill-down targets exist: the list filters by each key
    c = client_for(reviewer)
    assert [p.name for p in c.get(f"/investment/?chain={chain.pk}").context["page_obj"]] == ["A"]
    assert [p.name for p in c.get("/investment/?investor_type=central").context["page_obj"]] == ["B"]
    assert [p.name for p in c.get("/investment/?size_band=4").context["page_obj"]] == ["B"]


def test_home_cards(
    filer: User, manas_filer: User, make_project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The card shows the current year's funds: pin "now" inside 2026, where the entries below lie.
    pinned = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: pinned)
    p = make_project(signed_on=D(2026, 1, 5))
    make_project(name="终止项目").refresh_from_db()
    t = Project.objects.get(name="终止项目")
    services.change_stage(
        filer, t, expected_version=t.version, to_stage="terminated", on=D(2026, 2, 1), reason="投资方撤资"
    )
    services.record_funds(filer, p, month=D(2026, 2, 1), amount_wan=W("30000"), outside_amount_wan=W("12345"))
    cards = [(c.label, c.value, c.url) for c in queries.home_cards(filer)]
    assert cards == [
        ("在库项目", 1, "/investment/"),
        ("2026年区外到位资金（亿元）", "1.23", "/investment/dashboard/"),
    ]
    assert [(c.label, c.value) for c in queries.home_cards(manas_filer)] == [
        ("在库项目", 0),
        ("2026年区外到位资金（亿元）", "0.00"),
    ]
    # the dashboard's literal unit list keeps the same scope as visible_to
    assert queries.dashboard(filer, 2026, 10).totals["outside_ytd_wan"] == W("12345.00")
    assert queries.dashboard(manas_filer, 2026, 10).totals["outside_ytd_wan"] == W("0")
    assert queries.visible_unit_ids(manas_filer) == list(
        Unit.objects.subtree(unit("玛纳斯县")).values_list("pk", flat=True)
    )
    home = client_for(filer).get("/").content.decode()
    assert "在库项目" in home and "2026年区外到位资金（亿元）" in home
