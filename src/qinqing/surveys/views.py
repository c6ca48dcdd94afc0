"""Staff pages: questionnaires and the builder, surveys and fieldwork. Results pages are in result_views.py."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qinqing.core.permissions import require_capability
from qinqing.orgs.models import Unit
from qinqing.surveys import answering, builder, queries, schema, services
from qinqing.surveys.forms import (
    ImportForm,
    QuestionForm,
    QuestionnaireForm,
    SampleForm,
    SectionForm,
    SurveyForm,
    condition_of,
)
from qinqing.surveys.models import LibraryQuestion, Questionnaire, Survey, SurveyStatus

VIEW = "surveys.view"


def _user(request: HttpRequest) -> Any:
    return request.user


def _attempt(request: HttpRequest, func: Callable[[], Any], ok: str) -> bool:
    try:
        func()
    except services.StaleError:
        messages.error(request, "该记录已被他人修改，请刷新后重试")
    except schema.DefinitionError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PermissionDenied:
        messages.error(request, "无权执行此操作")
    else:
        if ok:
            messages.success(request, ok)
        return True
    return False


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (user.can(VIEW) or user.can("surveys.interview")):
        raise PermissionDenied("无权执行此操作")
    surveys = (
        Survey.objects.visible_to(request.user)
        .select_related("questionnaire", "owner_unit")
        .order_by("-starts_on", "-pk")
    )
    page = Paginator(surveys, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/home.html",
        {
            "page_obj": page,
            "can_fieldwork": user.can("surveys.fieldwork"),
            "can_view": user.can(VIEW),
            "can_interview": user.can("surveys.interview"),
        },
    )


# --- questionnaires ---------------------------------------------------------------------------------
@login_required
@require_capability(VIEW)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    qs = (
        Questionnaire.objects.visible_to(request.user)
        .select_related("owner_unit")
        .order_by("title", "-version")
    )
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created: list[Questionnaire] = []
        if _attempt(
            request,
            lambda: created.append(services.create_questionnaire(_user(request), form.cleaned_data["title"])),
            "问卷已创建",
        ):
            return redirect("surveys:questionnaire", created[0].pk)
    return render(
        request,
        "surveys/questionnaire_list.html",
        {
            "page_obj": Paginator(qs, 50).get_page(request.GET.get("page")),
            "form": form,
            "import_form": ImportForm(),
        },
    )


@login_required
@require_POST
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择问卷 JSON 文件")
        return redirect("surveys:questionnaires")
    try:
        data = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        messages.error(request, "文件不是有效的 JSON（UTF-8）")
        return redirect("surveys:questionnaires")
    created: list[Questionnaire] = []
    if _attempt(request, lambda: created.append(services.import_json(_user(request), data)), "问卷已导入"):
        return redirect("surveys:questionnaire", created[0].pk)
    return redirect("surveys:questionnaires")


@login_required
@require_capability(VIEW)
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    q = get_object_or_404(Questionnaire.objects.visible_to(request.user), pk=pk)
    definition: schema.Definition | None
    try:
        definition = schema.Definition.parse(q.definition)
        error = ""
    except schema.DefinitionError as exc:
        definition, error = None, str(exc)
    versions = Questionnaire.objects.visible_to(request.user).filter(family=q.family).order_by("version")
    return render(
        request,
        "surveys/questionnaire_detail.html",
        {
            "q": q,
            "definition": definition,
            "error": error,
            "versions": versions,
            "section_form": SectionForm(),
            "question_form": QuestionForm(),
            "json_text": json.dumps(q.definition, ensure_ascii=False, indent=2),
            "library": LibraryQuestion.objects.visible_to(request.user)[:200],
            "types": schema.TYPES,
            "can_design": request.user.can("surveys.design") and not q.frozen,  # type: ignore[union-attr]
        },
    )


@login_required
@require_POST
def questionnaire_edit(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The builder's actions: section, question, remove, up, down, json, library, to_library."""
    q = get_object_or_404(Questionnaire.objects.visible_to(request.user), pk=pk)
    user = _user(request)
    lock = int(request.POST.get("lock_version", -1))
    data = request.POST
    definition: dict[str, Any] | None = None
    try:
        if action == "section":
            form = SectionForm(data)
            if form.is_valid():
                definition = builder.add_section(
                    q.definition, form.cleaned_data["title"], condition_of(form.cleaned_data)
                )
        elif action == "question":
            qform = QuestionForm(data)
            if qform.is_valid():
                definition = builder.add_question(
                    q.definition, qform.cleaned_data["section"], qform.question()
                )
            else:
                messages.error(
                    request,
                    "；".join(
                        f"{qform.fields[f].label}：{e[0]}"
                        for f, e in qform.errors.items()
                        if f in qform.fields
                    ),
                )
        elif action in ("remove", "up", "down"):
            qid = data.get("question", "")
            definition = (
                builder.remove_question(q.definition, qid)
                if action == "remove"
                else builder.move_question(q.definition, qid, -1 if action == "up" else 1)
            )
        elif action == "json":
            try:
                definition = json.loads(data.get("definition", ""))
            except json.JSONDecodeError as exc:
                messages.error(request, f"JSON 格式有误：第 {exc.lineno} 行")
        elif action == "library":
            item = get_object_or_404(LibraryQuestion.objects.visible_to(request.user), pk=data.get("item"))
            definition = builder.insert_library(q.definition, data.get("section", ""), item.question)
        elif action == "to_library":
            found = schema.Definition.parse(q.definition).question(data.get("question", ""))
            raw = next(
                (
                    x
                    for s in q.definition["sections"]
                    for x in s["questions"]
                    if found and x["id"] == found.id
                ),
                None,
            )
            if raw is not None:
                _attempt(request, lambda: services.save_to_library(user, raw["text"], raw), "已加入题库")
        elif action == "publish":
            _attempt(request, lambda: services.publish(user, q), "问卷已发布（已冻结）")
        elif action == "version":
            created: list[Questionnaire] = []
            if _attempt(request, lambda: created.append(services.new_version(user, q)), "已创建新版本"):
                return redirect("surveys:questionnaire", created[0].pk)
        else:
            raise PermissionDenied
    except schema.DefinitionError as exc:
        messages.error(request, str(exc))
    if definition is not None:
        final = definition
        _attempt(request, lambda: services.save_definition(user, q, final, lock), "已保存")
    return redirect(reverse("surveys:questionnaire", args=[q.pk]) + "#builder")


