"""The demand list's filters, shared by the staff list page, its Excel export and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_filters.fields import ModelChoiceField as FilterModelChoiceField

from qinqing.demands import cache
from qinqing.demands.clocks import TZ
from qinqing.demands.models import Category, Channel, Demand, DemandAssist, DemandType, Light, Status
from qinqing.orgs.models import Tier, Unit


def _unit_queryset(request: Any) -> QuerySet[Unit]:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "unit_id", None):
        return Unit.objects.none()
    return Unit.objects.subtree(user.scope_unit).active()


# --- fast <select> rendering ----------------------------------------------------------------------
def options_html(choices: Iterable[tuple[Any, Any]], selected: Iterable[str] = ()) -> str:
    """<option> elements for CHOICES ((value, label) pairs; a list as label makes an <optgroup>)."""
    chosen = set(selected)
    parts: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            parts.append(f'<optgroup label="{escape(value)}">{options_html(label, chosen)}</optgroup>')
            continue
        v = "" if value is None else str(value)
        mark = " selected" if v in chosen else ""
        parts.append(f'<option value="{escape(v)}"{mark}>{escape(label)}</option>')
    return "".join(parts)


class FastSelect(forms.Select):
    """A <select> rendered in Python. Django renders every <option> through a template: for the few
    hundred units of a prefecture that was about a third of the list page's time."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        options = options_html(self.choices, self.format_value(value))
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 - every part escaped


