"""Public pages (no login, mobile first), in Chinese under /portal/ and in English under /portal/en/.

Every page reads the snapshot (public.py) and is cached per process by snapshot version (ETag,
Last-Modified, 304). No page touches the session or renders a CSRF token, so anonymous visitors get no
cookie; the two forms (inquiry, rating) are CSRF-exempt because they act for nobody (no session, no
account) and are protected by rate limits, the honeypot and duplicate detection instead.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qinqing.core import uploads
from qinqing.portal import i18n, inquiries, matching, public, sms, snapshot
from qinqing.portal.models import (
    ContentKind,
    EnterpriseScale,
    EntryFile,
    InquiryStatus,
    PolicyType,
    PortalSettings,
    ProfileSection,
    ProjectType,
    Rating,
)

View = Callable[..., HttpResponse]


def _base(lang: str) -> str:
    return reverse("portal:en_pub_home" if lang == "en" else "portal:pub_home")


def _switch(request: HttpRequest, lang: str) -> str:
    zh, en = reverse("portal:pub_home"), reverse("portal:en_pub_home")
    path = request.path
    target = zh + path[len(en) :] if lang == "en" else en + path[len(zh) :]
    query = request.META.get("QUERY_STRING", "")
    return target + (f"?{query}" if query else "")


def ctx(request: HttpRequest, lang: str, page: str, **extra: Any) -> dict[str, Any]:
    cfg = _site()
    return {
        "lang": lang,
        "T": {k: i18n.t(k, lang) for k in i18n.UI},
        "base": _base(lang),
        "switch_url": _switch(request, lang),
        "page_name": page,
        "site_name": cfg["en"] if lang == "en" else cfg["zh"],
        **extra,
    }


_site_cache: dict[str, Any] = {}


def _site() -> dict[str, str]:
    version, _ = snapshot.current_version()
    if _site_cache.get("version") != version:
        cfg = PortalSettings.current()
        _site_cache.update(version=version, zh=cfg.site_name, en=cfg.site_name_en)
    return {"zh": _site_cache["zh"], "en": _site_cache["en"]}


def public_page(page: str, *, cache: bool = True) -> Callable[[View], View]:
    """Count the visit, then serve from the per-process cache (GET) or call the view."""

    def decorate(view: View) -> View:
        def wrapped(request: HttpRequest, *args: Any, lang: str = "zh", **kwargs: Any) -> HttpResponse:
            public.count_visit(page, public.source_of(request))
            if not cache or request.method != "GET":
                return view(request, *args, lang=lang, **kwargs)
            params = tuple(sorted((k, v) for k, v in request.GET.items() if k != "src"))
            key = (lang, request.path, params)
            return public.cached_response(request, key, lambda: view(request, *args, lang=lang, **kwargs))

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def _entry(kind: str, pk: int) -> dict[str, Any]:
    row = snapshot.catalogue().get(kind, pk)
    if row is None:
        raise Http404
    return row


def _localise(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Entries with their texts in LANG (``t_title``, ``t_summary``, ``t_body``)."""
    return [
        {
            **r,
            "t_title": i18n.pick(r["title"], lang),
            "t_summary": i18n.pick(r["summary"], lang),
            "t_body": i18n.pick(r["body"], lang),
        }
        for r in rows
    ]


def _policy_view(r: dict[str, Any], lang: str) -> dict[str, Any]:
    data = r["data"]
    types = [
        i18n.choice(PolicyType(t).label, lang)
        for t in data.get("policy_types") or []
        if t in PolicyType.values
    ]
    return {**_localise([r], lang)[0], "types": types, "expired": matching.is_expired(r, public.today())}


