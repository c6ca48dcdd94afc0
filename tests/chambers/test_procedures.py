"""Registration, change, deregistration and revocation: allowed and refused per role and state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qinqing.accounts.models import User
from qinqing.chambers import rules, services
from qinqing.chambers.models import Application, Certificate, Event, Member, Officer, Organisation
from qinqing.chambers.rules import AppKind, AppStatus, CertStatus, OrgStatus
from tests.chambers import builders

pytestmark = pytest.mark.django_db


def messages_of(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return exc.value.messages


def test_open_account_links_an_org_user_without_unit_or_enterprise(staff: User) -> None:
    org, user = builders.org_account(staff, username="zj_chamber")
    assert (user.unit_id, user.enterprise_id) == (None, None)
    assert user.role_codes == frozenset({"org_member"})
    assert user.can("chambers.apply") and not user.can("chambers.view")
    assert org.status == OrgStatus.PREPARING and org.area.name == "乌鲁木齐市"
    assert list(Organisation.objects.visible_to(user)) == [org]


def test_only_the_bureau_opens_accounts(chamber: tuple[Organisation, User], tree: None) -> None:
    _org, user = chamber
    with pytest.raises(PermissionDenied):
        builders.org_account(user, name="另一商会", origin="河南省")
    changji = builders.bureau("cj", unit_name="昌吉州营商环境服务中心")
    with pytest.raises(PermissionDenied, match="数据范围"):
        builders.org_account(changji, name="乌鲁木齐河南商会", origin="河南省", area="乌鲁木齐市")


def test_one_chamber_per_origin_per_area(staff: User, chamber: tuple[Organisation, User]) -> None:
    with pytest.raises(ValidationError) as exc:
        builders.org_account(staff, name="乌鲁木齐浙江企业联合会", origin="浙江省")
    assert messages_of(exc) == ["乌鲁木齐市已有浙江省商会（一地一会），不能重复登记"]
    changji = builders.bureau("cj", unit_name="昌吉州营商环境服务中心")
    other, _ = builders.org_account(changji, name="昌吉州浙江商会", origin="浙江省", area="昌吉回族自治州")
    assert other.place_of_origin == "浙江省"  # another area may have its own


def test_registration_rules_each_with_its_message(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    builders.make_ready(org, members=29, founders=4)
    Organisation.objects.filter(pk=org.pk).update(capital_wan=Decimal("2.5"), premises_owned=False)
    Officer.objects.filter(organisation=org).update(term_end=dt.date(2031, 6, 30))
    app = services.start_application(user, org, AppKind.REGISTRATION)
    builders.upload_all(user, app)
    with pytest.raises(ValidationError) as exc:
        services.submit_application(user, app, expected_version=app.version)
    assert messages_of(exc) == [
        "发起单位不少于5家（现有4家）",
        "会员单位不少于30家（现有29家）",
        "注册资金不少于3万元（现为2.50万元）",
        "须有固定住所：请填写住所并上传住所使用权证明",
        "会长 陈会长：每届任期不超过5年",
        "秘书长 林秘书长：每届任期不超过5年",
    ]
    assert Application.objects.get(pk=app.pk).status == AppStatus.DRAFT


def test_officer_terms_are_checked_when_entered(chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    with pytest.raises(ValidationError) as exc:
        services.set_officers(
            user,
            org,
            [{"position": "会长", "name": "陈", "term_start": "2026-01-01", "term_end": "2025-12-31"}],
        )
    assert messages_of(exc) == ["第1位负责人：任期止应晚于任期起"]
    assert Officer.objects.filter(organisation=org).count() == 0


def test_registration_returned_for_a_missing_document_then_approved(
    staff: User, chamber: tuple[Organisation, User]
) -> None:
    org, user = chamber
    builders.make_ready(org)
    app = services.start_application(user, org, AppKind.REGISTRATION)
    builders.upload_all(user, app, skip=("capital",))
    with pytest.raises(ValidationError) as exc:
        services.submit_application(user, app, expected_version=app.version)
    assert messages_of(exc) == ["缺少申请材料：验资报告"]
    builders.upload_all(
        user, app, skip=("founders_ids", "roster", "charter", "premises", "officers", "origin_approval")
    )
    app = services.submit_application(user, app, expected_version=Application.objects.get(pk=app.pk).version)
    # 20 working days after Wed 15 April 2026: 1–5 May are the Labour Day holiday, Saturday 9 May is worked
    assert (app.status, app.due_on) == (AppStatus.SUBMITTED, dt.date(2026, 5, 15))
    app = services.return_application(
        staff, app, expected_version=app.version, comments={"premises": "租赁合同缺少盖章页"}
    )
    assert app.status == AppStatus.RETURNED
    assert app.materials.get(item="premises").comment == "租赁合同缺少盖章页"
    assert app.decision_comment == "住所使用权证明：租赁合同缺少盖章页"
    builders.upload_all(
        user, app, skip=tuple(i for i, _ in rules.MATERIALS[("chamber", "registration")] if i != "premises")
    )
    app = services.submit_application(user, app, expected_version=Application.objects.get(pk=app.pk).version)
    app = services.approve_application(
        staff, app, expected_version=app.version, registration_number="5165010012345"
    )
    org.refresh_from_db()
    assert (app.status, org.status, org.registered_on, org.registration_number) == (
        AppStatus.APPROVED,
        OrgStatus.ACTIVE,
        dt.date(2026, 4, 15),
        "5165010012345",
    )
    cert = Certificate.objects.get(organisation=org)
    assert (cert.serial, cert.status, cert.issuer_name, cert.head_name) == (
        "2026-0001",
        CertStatus.VALID,
        "乌鲁木齐市招商服务局",
        "陈会长",
    )
    actions = list(Event.objects.filter(organisation=org).values_list("action", flat=True))
    assert actions == ["open_account", "create"] + ["upload"] * 6 + [
        "upload",
        "submit",
        "return",
        "upload",
        "submit",
        "approve",
        "certificate",
    ]


def test_who_may_do_what_in_which_state(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    builders.make_ready(org)
    app = services.start_application(user, org, AppKind.REGISTRATION)
    builders.upload_all(user, app)
    with pytest.raises(ValidationError, match="当前状态（草稿）不能核准"):
        services.approve_application(staff, app, expected_version=app.version)
    with pytest.raises(PermissionDenied):
        services.submit_application(
            staff, app, expected_version=app.version
        )  # the bureau cannot submit for it
    with pytest.raises(ValidationError, match="已有办理中的申请"):
        services.start_application(user, org, AppKind.REGISTRATION)
    with pytest.raises(ValidationError, match="变更申请须在组织已登记时提出"):
        services.start_application(user, org, AppKind.CHANGE, proposed={"address": "新地址"})
    app = services.submit_application(user, app, expected_version=app.version)
    with pytest.raises(PermissionDenied):
        services.approve_application(user, app, expected_version=app.version)  # nor approve its own
    with pytest.raises(ValidationError, match="审核期间不能更换材料"):
        builders.upload_all(user, app)
    with pytest.raises(ValidationError, match="当前状态（待审核）不能撤回申请"):
        services.withdraw_application(user, app, expected_version=app.version)
    changji = builders.bureau("cj_reviewer", unit_name="昌吉州营商环境服务中心")
    with pytest.raises(PermissionDenied, match="数据范围"):
        services.approve_application(changji, app, expected_version=app.version)
    handler = builders.bureau("handler", role="handler")
    with pytest.raises(PermissionDenied):
        services.approve_application(handler, app, expected_version=app.version)
    with pytest.raises(ValidationError) as exc:
        services.refuse_application(staff, app, expected_version=app.version, reason=" ")
    assert messages_of(exc) == ["请填写不予核准的理由"]
    refused = services.refuse_application(
        staff, app, expected_version=app.version, reason="原籍地同意函不真实"
    )
    assert refused.status == AppStatus.REFUSED and refused.decided_at is not None
    again = services.start_application(user, org, AppKind.REGISTRATION)  # may apply again
    assert again.status == AppStatus.DRAFT


def test_a_stale_action_fails_cleanly(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    builders.make_ready(org)
    app = services.start_application(user, org, AppKind.REGISTRATION)
    builders.upload_all(user, app)
    app = services.submit_application(user, app, expected_version=app.version)
    services.return_application(staff, app, expected_version=app.version, comments={}, general="请补充章程")
    with pytest.raises(services.StaleError) as exc:
        services.approve_application(staff, app, expected_version=app.version)
    assert exc.value.messages == [rules.STALE_MESSAGE]
    assert Application.objects.get(pk=app.pk).status == AppStatus.RETURNED
    assert Certificate.objects.count() == 0


def test_change_shows_before_and_after_and_reissues_the_certificate(
    staff: User, chamber: tuple[Organisation, User]
) -> None:
    org, user = chamber
    builders.registered(staff, user, org)
    org.refresh_from_db()
    with pytest.raises(ValidationError, match="已登记的组织修改登记事项"):
        services.update_profile(user, org, {"address": "x"}, expected_version=org.version)
    with pytest.raises(ValidationError, match="至少一项与现登记内容不同"):
        services.start_application(user, org, AppKind.CHANGE, proposed={"address": org.address})
    app = services.start_application(
        user,
        org,
        AppKind.CHANGE,
        proposed={"address": "乌鲁木齐市新市区北京南路88号", "contact_mobile": "13711112222"},
    )
    builders.upload_all(user, app)
    app = services.submit_application(user, app, expected_version=app.version)
    assert services.change_rows(app) == [
        ("住所", "乌鲁木齐市天山区光明路1号", "乌鲁木齐市新市区北京南路88号"),
        ("联系人手机", "139****5678", "137****2222"),
    ]
    assert app.due_on == dt.date(2026, 4, 29)  # 10 working days
    services.approve_application(staff, app, expected_version=app.version)
    org.refresh_from_db()
    assert org.address == "乌鲁木齐市新市区北京南路88号"
    old, new = Certificate.objects.filter(organisation=org).order_by("seq")
    assert (old.serial, old.status, old.superseded_by_id) == ("2026-0001", CertStatus.SUPERSEDED, new.pk)
    assert (new.serial, new.status, new.address) == ("2026-0002", CertStatus.VALID, org.address)
    app.refresh_from_db()
    assert services.change_rows(app)[0] == (
        "住所",
        "乌鲁木齐市天山区光明路1号",
        "乌鲁木齐市新市区北京南路88号",
    )


def test_deregistration_and_revocation_void_the_certificate(
    staff: User, chamber: tuple[Organisation, User]
) -> None:
    org, user = chamber
    builders.registered(staff, user, org)
    with pytest.raises(ValidationError, match="请填写注销原因"):
        services.start_application(user, org, AppKind.DEREGISTRATION)
    app = services.start_application(user, org, AppKind.DEREGISTRATION, reason="会员大会决议解散")
    builders.upload_all(user, app)
    app = services.submit_application(user, app, expected_version=app.version)
    services.approve_application(staff, app, expected_version=app.version)
    org.refresh_from_db()
    assert (org.status, org.end_reason) == (OrgStatus.DEREGISTERED, "会员大会决议解散")
    assert list(Certificate.objects.filter(organisation=org).values_list("status", flat=True)) == [
        CertStatus.VOID
    ]
    with pytest.raises(ValidationError, match="只能撤销已登记的组织"):
        services.revoke(staff, org, reason="x", expected_version=org.version)

    other, other_user = builders.org_account(staff, name="乌鲁木齐河南商会", origin="河南省")
    builders.registered(staff, other_user, other)
    other.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.revoke(other_user, other, reason="自行撤销", expected_version=other.version)
    with pytest.raises(ValidationError, match="请填写撤销理由"):
        services.revoke(staff, other, reason="", expected_version=other.version)
    revoked = services.revoke(staff, other, reason="连续两年未参加年检", expected_version=other.version)
    assert (revoked.status, revoked.end_reason) == (OrgStatus.REVOKED, "连续两年未参加年检")
    assert Certificate.objects.get(organisation=other).status == CertStatus.VOID
    assert Event.objects.filter(organisation=other, action="revoke").get().detail == "连续两年未参加年检"


def test_a_correction_after_approval_counts_an_error(staff: User, chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    app = builders.registered(staff, user, org)
    with pytest.raises(PermissionDenied):
        services.record_error(user, app, description="x")
    row = services.record_error(staff, app, description="登记证号录入有误，已更正")
    assert (row.found_on, row.application_id) == (dt.date(2026, 4, 15), app.pk)
    draft = Application.objects.create(organisation=org, kind=AppKind.CHANGE)
    with pytest.raises(ValidationError, match="只能对已核准的申请登记差错"):
        services.record_error(staff, draft, description="x")


def test_members_only_units_with_valid_credit_codes(chamber: tuple[Organisation, User]) -> None:
    org, user = chamber
    with pytest.raises(ValidationError) as exc:
        services.add_member(user, org, name="张三（个人）", credit_code="650102199001011234")
    assert exc.value.message_dict["credit_code"][0].startswith("统一社会信用代码有误：")
    member = services.add_member(user, org, name="某公司", credit_code=builders.code(), is_founder=True)
    with pytest.raises(ValidationError, match="已在会员名册中"):
        services.add_member(user, org, name="某公司", credit_code=member.credit_code)
    assert Member.objects.filter(organisation=org).count() == 1


def test_review_lights_and_reminders_once_per_light(
    staff: User,
    chamber: tuple[Organisation, User],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: object,
) -> None:
    from qinqing.chambers import jobs, queries
    from qinqing.chambers.rules import Light
    from qinqing.demands.models import Outbox

    org, user = chamber
    builders.make_ready(org)
    app = services.start_application(user, org, AppKind.REGISTRATION)
    builders.upload_all(user, app)
    app = services.submit_application(user, app, expected_version=app.version)  # due 15 May 2026
    assert queries.light_for(app, dt.date(2026, 5, 11), 3) == Light.GREEN  # 4 working days left
    assert queries.light_for(app, dt.date(2026, 5, 12), 3) == Light.YELLOW
    assert queries.light_for(app, dt.date(2026, 5, 18), 3) == Light.RED
    builders.pin(monkeypatch, builders.at(2026, 5, 12))
    assert jobs.review_reminders() == 1
    assert jobs.review_reminders() == 0  # once per light
    builders.pin(monkeypatch, builders.at(2026, 5, 18))
    assert jobs.review_reminders() == 1
    subjects = sorted(
        Outbox.objects.filter(recipient=staff, channel="inbox").values_list("subject", flat=True)
    )
    assert subjects == ["商会登记审核即将到期：乌鲁木齐浙江商会", "商会登记审核已超期：乌鲁木齐浙江商会"]
