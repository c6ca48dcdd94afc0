"""Pages: systems (tree editor), rounds (overview, entry grid, review, ranking, scorecards), reports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from qinqing.accounts.models import User
from qinqing.accounts.reauth import reauth_required
from qinqing.core import uploads
from qinqing.core.permissions import require_capability
from qinqing.evaluation import importing, queries, reports, scoring, services, trees
from qinqing.evaluation.forms import (
    EvidenceForm,
    ImportForm,
    IndicatorForm,
    MeasureForm,
    OverrideForm,
    RoundForm,
)
from qinqing.evaluation.models import (
    Benchmark,
    Evidence,
    Indicator,
    IndicatorSystem,
    ReformMeasure,
    Round,
    Value,
    ValueStatus,
)
from qinqing.orgs.models import Unit

VIEW = "evaluation.view"


def _user(request: HttpRequest) -> Any:
    return request.user


def _attempt(request: HttpRequest, func: Callable[[], Any], ok: str) -> bool:
    try:
        func()
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
        return False
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "无权执行此操作")
        return False
    messages.success(request, ok)
    return True


def _form_messages(request: HttpRequest, form: Any) -> None:
    """Each error of FORM as a message naming its field by label (说明：请确保该值不超过200个字符……)."""
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for e in errs:
            messages.error(request, f"{label}：{e}" if label else str(e))


def _round(request: HttpRequest, pk: int) -> Round:
    return get_object_or_404(
        Round.objects.visible_to(request.user).select_related("system", "owner_unit"), pk=pk
    )


def _unit(rnd: Round, unit_id: Any) -> Unit:
    return get_object_or_404(rnd.units.all(), pk=unit_id)


# --- home and systems -------------------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def home(request: HttpRequest) -> HttpResponse:
    rounds = Round.objects.visible_to(request.user).select_related("system", "owner_unit")
    systems = (
        IndicatorSystem.objects.all()
        if _user(request).can("evaluation.design")
        else IndicatorSystem.objects.none()
    )
    return render(request, "evaluation/home.html", {"rounds": rounds, "systems": systems})


@login_required
@require_capability("evaluation.design")
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(IndicatorSystem, pk=pk)
    children = trees.rows_by_parent(system)
    rows: list[tuple[int, Indicator, bool]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in children.get(parent_id, []):
            rows.append((depth, row, row.pk not in children))
            walk(row.pk, depth + 1)

    walk(None, 0)
    edit = request.GET.get("edit")
    editing = next((r for _, r, _ in rows if str(r.pk) == edit), None)
    parent = next((r for _, r, _ in rows if str(r.pk) == request.GET.get("add")), None)
    form = IndicatorForm(instance=editing) if editing else IndicatorForm()
    problems = scoring.bound_errors(trees.engine_system(system))
    return render(
        request,
        "evaluation/system_detail.html",
        {
            "system": system,
            "rows": rows,
            "form": form,
            "editing": editing,
            "parent": parent,
            "show_form": editing is not None or "add" in request.GET,
            "problems": problems,
        },
    )


@login_required
@require_POST
@require_capability("evaluation.design")
def indicator_save(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(IndicatorSystem, pk=pk)
    indicator = None
    if request.POST.get("indicator"):
        indicator = get_object_or_404(Indicator, system=system, pk=request.POST["indicator"])
    parent = None
    if request.POST.get("parent"):
        parent = get_object_or_404(Indicator, system=system, pk=request.POST["parent"])
    form = IndicatorForm(request.POST, instance=Indicator(system=system))
    if not form.is_valid():
        _form_messages(request, form)
        return redirect("evaluation:system", pk=pk)
    version = int(request.POST.get("version") or 0)
    _attempt(
        request,
        lambda: services.save_indicator(
            request.user,
            system,
            form.cleaned_data,
            expected_version=version,
            indicator=indicator,
            parent=parent,
        ),
        "指标已保存",
    )
    return redirect("evaluation:system", pk=pk)


@login_required
@require_POST
@require_capability("evaluation.design")
def indicator_delete(request: HttpRequest, pk: int, node: int) -> HttpResponse:
    indicator = get_object_or_404(Indicator, system_id=pk, pk=node)
    version = int(request.POST.get("version") or 0)
    _attempt(
        request,
        lambda: services.delete_indicator(request.user, indicator, expected_version=version),
        "已删除",
    )
    return redirect("evaluation:system", pk=pk)


@login_required
@require_capability(VIEW)
def system_export(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(IndicatorSystem, pk=pk)
    body = json.dumps(trees.export_system(system), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{system.code}-{system.year}.json"'
    return response


@login_required
@require_POST
@require_capability("evaluation.design")
def system_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        data = json.loads(upload.read().decode("utf-8")) if upload else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if data is None:
        messages.error(request, "请上传 UTF-8 编码的 JSON 文件")
        return redirect("evaluation:home")
    year = int(request.POST["year"]) if request.POST.get("year", "").isdigit() else None
    created: list[IndicatorSystem] = []
    _attempt(
        request,
        lambda: created.append(services.import_system(request.user, data, year=year)),
        "指标体系已导入",
    )
    return redirect("evaluation:system", pk=created[0].pk) if created else redirect("evaluation:home")


@login_required
@require_POST
@require_capability("evaluation.design")
def system_copy(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(IndicatorSystem, pk=pk)
    created: list[IndicatorSystem] = []
    raw = request.POST.get("year", "")
    if not raw.isdigit():
        messages.error(request, "请填写年度")
        return redirect("evaluation:system", pk=pk)
    _attempt(
        request, lambda: created.append(services.copy_system(request.user, system, year=int(raw))), "已复制"
    )
    return redirect("evaluation:system", pk=created[0].pk if created else pk)


# --- rounds -----------------------------------------------------------------------------------------
@login_required
@require_capability("evaluation.design")
def round_create(request: HttpRequest) -> HttpResponse:
    form = RoundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        created: list[Round] = []
        owner = _user(request).scope_unit
        data = services.RoundData(
            d["name"],
            d["year"],
            d["system"],
            owner,
            list(d["units"]),
            d["starts_on"],
            d["ends_on"],
            d["previous"],
        )
        if _attempt(request, lambda: created.append(services.create_round(request.user, data)), "评价已创建"):
            return redirect("evaluation:round", pk=created[0].pk)
    return render(request, "evaluation/round_form.html", {"form": form})


@login_required
@require_capability(VIEW)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "fill":
            result: dict[str, int] = {}
            _attempt(
                request, lambda: result.update(services.fill_live(request.user, rnd)), "已从平台实时数据填充"
            )
        elif action == "member":
            member = User.objects.filter(username=request.POST.get("username", "").strip()).first()
            if member is None:
                messages.error(request, "未找到该账号")
            else:
                _attempt(request, lambda: services.add_member(request.user, rnd, member), "已加入评估组")
        elif action == "close":
            _attempt(request, lambda: services.close_round(request.user, rnd), "评价已结束")
        return redirect("evaluation:round", pk=pk)
    members = rnd.members.select_related("user").order_by("user__username")
    return render(
        request,
        "evaluation/round_detail.html",
        {
            "round": rnd,
            "progress": queries.progress(rnd),
            "members": members,
            "import_form": ImportForm(),
            "leaves": trees.leaves(rnd.system),
        },
    )


@login_required
@require_capability(VIEW)
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid: one unit's column (?unit=) or one indicator's row (?indicator=)."""
    rnd = _round(request, pk)
    unit = _unit(rnd, request.GET["unit"]) if request.GET.get("unit") else None
    indicator = None
    if unit is None:
        indicator = get_object_or_404(Indicator, system=rnd.system, pk=request.GET.get("indicator") or 0)
    base = Value.objects.filter(round=rnd).select_related("indicator", "unit")
    rows = base.filter(unit=unit) if unit else base.filter(indicator=indicator)
    rows = rows.order_by("indicator__order") if unit else rows.order_by("unit__path")
    if request.method == "POST":
        entries = []
        for v in rows:
            key = f"v{v.pk}"
            if key not in request.POST:
                continue
            entries.append(
                services.Entry(
                    v.pk,
                    int(request.POST.get(f"ver{v.pk}") or 0),
                    request.POST.get(key, ""),
                    request.POST.get(f"note{v.pk}"),
                    request.POST.get(f"doc{v.pk}"),
                )
            )
        submit = request.POST.get("action") == "submit"
        ok = "已保存并提交审核" if submit else "已保存"
        try:
            services.enter_values(request.user, rnd, entries, submit=submit)
            messages.success(request, ok)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                names = {str(v.pk): v for v in rows}
                for key, errs in exc.message_dict.items():
                    cell = names.get(key)
                    label = f"{cell.unit.name} {cell.indicator.code}" if cell else key
                    messages.error(request, f"{label}：{'；'.join(errs)}（未保存任何数据）")
            else:
                for msg in exc.messages:
                    messages.error(request, msg)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "无权执行此操作")
        return redirect(request.get_full_path())
    return render(
        request,
        "evaluation/entry.html",
        {
            "round": rnd,
            "unit": unit,
            "indicator": indicator,
            "rows": rows,
            "units": rnd.units.order_by("path"),
            "leaves": trees.leaves(rnd.system),
            "can_enter": _user(request).can("evaluation.enter"),
        },
    )