# --- pages --------------------------------------------------------------------------------------------
@public_page("home")
def home(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    cat = snapshot.catalogue()
    context = ctx(
        request,
        lang,
        "home",
        profile=_localise(cat.list("profile"), lang)[:5],
        news=_localise(public.news(), lang)[:5],
        projects=cat.list("project")[:6],
        project_count=len(cat.list("project")),
        policy_count=len(cat.list("policy")),
        park_count=len(cat.list("park")),
    )
    return render(request, "portal/public/home.html", context)


@public_page("profile")
def profile(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    sections = _localise(snapshot.catalogue().list("profile"), lang)
    for s in sections:
        label = (
            ProfileSection(s["data"]["section"]).label
            if s["data"].get("section") in ProfileSection.values
            else ""
        )
        s["section_label"] = i18n.choice(label, lang)
    return render(request, "portal/public/profile.html", ctx(request, lang, "profile", sections=sections))


@public_page("parks")
def parks(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    rows = _localise(snapshot.catalogue().list("park"), lang)
    return render(request, "portal/public/parks.html", ctx(request, lang, "parks", parks=rows))


@public_page("park")
def park(request: HttpRequest, pk: int, lang: str = "zh") -> HttpResponse:
    row = _localise([_entry(ContentKind.PARK, pk)], lang)[0]
    return render(request, "portal/public/park.html", ctx(request, lang, "park", park=row))


@public_page("clusters")
def clusters(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    rows = _localise(snapshot.catalogue().list("cluster"), lang)
    return render(request, "portal/public/clusters.html", ctx(request, lang, "clusters", clusters=rows))


@public_page("policies")
def policies(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    found = public.policies(request.GET)
    rows, number, pages = public.paginate(found, request.GET.get("page"))
    types = [(v, i18n.choice(label, lang)) for v, label in PolicyType.choices]
    context = ctx(
        request,
        lang,
        "policies",
        policies=[_policy_view(r, lang) for r in rows],
        total=len(found),
        number=number,
        pages=pages,
        types=types,
        q=request.GET.get("q", ""),
        type=request.GET.get("type", ""),
        status=request.GET.get("status", ""),
        query=_query_without_page(request),
    )
    return render(request, "portal/public/policies.html", context)


def _query_without_page(request: HttpRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@public_page("policy")
def policy(request: HttpRequest, pk: int, lang: str = "zh") -> HttpResponse:
    row = _policy_view(_entry(ContentKind.POLICY, pk), lang)
    return render(request, "portal/public/policy.html", ctx(request, lang, "policy", policy=row))


@public_page("policy_file", cache=False)
def policy_file(request: HttpRequest, pk: int, file_id: int, lang: str = "zh") -> Any:
    row = _entry(ContentKind.POLICY, pk)
    if file_id not in {f["id"] for f in row.get("files") or []}:
        raise Http404
    f = EntryFile.objects.filter(pk=file_id, entry_id=pk).first()
    if f is None:
        raise Http404
    ext = "." + f.file.name.rsplit(".", 1)[-1].lower() if "." in f.file.name else ""
    name = f.title if f.title.lower().endswith(ext) else f"{f.title}{ext}"
    response = FileResponse(f.file.open("rb"), as_attachment=True, filename=uploads.safe_name(name))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@public_page("match")
def match(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    asked = any(
        request.GET.get(k)
        for k in ("industry", "investment_wan", "jobs", "location", "project_type", "scale")
    )
    inputs, results = public.match(request.GET) if asked else (matching.Inputs(), [])
    context = ctx(
        request,
        lang,
        "match",
        asked=asked,
        inputs=inputs,
        results=[
            {**_policy_view(m.policy, lang), "reasons": m.reasons, "to_check": m.to_check} for m in results
        ],
        locations=public.match_locations(),
        sections=public.project_facets()["sections"] or [],
        project_types=[(v, i18n.choice(label, lang)) for v, label in ProjectType.choices],
        scales=EnterpriseScale.choices,
        all_sections=_sections(),
    )
    return render(request, "portal/public/match.html", context)


def _sections() -> list[tuple[str, str]]:
    from qinqing.enterprises.industries import SECTIONS

    return list(SECTIONS.items())


@public_page("projects")
def projects(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    found = public.projects(request.GET)
    rows, number, pages = public.paginate(found, request.GET.get("page"))
    facets = public.project_facets()
    context = ctx(
        request,
        lang,
        "projects",
        projects=[_project_view(r, lang) for r in rows],
        total=len(found),
        number=number,
        pages=pages,
        facets=facets,
        sizes=[(v, i18n.choice(label, lang)) for v, label in _size_bands()],
        params={k: request.GET.get(k, "") for k in ("cluster", "chain", "location", "size", "industry", "q")},
        query=_query_without_page(request),
    )
    return render(request, "portal/public/projects.html", context)


def _size_bands() -> list[tuple[int, str]]:
    from qinqing.investment.models import SizeBand

    return list(SizeBand.choices)


def _project_view(r: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        **r,
        "amount": public.wan(r["planned_investment_wan"]),
        "t_size": i18n.choice(r["size_band_label"], lang),
        "t_construction": i18n.choice(r["construction"], lang),
        "t_chain_role": i18n.choice(r["chain_role"], lang),
    }


@public_page("project")
def project(request: HttpRequest, pk: int, lang: str = "zh") -> HttpResponse:
    row = _project_view(_entry("project", pk), lang)
    context = ctx(request, lang, "project", project=row, qr_url=f"{_base(lang)}projects/{pk}/qr.svg")
    return render(request, "portal/public/project.html", context)


def qr_svg(url: str) -> bytes:
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()


@public_page("project_qr")
def project_qr(request: HttpRequest, pk: int, lang: str = "zh") -> HttpResponse:
    _entry("project", pk)
    url = request.build_absolute_uri(f"{_base(lang)}projects/{pk}/?src=qr")
    return HttpResponse(qr_svg(url), content_type="image/svg+xml")


@public_page("news")
def news_list(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in ("news", "event") else ""
    rows, number, pages = public.paginate(public.news(kind), request.GET.get("page"))
    context = ctx(
        request,
        lang,
        "news",
        items=_localise(rows, lang),
        number=number,
        pages=pages,
        kind=kind,
        query=_query_without_page(request),
    )
    return render(request, "portal/public/news.html", context)


@public_page("news_item")
def news_item(request: HttpRequest, pk: int, lang: str = "zh") -> HttpResponse:
    cat = snapshot.catalogue()
    row = cat.get("news", pk) or cat.get("event", pk)
    if row is None:
        raise Http404
    return render(
        request,
        "portal/public/news_item.html",
        ctx(request, lang, "news_item", item=_localise([row], lang)[0]),
    )


# --- inquiry and tracking -----------------------------------------------------------------------------
@csrf_exempt
@require_http_methods(["GET", "POST"])
@public_page("inquiry")
def inquiry(request: HttpRequest, lang: str = "zh") -> HttpResponse:
    cfg, _ = inquiries.config()
    pid = request.GET.get("project") or request.POST.get("project") or ""
    project_row = snapshot.catalogue().get("project", int(pid)) if pid.isdigit() else None
    errors: dict[str, list[str]] = {}
    refusal = notice_sent = ""
    status, retry_after = 200, 0
    if request.method == "POST" and request.POST.get("send_code") and sms.enabled():
        try:
            sms.request_code(
                request.POST.get("phone", ""), ip=getattr(request, "client_ip", None), site_name=cfg.site_name
            )
            phone = request.POST.get("phone", "").strip()
            notice_sent = i18n.t("code_sent", lang).format(phone=f"{phone[:3]}****{phone[-4:]}")
        except inquiries.Refused as exc:
            refusal, status, retry_after = (
                exc.text,
                (429 if exc.code == "throttled" else 400),
                exc.retry_after,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            status = 400
    elif request.method == "POST":
        try:
            created = inquiries.submit_inquiry(
                request.POST, ip=getattr(request, "client_ip", None), lang=lang
            )
        except inquiries.Refused as exc:
            refusal, status, retry_after = (
                exc.text,
                (429 if exc.code == "throttled" else 400),
                exc.retry_after,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            status = 400
        else:
            return redirect(f"{_base(lang)}track/{created.token}/?new=1")
    context = ctx(
        request,
        lang,
        "inquiry",
        project=project_row,
        errors=errors,
        refusal=refusal,
        form=request.POST,
        notice=cfg.notice_text,
        notice_version=cfg.notice_version,
        sms_check=sms.enabled(),
        code_sent=notice_sent,
    )
    response = render(request, "portal/public/inquiry.html", context, status=status)
    response["Cache-Control"] = "no-store"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
@public_page("track", cache=False)
def track(request: HttpRequest, token: str, lang: str = "zh") -> HttpResponse:
    found = inquiries.find_by_token(token)
    if found is None:
        raise Http404
    message = ""
    if request.method == "POST":
        try:
            inquiries.rate(token, int(request.POST.get("rating") or 0))
        except (ValidationError, ValueError) as exc:
            message = "；".join(getattr(exc, "messages", ["请选择评价"]))
        else:
            return redirect(request.path)
        found = inquiries.find_by_token(token) or found
    events = inquiries.public_events(found)
    context = ctx(
        request,
        lang,
        "track",
        inquiry=found,
        events=events,
        new=request.GET.get("new") == "1",
        status_label=i18n.choice(InquiryStatus(found.status).label, lang),
        ratings=Rating.choices,
        message=message,
        track_url=request.build_absolute_uri(request.path),
    )
    response = render(request, "portal/public/track.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def image(request: HttpRequest, name: str) -> FileResponse:
    """A resized upload (names are random, so the file never changes: cached for a year)."""
    from qinqing.portal.images import open_size

    handle = open_size(name)
    if handle is None:
        raise Http404
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