@login_required
@require_capability(VIEW)
def questionnaire_export(request: HttpRequest, pk: int) -> HttpResponse:
    q = get_object_or_404(Questionnaire.objects.visible_to(request.user), pk=pk)
    response = JsonResponse(services.export_json(q), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="questionnaire-{q.pk}-v{q.version}.json"'
    return response


@login_required
@require_capability(VIEW)
def questionnaire_preview(request: HttpRequest, pk: int) -> HttpResponse:
    q = get_object_or_404(Questionnaire.objects.visible_to(request.user), pk=pk)
    return render(request, "surveys/preview.html", {"q": q})


@login_required
@require_capability(VIEW)
def questionnaire_preview_frame(request: HttpRequest, pk: int) -> HttpResponse:
    """The answering page as a respondent sees it, every section on one page, nothing saved."""
    q = get_object_or_404(Questionnaire.objects.visible_to(request.user), pk=pk)
    try:
        definition = schema.Definition.parse(q.definition)
    except schema.DefinitionError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    sections = [
        {
            "section": s,
            "questions": [
                {"q": x, "options": x.option_order("preview"), "ranks": list(range(1, len(x.options) + 1))}
                for x in s.questions
            ],
        }
        for s in definition.sections
    ]
    return render(
        request,
        "surveys/preview_frame.html",
        {"q": q, "definition": definition, "sections": sections, "scale": schema.SCALE5},
    )


# --- surveys ------------------------------------------------------------------------------------------
@login_required
@require_capability("surveys.fieldwork")
def survey_create(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        c = dict(form.cleaned_data)
        questionnaire, units = c.pop("questionnaire"), list(c.pop("units"))
        created: list[Survey] = []
        if _attempt(
            request,
            lambda: created.append(
                services.create_survey(_user(request), questionnaire=questionnaire, units=units, **c)
            ),
            "调查已创建",
        ):
            return redirect("surveys:detail", created[0].pk)
    return render(request, "surveys/survey_form.html", {"form": form})


def _survey(request: HttpRequest, pk: int) -> Survey:
    return get_object_or_404(
        Survey.objects.visible_to(request.user).select_related("questionnaire", "owner_unit"), pk=pk
    )


@login_required
@require_capability(VIEW)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    user = _user(request)
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "units": units,
            "progress": queries.progress(survey, units),
            "runs": survey.sampling_runs.all()[:10],
            "sample_form": SampleForm(),
            "can_fieldwork": user.can("surveys.fieldwork"),
            "can_interview": user.can("surveys.interview") and survey.allow_interview,
            "can_raw": user.can("surveys.export_raw"),
            "transitions": [
                (s, SurveyStatus(s).label) for s in sorted(services.TRANSITIONS.get(survey.status, set()))
            ],
            "open_links": [
                (
                    u,
                    reverse("surveys:answer_open", args=[survey.open_slug, u.pk]),
                    reverse("surveys:qr", args=[survey.pk, u.pk]),
                )
                for u in units
            ]
            if survey.allow_open_link and survey.open_slug
            else [],
            "unit_count": survey.units.count(),
        },
    )