@login_required
@require_capability(VIEW)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    rows = Value.objects.filter(round=rnd, status=ValueStatus.REVIEW).select_related("indicator", "unit")
    if request.GET.get("unit"):
        rows = rows.filter(unit_id=request.GET["unit"])
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("value") if i.isdigit()]
        action = request.POST.get("action", "")
        if not ids:
            messages.error(request, "请选择要审核的数据")
        elif action in ("accept", "return"):
            _attempt(
                request,
                lambda: services.transition(
                    request.user, rnd, ids, action, comment=request.POST.get("comment", "")
                ),
                "审核通过" if action == "accept" else "已退回",
            )
        return redirect(request.get_full_path())
    return render(
        request,
        "evaluation/review.html",
        {
            "round": rnd,
            "rows": rows.order_by("unit__path", "indicator__order"),
            "can_review": _user(request).can("evaluation.review"),
            "units": rnd.units.order_by("path"),
        },
    )


@login_required
@require_capability(VIEW)
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    result = queries.ranking(rnd, request.GET.get("node"))
    system = services.engine_for(rnd)
    chart = {
        "units": [r.unit.short_name or r.unit.name for r in result.rows],
        "scores": [None if r.score is None else round(float(r.score), 2) for r in result.rows],
    }
    return render(
        request,
        "evaluation/ranking.html",
        {"round": rnd, "r": result, "nodes": [n for n in system.nodes() if not n.is_leaf], "chart": chart},
    )


