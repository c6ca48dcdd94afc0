"""The answering pages, without login: an invitation's token, an open link / QR code, or an interviewer.

The device keeps its draft through a cookie holding the draft's random id (no session is created); the
open link also sets a "done" cookie after submission. No address or user agent is stored anywhere: the
rate limits count hashed addresses in the cache only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from qinqing.core import ratelimit
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit
from qinqing.surveys import answering, schema
from qinqing.surveys.answering import AnswerError
from qinqing.surveys.models import Draft, Invitation, Mode, Survey

COOKIE_AGE = 60 * 60 * 24 * 60  # a draft waits up to 60 days on the device
SUBMIT_LIMIT = 20  # open-link submissions per address per hour
START_LIMIT = 60  # new open-link drafts per address per hour
TOKEN_MISS_LIMIT = 30  # wrong tokens per address per 10 minutes


def draft_cookie(survey: Survey, mode: str) -> str:
    return f"qqsv_{survey.pk}_{mode}"


def done_cookie(survey: Survey) -> str:
    return f"qqsv_done_{survey.pk}"


def _ip(request: HttpRequest) -> str:
    return getattr(request, "client_ip", None) or "-"


def parse_answers(
    definition: schema.Definition, questions: list[schema.Question], data: Any
) -> dict[str, Any]:
    """One page's POSTed fields as answers: qid, qid (multi), qid__item (matrix), qid__option (ranking)."""
    given: dict[str, Any] = {}
    for q in questions:
        if q.type == "multi":
            given[q.id] = data.getlist(q.id)
        elif q.type == "matrix":
            given[q.id] = {i.id: data.get(f"{q.id}__{i.id}", "") for i in q.items}
        elif q.type == "ranking":
            ranks = {v: data.get(f"{q.id}__{v}", "") for v, _ in q.options}
            if all(r == "" for r in ranks.values()):
                given[q.id] = None
            elif len(set(ranks.values())) != len(ranks) or "" in ranks.values():
                given[q.id] = ["__invalid__"]
            else:
                given[q.id] = [
                    v for v, _ in sorted(ranks.items(), key=lambda kv: int(kv[1]) if kv[1].isdigit() else 99)
                ]
        else:
            given[q.id] = data.get(q.id, "")
    return given


