"""Officers in a change application: proposed (add / replace / remove), shown before → after, applied on
approval with the version check, untouched by return and refusal, the certificate re-issued when the
printed head (会长) changes; audit rows; the page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.chambers import officers, services
from qinqing.chambers.models import Application, Certificate, Event, Officer, Organisation
from qinqing.chambers.rules import AppKind, AppStatus, CertStatus
from tests.chambers import builders

pytestmark = pytest.mark.django_db

NEW_HEAD = {
    "position": "会长",
    "name": "李新",
    "mobile": "13966667777",
    "term_start": "2026-05-01",
    "term_end": "2031-04-30",
}


def current(org: Organisation) -> list[tuple[str, str, str, str]]:
    return [
        (o.position, o.name, o.mobile, f"{o.term_start}~{o.term_end}")
        for o in Officer.objects.filter(organisation=org).order_by("pk")
    ]


@pytest.fixture
def active(staff: User, chamber: tuple[Organisation, User]) -> tuple[Organisation, User, Officer, Officer]:
    org, user = chamber
    builders.registered(staff, user, org)
    org.refresh_from_db()
    head, secretary = Officer.objects.filter(organisation=org).order_by("pk")
    return org, user, head, secretary


def filed(user: User, org: Organisation, ops: list[dict[str, Any]], **proposed: Any) -> Application:
    app = services.start_application(user, org, AppKind.CHANGE, proposed=proposed, officers=ops)
    builders.upload_all(user, app)
    return services.submit_application(user, app, expected_version=app.version)


def test_replace_remove_and_add_are_reviewed_then_applied(staff: User, active: Any) -> None:
    org, user, head, secretary = active
    app = filed(
        user,
        org,
        [
            {"op": "replace", "id": head.pk, "officer": NEW_HEAD},
            {"op": "remove", "id": secretary.pk},
            {
                "op": "add",
                "officer": {
                    "position": "秘书长",
                    "name": "周敏",
                    "term_start": "2026-05-01",
                    "term_end": "2031-04-30",
                },
            },
        ],
    )
    assert services.change_rows(app) == [
        (
            "负责人（更换）",
            "会长 陈会长，任期 2026-01-01至2030-12-31，手机 138****1111",
            "会长 李新，任期 2026-05-01至2031-04-30，手机 139****7777",
        ),
        ("负责人（免去）", "秘书长 林秘书长，任期 2026-01-01至2030-12-31，手机 138****2222", "—"),
        ("负责人（新增）", "—", "秘书长 周敏，任期 2026-05-01至2031-04-30"),
    ]
    # nothing changes before the approval
    assert current(org) == [
        ("会长", "陈会长", "13800001111", "2026-01-01~2030-12-31"),
        ("秘书长", "林秘书长", "13800002222", "2026-01-01~2030-12-31"),
    ]
    version = Organisation.objects.get(pk=org.pk).version
    services.approve_application(staff, app, expected_version=app.version)
    assert current(org) == [
        ("会长", "李新", "13966667777", "2026-05-01~2031-04-30"),
        ("秘书长", "周敏", "", "2026-05-01~2031-04-30"),
    ]
    assert Organisation.objects.get(pk=org.pk).version == version + 1
    app.refresh_from_db()
    assert app.before == {
        "officers": [
            {"position": "会长", "name": "陈会长", "mobile": "138****1111",
             "term_start": "2026-01-01", "term_end": "2030-12-31"},
            {"position": "秘书长", "name": "林秘书长", "mobile": "138****2222",
             "term_start": "2026-01-01", "term_end": "2030-12-31"},
        ]
    }  # fmt: skip
    # the head printed on the certificate changed: re-issued, the old one superseded
    old, new = Certificate.objects.filter(organisation=org).order_by("seq")
    assert (old.status, old.superseded_by_id, new.status, new.head_name) == (
        CertStatus.SUPERSEDED,
        new.pk,
        CertStatus.VALID,
        "李新",
    )
    audit = AuditEvent.objects.filter(detail="变更核准：负责人").get()
    assert (audit.actor_id, audit.object_id) == (staff.pk, str(org.pk))
    assert [o["name"] for o in audit.changes["officers"][0]] == ["陈会长", "林秘书长"]
    assert [(o["name"], o["mobile"]) for o in audit.changes["officers"][1]] == [
        ("李新", "139****7777"),
        ("周敏", ""),
    ]
    assert Event.objects.get(organisation=org, action="officers").detail == "\n".join(
        f"{a}：{b} → {c}" for a, b, c in services.change_rows(app)
    )


def test_a_deputy_added_leaves_the_certificate(staff: User, active: Any) -> None:
    org, user, _head, _secretary = active
    deputy = {"position": "副会长", "name": "王副", "term_start": "2026-05-01", "term_end": "2030-12-31"}
    app = filed(user, org, [{"op": "add", "officer": deputy}])
    services.approve_application(staff, app, expected_version=app.version)
    assert [o[1] for o in current(org)] == ["陈会长", "林秘书长", "王副"]
    assert list(Certificate.objects.filter(organisation=org).values_list("serial", "status")) == [
        ("2026-0001", CertStatus.VALID)
    ]


def test_each_bad_operation_has_its_message(staff: User, active: Any) -> None:
    org, user, head, secretary = active
    other, other_user = builders.org_account(staff, name="乌鲁木齐河南商会", origin="河南省")
    builders.registered(staff, other_user, other)
    foreign = Officer.objects.filter(organisation=other).first()
    assert foreign is not None
    with pytest.raises(ValidationError) as exc:
        services.start_application(
            user,
            org,
            AppKind.CHANGE,
            officers=[
                {"op": "promote", "id": head.pk},
                {"op": "remove", "id": foreign.pk},
                {"op": "remove", "id": secretary.pk},
                {"op": "replace", "id": secretary.pk, "officer": NEW_HEAD},
                {"op": "add", "officer": {**NEW_HEAD, "term_end": "2031-05-02"}},
                {"op": "add", "officer": {**NEW_HEAD, "name": "", "term_start": "2026/5/1"}},
                {"op": "replace", "id": head.pk, "officer": officers.as_dict(head)},
            ],
        )
    assert exc.value.message_dict["officers"] == [
        "负责人变更第1项：请选择新增、更换或免去",
        "负责人变更第2项：所选负责人不是本组织的现任负责人",
        "负责人变更第4项：同一负责人只能变更一次",
        "负责人变更第5项：任期止：每届任期不超过5年",
        "负责人变更第6项：任期起日期格式应为 YYYY-MM-DD",
        "负责人变更第7项：更换后的内容与现任相同",
    ]
    with pytest.raises(ValidationError) as exc:
        services.start_application(user, org, AppKind.CHANGE, officers=[{"op": "add", "officer": NEW_HEAD}])
    assert exc.value.message_dict["officers"] == ["会长只能有一位（变更后为：陈会长、李新）"]
    with pytest.raises(ValidationError) as exc:
        services.start_application(
            user,
            org,
            AppKind.CHANGE,
            officers=[{"op": "remove", "id": head.pk}, {"op": "remove", "id": secretary.pk}],
        )
    assert exc.value.message_dict["officers"] == ["变更后须至少保留一位负责人"]
    with pytest.raises(PermissionDenied):  # the bureau does not apply for the organisation
        services.start_application(staff, org, AppKind.CHANGE, officers=[{"op": "remove", "id": head.pk}])
    with pytest.raises(PermissionDenied):  # another organisation's account
        services.start_application(
            other_user, org, AppKind.CHANGE, officers=[{"op": "remove", "id": head.pk}]
        )
    assert Application.objects.filter(organisation=org, kind=AppKind.CHANGE).count() == 0


def test_return_and_refusal_leave_the_officers(staff: User, active: Any) -> None:
    org, user, head, _secretary = active
    before = current(org)
    app = filed(user, org, [{"op": "replace", "id": head.pk, "officer": NEW_HEAD}])
    app = services.return_application(
        staff, app, expected_version=app.version, comments={}, general="缺换届决议"
    )
    assert (app.status, current(org)) == (AppStatus.RETURNED, before)
    app = services.submit_application(user, app, expected_version=app.version)
    app = services.refuse_application(staff, app, expected_version=app.version, reason="换届程序不合章程")
    assert (app.status, current(org)) == (AppStatus.REFUSED, before)
    assert Certificate.objects.filter(organisation=org).count() == 1


def test_officers_corrected_meanwhile_make_the_approval_stale(staff: User, active: Any) -> None:
    org, user, head, secretary = active
    app = filed(
        user, org, [{"op": "replace", "id": head.pk, "officer": NEW_HEAD}], address="乌鲁木齐市水磨沟区1号"
    )
    # the bureau corrects a typo in the secretary's name directly (not a reviewed change)
    services.set_officers(
        staff,
        org,
        [officers.as_dict(head), {**officers.as_dict(secretary), "name": "林秘书"}],
    )
    assert officers.conflicts(org, app.proposed["officers"]) == [
        "会长 陈会长，任期 2026-01-01至2030-12-31，手机 138****1111：" + officers.STALE_OFFICERS
    ]
    with pytest.raises(services.StaleError):
        services.approve_application(staff, app, expected_version=app.version)
    org.refresh_from_db()
    assert (org.address, [o[1] for o in current(org)]) == ("乌鲁木齐市天山区光明路1号", ["陈会长", "林秘书"])
    assert Application.objects.get(pk=app.pk).status == AppStatus.SUBMITTED
    # an old version of the application is refused as before
    with pytest.raises(services.StaleError):
        services.approve_application(staff, app, expected_version=app.version - 1)


def test_the_page_and_the_api(staff: User, active: Any) -> None:
    org, user, head, secretary = active
    c = Client()
    c.force_login(user)
    page = c.get(reverse("chambers:apply", args=[org.pk, "change"])).content.decode()
    assert f'name="officer_{head.pk}_op"' in page and 'name="new_3_name"' in page
    response = c.post(
        reverse("chambers:apply", args=[org.pk, "change"]),
        {
            f"officer_{head.pk}_op": "replace",
            f"officer_{head.pk}_name": "李新",  # the rest stays as it is
            f"officer_{secretary.pk}_op": "",
            "new_1_position": "监事长",
            "new_1_name": "赵监",
            "new_1_term_start": "2026-05-01",
            "new_1_term_end": "2029-04-30",
            "reason": "换届",
        },
    )
    app = Application.objects.get(organisation=org, kind=AppKind.CHANGE)
    assert response.status_code == 302 and response["Location"] == reverse(
        "chambers:application", args=[app.pk]
    )
    assert [(c["op"], c["officer"]["name"]) for c in app.proposed["officers"]] == [
        ("replace", "李新"),
        ("add", "赵监"),
    ]
    assert app.proposed["officers"][0]["officer"]["term_start"] == "2026-01-01"
    builders.upload_all(user, app)
    app = services.submit_application(user, app, expected_version=app.version)
    reviewer = Client()
    reviewer.force_login(staff)
    detail = reviewer.get(reverse("chambers:application", args=[app.pk])).content.decode()
    assert "负责人（更换）" in detail and "会长 李新，任期 2026-01-01至2030-12-31，手机 138****1111" in detail
    assert "13800001111" not in detail

    api = APIClient()
    api.force_authenticate(staff)
    body = api.get(reverse("api:chambers-application-detail", args=[app.pk])).json()
    assert body["proposed"]["officers"][0]["before"]["mobile"] == "138****1111"
    assert "13800001111" not in str(body)
    org_body = api.get(reverse("api:chambers-organisation-detail", args=[org.pk])).json()
    assert [(o["position"], o["name"], o["mobile_masked"]) for o in org_body["officers"]] == [
        ("会长", "陈会长", "138****1111"),
        ("秘书长", "林秘书长", "138****2222"),
    ]
    services.approve_application(staff, app, expected_version=app.version)
    own = APIClient()
    own.force_authenticate(user)
    created = own.post(
        reverse("api:chambers-application-list"),
        {"organisation": org.pk, "kind": "change", "officers": [{"op": "remove", "id": 10**9}]},
        format="json",
    )
    assert created.status_code == 400
    assert created.json()["fields"]["officers"] == ["负责人变更第1项：所选负责人不是本组织的现任负责人"]
    deputy = {
        "op": "add",
        "position": "副会长",
        "name": "钱副",
        "term_start": "2026-06-01",
        "term_end": "2030-05-31",
    }
    created = own.post(
        reverse("api:chambers-application-list"),
        {"organisation": org.pk, "kind": "change", "officers": [deputy]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["proposed"]["officers"] == [
        {"op": "add", "officer": {"position": "副会长", "name": "钱副", "mobile": "",
                                  "term_start": "2026-06-01", "term_end": "2030-05-31"}}
    ]  # fmt: skip