@login_required
@require_POST
def survey_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    survey = _survey(request, pk)
    user = _user(request)
    data = request.POST
    if action == "transition":
        _attempt(
            request,
            lambda: services.transition(user, survey, data.get("to", ""), int(data.get("lock_version", -1))),
            "状态已更新",
        )
    elif action == "sample":
        form = SampleForm(data)
        if form.is_valid():
            c = form.cleaned_data
            out: list[Any] = []
            if _attempt(
                request,
                lambda: out.append(
                    services.draw_sample(
                        user, survey, default_size=c["default_size"], seed=c["seed"], quota=c["quota"]
                    )
                ),
                "",
            ):
                messages.success(request, f"已抽取 {out[0].drawn} 家企业（随机种子 {out[0].seed}）")
        else:
            messages.error(request, "请填写有效的样本量")
    elif action in ("invite", "remind"):
        count: list[int] = []
        if _attempt(
            request,
            lambda: count.append(services.send_invitations(user, survey, reminder=action == "remind")),
            "",
        ):
            messages.success(request, f"已排队发送 {count[0]} 条{'提醒' if action == 'remind' else '邀请'}")
    elif action == "quota":
        unit = get_object_or_404(Unit, pk=data.get("unit"))
        try:
            target = int(data.get("target", ""))
        except ValueError:
            messages.error(request, "配额应为整数")
        else:
            _attempt(
                request,
                lambda: services.set_quota(user, survey, unit, data.get("stratum", ""), target),
                "配额已保存",
            )
    else:
        raise PermissionDenied
    return redirect("surveys:detail", survey.pk)


@login_required
@require_capability(VIEW)
def qr(request: HttpRequest, pk: int, unit_id: int) -> HttpResponse:
    """The QR code of a unit's open link, for posters in the service hall (PNG)."""
    import qrcode

    survey = _survey(request, pk)
    if not survey.allow_open_link or not survey.units.filter(pk=unit_id).exists():
        return HttpResponse("本调查未开放公开链接", status=404, content_type="text/plain; charset=utf-8")
    url = request.build_absolute_uri(
        reverse("surveys:answer_open", args=[survey.open_slug, unit_id]) + "?src=qr"
    )
    buffer = io.BytesIO()
    qrcode.make(url).save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/png")


@login_required
def interview(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An interviewer picks the unit (and stratum) of a paper or telephone interview, then enters it."""
    if not request.user.can("surveys.interview"):  # type: ignore[union-attr]
        raise PermissionDenied
    survey = _survey(request, pk)
    units = queries.visible_units(survey, request.user)
    if request.GET.get("unit"):
        unit = get_object_or_404(Unit, pk=request.GET["unit"])
        strata = "|".join(request.GET.get(f, "") for f in survey.strata_fields)
        response = redirect(
            reverse("surveys:answer_interview", args=[survey.pk, unit.pk])
            + (f"?stratum={strata}" if survey.strata_fields else "")
        )
        from qinqing.surveys.public_views import draft_cookie

        response.delete_cookie(draft_cookie(survey, "interview"))
        return response
    from qinqing.enterprises.industries import SECTION_CHOICES
    from qinqing.enterprises.models import Ownership, Scale

    choices = {"industry_section": SECTION_CHOICES, "scale": Scale.choices, "ownership": Ownership.choices}
    strata_choices = [
        (f, {"industry_section": "行业门类", "scale": "企业规模", "ownership": "所有制"}[f], choices[f])
        for f in survey.strata_fields
    ]
    return render(
        request, "surveys/interview.html", {"survey": survey, "units": units, "strata": strata_choices}
    )


__all__ = ["answering"]