def _message(request: HttpRequest, title: str, text: str, status: int = 200) -> HttpResponse:
    return render(request, "surveys/public_message.html", {"title": title, "text": text}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer_token(request: HttpRequest, token: str) -> HttpResponseBase:
    ident = _ip(request)
    if not ratelimit.peek("surveys:token-miss", ident, limit=TOKEN_MISS_LIMIT, window=600).allowed:
        return ratelimit.too_many(
            ratelimit.peek("surveys:token-miss", ident, limit=TOKEN_MISS_LIMIT, window=600), request
        )
    try:
        invitation = answering.invitation_for(token)
    except AnswerError as exc:
        ratelimit.hit("surveys:token-miss", ident, limit=TOKEN_MISS_LIMIT, window=600)
        return _message(request, "链接无效", exc.message, status=404)
    if invitation.opted_out:
        return _message(request, "已退订", "您已退订本调查，不会再收到提醒。感谢您的理解。")
    survey = invitation.survey
    if answering.token_used(invitation):
        context = {"title": "已提交", "text": "此邀请已提交过答卷，不能重复使用。感谢您的参与！"}
        if not survey.anonymous:
            context["withdraw_url"] = reverse("surveys:withdraw", args=[token])
        return render(request, "surveys/public_message.html", context)
    from qinqing.surveys import services

    services.mark_opened(invitation)
    return _answer(request, survey, invitation.unit_id, Mode.INVITATION, invitation=invitation, token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def answer_open(request: HttpRequest, slug: str, unit_id: int) -> HttpResponseBase:
    survey = get_object_or_404(
        Survey.objects.select_related("questionnaire"), open_slug=slug, allow_open_link=True
    )
    if request.COOKIES.get(done_cookie(survey)):
        return _message(request, "已提交", "本设备已提交过本调查的答卷，感谢您的参与！")
    mode = Mode.QR if request.GET.get("src") == "qr" else Mode.OPEN
    return _answer(request, survey, unit_id, mode)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def answer_interview(request: HttpRequest, pk: int, unit_id: int) -> HttpResponseBase:
    require(request.user, "surveys.interview")
    survey = get_object_or_404(Survey.objects.visible_to(request.user).select_related("questionnaire"), pk=pk)
    return _answer(request, survey, unit_id, Mode.INTERVIEW, stratum=request.GET.get("stratum", ""))


def _answer(
    request: HttpRequest,
    survey: Survey,
    unit_id: int,
    mode: str,
    *,
    invitation: Invitation | None = None,
    token: str = "",
    stratum: str = "",
) -> HttpResponseBase:
    cookie = draft_cookie(survey, mode)
    draft_id = request.COOKIES.get(cookie)
    is_open = mode in (Mode.OPEN, Mode.QR)
    if is_open and not draft_id:
        decision = ratelimit.hit("surveys:start", _ip(request), limit=START_LIMIT, window=3600)
        if not decision.allowed:
            return ratelimit.too_many(decision, request)
    try:
        draft = answering.open_draft(
            survey,
            unit_id,
            mode,
            draft_id,
            invitation=invitation,
            stratum=stratum,
            token_checked=invitation is not None,
        )
    except AnswerError as exc:
        return _message(request, "无法作答", exc.message, status=403 if exc.code != "used" else 200)
    definition = answering.definition_of(survey.questionnaire)
    errors: dict[str, str] = {}
    page = answering.page_of(draft, definition)
    if request.method == "POST":
        raw_index = str(request.POST.get("page", page.index) or 0)
        index = int(raw_index) if raw_index.isascii() and raw_index.isdigit() and len(raw_index) < 6 else 0
        action = request.POST.get("action", "next")
        page = answering.page_of(draft, definition, index)
        given = parse_answers(definition, list(page.questions), request.POST)
        try:
            if action == "prev":
                draft.page = max(0, page.index - 1)
                answering.keep(draft, "page")
                return _back(request, draft, cookie)
            errors = answering.save_page(
                draft, page.index, given, consent=request.POST.get("consent") == "on"
            )
        except AnswerError as exc:  # submitted meanwhile (another tab)
            return _message(request, "无法作答", exc.message, status=409)
        if not errors and action == "submit" and answering.is_last_page(draft, page.index):
            if is_open:
                decision = ratelimit.hit("surveys:submit", _ip(request), limit=SUBMIT_LIMIT, window=3600)
                if not decision.allowed:
                    return ratelimit.too_many(decision, request)
            try:
                answering.submit(draft.pk)
            except AnswerError as exc:
                errors = {"form": exc.message}
            else:
                response = render(
                    request,
                    "surveys/public_done.html",
                    {"survey": survey, "interview": mode == Mode.INTERVIEW},
                )
                response.delete_cookie(cookie)
                if is_open:
                    response.set_cookie(
                        done_cookie(survey), "1", max_age=60 * 60 * 24 * 365, httponly=True, samesite="Lax"
                    )
                return response
        if not errors:
            return _back(request, draft, cookie)
    context = _context(survey, draft, definition, page, errors, unit_id)
    context["optout_url"] = reverse("surveys:optout", args=[token]) if token else ""
    response = render(
        request,
        "surveys/answer.html",
        context,
        status=400 if errors else 200,
    )
    response.set_cookie(cookie, str(draft.pk), max_age=COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def _back(request: HttpRequest, draft: Draft, cookie: str) -> HttpResponse:
    response = redirect(request.get_full_path())
    response.set_cookie(cookie, str(draft.pk), max_age=COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def _condition_attr(condition: schema.Condition | None) -> str:
    if condition is None:
        return ""
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    return f"{condition.question}|{condition.op}|{','.join(str(v) for v in values if v is not None)}"


def _context(
    survey: Survey,
    draft: Draft,
    definition: schema.Definition,
    page: answering.PageView,
    errors: dict[str, str],
    unit_id: int,
) -> dict[str, Any]:
    unit = Unit.objects.filter(pk=unit_id).only("name", "short_name").first()
    questions = []
    for q in page.questions:
        questions.append(
            {
                "q": q,
                "options": q.option_order(str(draft.pk)),
                "value": draft.answers.get(q.id),
                "error": errors.get(q.id, ""),
                "condition": _condition_attr(q.condition),
                "ranks": list(range(1, len(q.options) + 1)),
            }
        )
    return {
        "survey": survey,
        "definition": definition,
        "unit": unit,
        "draft": draft,
        "page": page,
        "questions": questions,
        "errors": errors,
        "scale": schema.SCALE5,
        "last": page.index >= page.count - 1,
        "needs_consent": not survey.anonymous and draft.consent_at is None,
        "answers": draft.answers,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = answering.invitation_for(token)
    except AnswerError as exc:
        return _message(request, "链接无效", exc.message, status=404)
    if request.method == "POST":
        from qinqing.surveys import services

        services.opt_out(invitation)
        return _message(request, "已退订", "您已退订本调查，不会再收到提醒。")
    return render(
        request,
        "surveys/public_confirm.html",
        {"title": "退订本调查", "text": "退订后不再收到本调查的提醒。", "button": "确认退订"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Withdraw consent (named surveys): the response is deleted."""
    try:
        invitation = answering.invitation_for(token)
    except AnswerError as exc:
        return _message(request, "链接无效", exc.message, status=404)
    if invitation.survey.anonymous:
        return _message(request, "匿名调查", "匿名调查的答卷与您无关联，无法也无需撤回。", status=400)
    if request.method == "POST":
        done = answering.withdraw_consent(invitation)
        return _message(request, "已撤回", "您的答卷已删除。" if done else "没有可撤回的答卷。")
    return render(
        request,
        "surveys/public_confirm.html",
        {
            "title": "撤回同意",
            "text": "撤回后，您的答卷将被删除，且不能再次作答。",
            "button": "确认撤回并删除答卷",
        },
    )
