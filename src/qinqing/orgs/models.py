"""The administrative tree of units (自治区 → 州/市 → 县市区/园区 → 部门/乡镇街道).

Subtrees use a materialized path: each unit's ``path`` is its ancestors' zero-padded ids followed by its
own, so "all units below X" is one ``path LIKE 'X%'`` over a table of a few thousand rows, identical on
SQLite and PostgreSQL (docs/architecture.md explains the choice).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from collections.abc import Iterable

SEGMENT = 6  # digits per level in Unit.path


class UnitKind(models.TextChoices):
    REGION = "region", "自治区"
    PREFECTURE = "prefecture", "州/市"
    COUNTY = "county", "县市区"
    PARK = "park", "园区"
    DEPARTMENT = "department", "部门"
    TOWNSHIP = "township", "乡镇/街道"


class Tier(models.IntegerChoices):
    """The government level a unit acts at; departments take their parent's tier."""

    REGION = 0, "自治区级"
    PREFECTURE = 1, "州（市）级"
    COUNTY = 2, "县（市、区）级"
    TOWNSHIP = 3, "乡镇（街道）级"


KIND_TIER = {
    UnitKind.REGION: Tier.REGION,
    UnitKind.PREFECTURE: Tier.PREFECTURE,
    UnitKind.COUNTY: Tier.COUNTY,
    UnitKind.PARK: Tier.COUNTY,
    UnitKind.TOWNSHIP: Tier.TOWNSHIP,
}
# Which kinds may sit under which parent kind.
ALLOWED_PARENTS: dict[str, set[str]] = {
    UnitKind.REGION: set(),
    UnitKind.PREFECTURE: {UnitKind.REGION},
    UnitKind.COUNTY: {UnitKind.PREFECTURE},
    UnitKind.PARK: {UnitKind.PREFECTURE, UnitKind.REGION},
    UnitKind.DEPARTMENT: {
        UnitKind.REGION,
        UnitKind.PREFECTURE,
        UnitKind.COUNTY,
        UnitKind.PARK,
        UnitKind.DEPARTMENT,
    },
    UnitKind.TOWNSHIP: {UnitKind.COUNTY},
}
DIVISION_CODE = re.compile(r"^\d{6}$")


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree(self, unit: Unit) -> Self:
        """The unit and all its descendants."""
        return self.filter(path__startswith=unit.path)

    def active(self) -> Self:
        return self.filter(is_active=True)


class Unit(models.Model):
    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=40, blank=True)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    division_code = models.CharField(
        "行政区划代码",
        max_length=6,
        blank=True,
        help_text="GB/T 2260 六位代码；部门和无代码的园区留空",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    coordinates_parent = models.BooleanField(
        "统筹本级",
        default=False,
        help_text="牵头部门（如营商环境服务中心、招商服务局）：其人员的数据范围是上级单位的全辖",
    )
    is_active = models.BooleanField("启用", default=True)
    ordering = models.PositiveIntegerField("排序", default=0)
    # Derived from the parent chain, maintained by save(): kept for cheap subtree and level queries.
    path = models.CharField(max_length=SEGMENT * 8, editable=False, db_index=True, default="")
    tier = models.PositiveSmallIntegerField("层级", choices=Tier.choices, editable=False, default=Tier.REGION)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code"],
                condition=~models.Q(division_code=""),
                name="unit_division_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.tier = self.compute_tier()
        if self.pk is None:
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
        old_path = self.path
        prefix = self.parent.path if self.parent is not None else ""
        self.path = f"{prefix}{self.pk:0{SEGMENT}d}"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            self._repath_descendants(old_path)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.division_code and not DIVISION_CODE.match(self.division_code):
            errors["division_code"] = "行政区划代码应为6位数字"
        if self.kind == UnitKind.DEPARTMENT and self.division_code:
            errors["division_code"] = "部门没有行政区划代码"
        allowed = ALLOWED_PARENTS.get(self.kind, set())
        if self.parent is None and self.kind != UnitKind.REGION:
            errors["parent"] = "请选择上级单位"
        elif self.parent is not None:
            if self.parent.kind not in allowed:
                errors["parent"] = f"{self.get_kind_display()}不能隶属于{self.parent.get_kind_display()}"
            elif self.pk and self.parent.path.startswith(self.path):
                errors["parent"] = "上级单位不能是本单位或其下级"
        if self.coordinates_parent and self.kind != UnitKind.DEPARTMENT:
            errors["coordinates_parent"] = "只有部门可以统筹本级"
        if errors:
            raise ValidationError(errors)

    def compute_tier(self) -> int:
        if self.kind == UnitKind.DEPARTMENT and self.parent is not None:
            return self.parent.tier
        return int(KIND_TIER.get(UnitKind(self.kind), Tier.PREFECTURE))

    def _repath_descendants(self, old_path: str) -> None:
        for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("path"):
            child.path = self.path + child.path[len(old_path) :]
            child.tier = child.compute_tier() if child.kind != UnitKind.DEPARTMENT else self.tier
            Unit.objects.filter(pk=child.pk).update(path=child.path, tier=child.tier)

    @property
    def depth(self) -> int:
        return len(self.path) // SEGMENT - 1

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def scope_root(self) -> Unit:
        """The unit whose subtree this unit's staff may see."""
        if self.coordinates_parent and self.parent is not None:
            return self.parent
        return self

    def ancestors(self) -> Iterable[Unit]:
        ids = [int(self.path[i : i + SEGMENT]) for i in range(0, len(self.path) - SEGMENT, SEGMENT)]
        return Unit.objects.filter(pk__in=ids).order_by("path")

    def is_within(self, other: Unit) -> bool:
        """True when this unit is OTHER or below it."""
        return self.path.startswith(other.path)