@login_required
@require_capability(VIEW)
def scorecard(request: HttpRequest, pk: int, unit_id: int) -> HttpResponse:
    rnd = _round(request, pk)
    unit = _unit(rnd, unit_id)
    card = queries.scorecard(rnd, unit)
    chart = {
        "topics": [t.node.name for t in card.topics],
        "unit": [0 if t.score is None else round(float(t.score), 2) for t in card.topics],
        "median": [0 if t.median is None else round(float(t.median), 2) for t in card.topics],
    }
    return render(request, "evaluation/scorecard.html", {"round": rnd, "card": card, "chart": chart})


@login_required
@require_capability(VIEW)
def value_detail(request: HttpRequest, pk: int) -> HttpResponse:
    value = get_object_or_404(
        Value.objects.visible_to(request.user).select_related("round", "unit", "indicator"), pk=pk
    )
    if request.method == "POST":
        if request.POST.get("action") == "override":
            form = OverrideForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                _attempt(
                    request,
                    lambda: services.override_value(
                        request.user, value, d["value"], reason=d["reason"], expected_version=d["version"]
                    ),
                    "已修正",
                )
            else:
                _form_messages(request, form)
        else:
            ev = EvidenceForm(request.POST, request.FILES)
            if ev.is_valid():
                _attempt(
                    request,
                    lambda: services.add_evidence(
                        request.user, value, ev.cleaned_data["file"], note=ev.cleaned_data["note"]
                    ),
                    "佐证材料已上传",
                )
            else:
                _form_messages(request, ev)
        return redirect("evaluation:value", pk=pk)
    return render(
        request,
        "evaluation/value_detail.html",
        {
            "v": value,
            "changes": value.changes.select_related("by"),
            "evidence": value.evidence.all(),
            "override_form": OverrideForm(initial={"version": value.version, "value": value.value}),
            "evidence_form": EvidenceForm(),
        },
    )


