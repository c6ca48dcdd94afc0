from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from qinqing.orgs.models import Tier, Unit, UnitKind
from qinqing.orgs.tree import load_tree
from tests.factories import unit

pytestmark = pytest.mark.django_db


def test_tree_is_loaded_with_real_division_codes(tree: None) -> None:
    codes = dict(Unit.objects.exclude(division_code="").values_list("name", "division_code"))
    assert codes["新疆维吾尔自治区"] == "650000"
    assert codes["昌吉回族自治州"] == "652300"
    assert codes["乌鲁木齐市"] == "650100"
    changji_counties = {
        "昌吉市": "652301",
        "阜康市": "652302",
        "呼图壁县": "652323",
        "玛纳斯县": "652324",
        "奇台县": "652325",
        "吉木萨尔县": "652327",
        "木垒哈萨克自治县": "652328",
    }
    assert {k: codes[k] for k in changji_counties} == changji_counties
    assert codes["米东区"] == "650109"
    assert codes["乌鲁木齐县"] == "650121"
    # parks and departments carry no GB/T 2260 code
    assert unit("准东经济技术开发区").division_code == ""
    assert unit("昌吉州自然资源局").division_code == ""


def test_loading_twice_creates_nothing(tree: None) -> None:
    before = Unit.objects.count()
    assert load_tree() == 0
    assert Unit.objects.count() == before == 210


def test_tiers_and_subtrees(tree: None) -> None:
    changji = unit("昌吉回族自治州")
    assert changji.tier == Tier.PREFECTURE
    assert unit("昌吉市").tier == Tier.COUNTY
    assert unit("准东经济技术开发区").tier == Tier.COUNTY
    assert unit("榆树沟镇").tier == Tier.TOWNSHIP
    assert unit("昌吉市自然资源局").tier == Tier.COUNTY  # departments take their parent's tier
    assert unit("昌吉州自然资源局").tier == Tier.PREFECTURE
    names = set(Unit.objects.subtree(unit("昌吉市")).values_list("name", flat=True))
    assert "榆树沟镇" in names and "昌吉市自然资源局" in names
    assert "玛纳斯县" not in names and "昌吉回族自治州" not in names
    counties = Unit.objects.subtree(changji).filter(kind=UnitKind.COUNTY).count()
    assert counties == 7


def test_lead_office_scope_is_the_parent(tree: None) -> None:
    assert unit("昌吉州营商环境服务中心").scope_root == unit("昌吉回族自治州")
    assert unit("昌吉市营商环境服务中心").scope_root == unit("昌吉市")
    assert unit("昌吉市自然资源局").scope_root == unit("昌吉市自然资源局")


def test_moving_a_unit_repaths_its_subtree(tree: None) -> None:
    town = unit("榆树沟镇")
    target = unit("玛纳斯县")
    town.parent = target
    town.save()
    town.refresh_from_db()
    assert town.path.startswith(target.path)
    assert town in Unit.objects.subtree(target)
    assert town not in Unit.objects.subtree(unit("昌吉市"))


def test_invariants(tree: None) -> None:
    bad = Unit(name="某县", kind=UnitKind.COUNTY, parent=unit("昌吉市"), division_code="12345")
    with pytest.raises(ValidationError) as info:
        bad.full_clean()
    assert info.value.message_dict["division_code"] == ["行政区划代码应为6位数字"]
    assert info.value.message_dict["parent"] == ["县市区不能隶属于县市区"]
    dept = Unit(name="某局", kind=UnitKind.DEPARTMENT, parent=unit("昌吉市"), division_code="652301")
    with pytest.raises(ValidationError) as info:
        dept.full_clean()
    assert "部门没有行政区划代码" in info.value.message_dict["division_code"]
    changji = unit("昌吉回族自治州")
    changji.parent = unit("昌吉市")
    with pytest.raises(ValidationError) as info:
        changji.full_clean()
    assert info.value.message_dict["parent"] == ["州/市不能隶属于县市区"]