class FastSelectMultiple(FastSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return forms.SelectMultiple.value_from_datadict(self, data, files, name)  # type: ignore[arg-type]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # an empty multiple select sends nothing


def unit_choices(user: Any) -> list[tuple[int, str]]:
    """The active units of USER's scope subtree in tree order (remembered per scope, demands.cache)."""
    scope = user.scope_unit
    return cache.memo(
        ("unit-choices", scope.pk),
        lambda: list(Unit.objects.subtree(scope).active().order_by("path").values_list("pk", "name")),
    )


def category_choices() -> list[tuple[int, str]]:
    """Active categories as the filter labels them ("要素保障／用地"), from the configuration snapshot."""

    def build() -> list[tuple[int, str]]:
        rows = [c for c in cache.current().categories.values() if c.is_active]
        return [(c.pk, str(c)) for c in sorted(rows, key=lambda c: (c.ordering, c.pk))]

    return cache.memo("category-choices", build)


# Subtrees of at least this many units are filtered in one pass (filter_unit); a county has 15–40.
BROAD_SUBTREE = 8


def subtree_ids(unit: Unit) -> list[int]:
    """The ids of UNIT and every unit below it, inactive ones too (remembered per unit, demands.cache)."""
    return cache.memo(
        ("subtree-ids", unit.pk, unit.path),
        lambda: list(
            Unit.objects.filter(path__startswith=unit.path).order_by("pk").values_list("pk", flat=True)
        ),
    )


def scope_implied(request: Any, unit: Unit) -> bool:
    """Whether filtering by UNIT already confines the list to REQUEST's user's scope.

    The staff scope (``DemandQuerySet.staff_filter``) admits a demand whose receiving, lead, assisting or
    transferring unit lies in the subtree of the user's scope unit; the unit filter keeps a demand whose
    receiving, lead or assisting unit lies in UNIT's subtree. With UNIT inside the scope's subtree (the
    only units the filter's choices accept; checked again here by path), the second implies the first.
    """
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_active", False) or getattr(user, "enterprise_id", None):
        return False
    if not getattr(user, "unit_id", None):
        return False
    scope = user.scope_unit
    return scope is not None and unit.path.startswith(scope.path)


def scope_units(user: Any) -> dict[int, Unit]:
    """The active units of USER's scope subtree by id (remembered per scope, demands.cache; read only)."""
    scope = user.scope_unit
    return cache.memo(
        ("scope-units", scope.pk), lambda: {u.pk: u for u in Unit.objects.subtree(scope).active()}
    )


class ScopeUnitField(FilterModelChoiceField):
    """A unit of the user's scope subtree by id, validated against the remembered units (no query).
    ``units`` is set by the filter per request; without it the field queries as ModelChoiceField does."""

    units: dict[int, Unit] | None = None

    def to_python(self, value: Any) -> Any:
        if self.units is None or value in self.empty_values:
            return super().to_python(value)
        raw = str(value).strip()
        found = self.units.get(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return found


class ScopeUnitFilter(django_filters.ModelChoiceFilter):
    field_class = ScopeUnitField


class DemandFilter(django_filters.FilterSet):
    """The filters. ``unscoped``: the caller's base queryset without the scope test (same ordering and
    relations), used instead of the scoped one when the unit filter implies the scope (``scope_implied``):
    PostgreSQL then tests three indexed unit lookups per candidate row instead of those and the scope's
    four subqueries, for the page and again for the count."""

    q = django_filters.CharFilter(method="filter_q", label="关键词")
    # A plain column: no join can repeat a row, so no DISTINCT (which forced a sort of every match).
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        label="状态",
        distinct=False,
        widget=FastSelectMultiple,
        method="filter_status",
    )
    demand_type = django_filters.ChoiceFilter(
        choices=DemandType.choices, label="类型", empty_label="全部类型", widget=FastSelect
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, label="来源渠道", empty_label="全部渠道", widget=FastSelect
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.select_related("parent").filter(is_active=True),
        method="filter_category",
        label="分类",
        empty_label="全部分类",
        widget=FastSelect,
    )
    created_after = django_filters.DateFilter(
        method="filter_after", label="提交日期自", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = django_filters.DateFilter(
        method="filter_before", label="提交日期至", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="超期")
    light = django_filters.ChoiceFilter(
        choices=[(Light.GREEN, "绿灯"), (Light.YELLOW, "黄灯"), (Light.RED, "红灯")],
        method="filter_light",
        label="亮灯",
        empty_label="全部",
        widget=FastSelect,
    )
    # Declared last, so that filter_unit receives the queryset with every other filter applied.
    unit = ScopeUnitFilter(
        queryset=_unit_queryset,
        method="filter_unit",
        label="单位（含下级）",
        empty_label="全部单位",
        widget=FastSelect,
    )

    class Meta:
        model = Demand
        fields = ["status", "demand_type", "channel", "category"]

    def __init__(self, *args: Any, unscoped: QuerySet[Demand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unscoped = unscoped

    def filter_queryset(self, queryset: QuerySet[Demand]) -> QuerySet[Demand]:
        unit = self.form.cleaned_data.get("unit")
        if self.unscoped is not None and unit is not None and scope_implied(self.request, unit):
            queryset = self.unscoped.all()
        return super().filter_queryset(queryset)

    @property
    def form(self) -> Any:
        """The filter form; the unit and category <select>s list remembered choices (no query, no model
        rows): validation still goes through the querysets, and only for a value actually sent."""
        if not hasattr(self, "_form"):
            form = super().form
            user = getattr(self.request, "user", None)
            if getattr(user, "unit_id", None):
                form.fields["unit"].widget.choices = [("", "全部单位"), *unit_choices(user)]
                form.fields["unit"].units = scope_units(user)
            form.fields["category"].widget.choices = [("", "全部分类"), *category_choices()]
        return self._form

    def filter_q(self, queryset: QuerySet[Demand], name: str, value: str) -> QuerySet[Demand]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(number__startswith=value.upper()) | Q(title__icontains=value)
        user = getattr(self.request, "user", None)
        unit = getattr(user, "unit", None)
        # The enterprise name only matches where the user may see the enterprise (防打击报复).
        visible = Q(hide_below_tier__isnull=True)
        if unit is not None:
            visible |= Q(hide_below_tier__gte=unit.tier)
        elif getattr(user, "enterprise_id", None):
            visible = Q()
        condition |= Q(visible, enterprise__name__icontains=value)
        return queryset.filter(condition)

    def filter_status(self, queryset: QuerySet[Demand], name: str, value: list[str]) -> QuerySet[Demand]:
        # status IN (…), not django-filter's OR of equalities: PostgreSQL reads an IN list as one range
        # condition of the (status, created_at, …) index, an OR as a bitmap of separate scans and the table.
        return queryset.filter(status__in=value) if value else queryset

    def filter_category(self, queryset: QuerySet[Demand], name: str, value: Category) -> QuerySet[Demand]:
        if value is None:
            return queryset
        return queryset.filter(Q(category=value) | Q(category__parent=value))

    def filter_unit(self, queryset: QuerySet[Demand], name: str, value: Unit) -> QuerySet[Demand]:
        if value is None:
            return queryset
        ids = subtree_ids(value)
        if len(ids) >= BROAD_SUBTREE:
            # A large area (a county, a prefecture): one pass over the other filters' index range, each
            # entry tested against the subtree's ids. With a status filter the covering (status,
            # created_at, id, receiving, lead) index answers the page (the newest entries, a few dozen
            # read) and the capped count without touching the table. The assisting units are asked only
            # for a demand with a lead unit: the services delete the assists whenever they clear it
            # (return to the office, escalation), and dispatch sets both at once.
            assisted = DemandAssist.objects.filter(demand=OuterRef("pk"), unit_id__in=ids)
            return queryset.filter(
                Q(receiving_unit_id__in=ids)
                | Q(lead_unit_id__in=ids)
                | Q(Q(lead_unit_id__isnull=False) & Q(Exists(assisted)))
            )
        # A small subtree (a department, a township): a union of three indexed lookups, which stays
        # small where the test of every entry in the status or date order would read far. Each branch
        # carries the other filters (status, type, dates, …), so it yields only matching rows.
        rows = queryset.order_by()
        assisted_ids = DemandAssist.objects.filter(unit_id__in=ids).values("demand_id")
        matching = (
            rows.filter(receiving_unit_id__in=ids)
            .values("pk")
            .union(
                rows.filter(lead_unit_id__in=ids).values("pk"),
                rows.filter(pk__in=assisted_ids).values("pk"),
            )
        )
        return queryset.filter(pk__in=matching)

    def filter_after(self, queryset: QuerySet[Demand], name: str, value: dt.date) -> QuerySet[Demand]:
        return queryset.filter(created_at__gte=dt.datetime.combine(value, dt.time.min, tzinfo=TZ))

    def filter_before(self, queryset: QuerySet[Demand], name: str, value: dt.date) -> QuerySet[Demand]:
        return queryset.filter(
            created_at__lt=dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
        )

    def filter_overdue(self, queryset: QuerySet[Demand], name: str, value: bool | None) -> QuerySet[Demand]:
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.filter(due_at__lt=now) if value else queryset.exclude(due_at__lt=now)

    def filter_light(self, queryset: QuerySet[Demand], name: str, value: str) -> QuerySet[Demand]:
        if not value:
            return queryset
        return queryset.with_light_filter(value)  # type: ignore[attr-defined]


HIDE_CHOICES = [
    ("", "不隐藏"),
    (str(Tier.PREFECTURE), "对州级以下单位隐藏"),
    (str(Tier.COUNTY), "对县级以下单位隐藏"),
]