@login_required
@require_capability(VIEW)
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(Evidence.objects.select_related("value"), pk=pk)
    get_object_or_404(Value.objects.visible_to(request.user), pk=row.value_id)
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=uploads.safe_name(row.name))


@login_required
@require_capability(VIEW)
def import_values(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    errors: list[tuple[int, str]] = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            f = form.cleaned_data["file"]
            try:
                result = importing.import_values(request.user, rnd, f.name, f.read())
            except PermissionDenied as exc:
                messages.error(request, str(exc) or "无权执行此操作")
                return redirect("evaluation:round", pk=pk)
            if result.ok:
                messages.success(request, f"已导入{result.saved}项数据")
                return redirect("evaluation:round", pk=pk)
            errors = result.errors
            messages.error(request, f"文件有{len(errors)}处错误，未导入任何数据")
    return render(request, "evaluation/import.html", {"round": rnd, "errors": errors, "form": ImportForm()})


@login_required
@require_capability(VIEW)
def benchmarks(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    leaves = trees.leaves(rnd.system)
    name = request.POST.get("name") or request.GET.get("name") or "全国先进县市"
    if request.method == "POST":
        values = {leaf: request.POST.get(f"b{leaf.pk}", "") for leaf in leaves}
        _attempt(request, lambda: services.set_benchmark(request.user, rnd, name, values), "对标数据已保存")
        return redirect(f"{request.path}?name={name}")
    current = {b.indicator_id: b.value for b in Benchmark.objects.filter(round=rnd, name=name)}
    names = sorted(set(Benchmark.objects.filter(round=rnd).values_list("name", flat=True)))
    rows = [(leaf, current.get(leaf.pk)) for leaf in leaves]
    return render(
        request, "evaluation/benchmarks.html", {"round": rnd, "rows": rows, "name": name, "names": names}
    )


@login_required
@require_capability(VIEW)
def measures(request: HttpRequest) -> HttpResponse:
    form = MeasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _attempt(request, lambda: services.add_measure(request.user, **form.cleaned_data), "举措已加入")
        return redirect("evaluation:measures")
    return render(
        request,
        "evaluation/measures.html",
        {
            "measures": ReformMeasure.objects.filter(active=True),
            "form": form,
            "can_design": _user(request).can("evaluation.design"),
        },
    )


@login_required
@require_capability(VIEW)
@reauth_required("导出评估数据")
def values_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The accepted values as VALUES.csv of ``qinqing evaluation score`` (with the system's JSON export)."""
    rnd = _round(request, pk)
    response = HttpResponse(queries.values_csv(rnd), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="values-{rnd.pk}.csv"'
    return response


# --- reports ----------------------------------------------------------------------------------------
def _download(data: bytes, filename: str, fmt: str) -> HttpResponse:
    types = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    response = HttpResponse(data, content_type=types[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
@require_capability(VIEW)
@reauth_required("下载评估报告")
def unit_report(request: HttpRequest, pk: int, unit_id: int, fmt: str) -> HttpResponse:
    rnd = _round(request, pk)
    unit = _unit(rnd, unit_id)
    data = reports.unit_report(request.user, rnd, unit, fmt)
    return _download(data, f"{rnd.name}-{unit.name}.{fmt}", fmt)


@login_required
@require_capability(VIEW)
@reauth_required("下载评估总报告")
def summary_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    rnd = _round(request, pk)
    data = reports.summary_report(request.user, rnd, fmt)
    return _download(data, f"{rnd.name}-总报告.{fmt}", fmt)


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _dec(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
