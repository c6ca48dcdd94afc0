"""The public mini-program API, /api/public/v1/ (its own OpenAPI document at /api/public/schema/).

Read-only endpoints need no authentication (no session, no CSRF), read the snapshot and are cached per
process by snapshot version with ETag/Last-Modified (304 on revalidation). Writes (inquiries, ratings)
are rate-limited per address and phone. ``?lang=en`` answers in English where content has it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.core.api import ErrorSerializer
from qinqing.portal import i18n, inquiries, matching, public, sms, snapshot
from qinqing.portal.models import InquiryStatus, Rating

TAG = ["public"]
LANG = OpenApiParameter("lang", str, description="zh（默认）或 en", enum=["zh", "en"])
PAGE = OpenApiParameter("page", int, description="页码，每页 20 条")
ERRORS = {404: ErrorSerializer}


def _lang(request: Any) -> str:
    return "en" if request.GET.get("lang") == "en" else "zh"


def entry_out(r: dict[str, Any], lang: str, *, full: bool = True) -> dict[str, Any]:
    out = {
        "id": r["id"],
        "kind": r["kind"],
        "title": i18n.pick(r["title"], lang),
        "summary": i18n.pick(r["summary"], lang),
        "data": r["data"],
        "image": r.get("image"),
        "published_at": r["published_at"],
    }
    if full:
        out["body"] = i18n.pick(r["body"], lang)
        out["files"] = r.get("files") or []
    if r["kind"] == "policy":
        out["expired"] = matching.is_expired(r, public.today())
    return out


def project_out(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in PROJECT_KEYS}


# --- serializers (schema; outputs are built by the functions above) ---------------------------------
class EntrySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["profile", "park", "cluster", "policy", "news", "event"])
    title = serializers.CharField()
    summary = serializers.CharField()
    body = serializers.CharField(required=False)
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="类型字段：政策的发文机关、文号、有效期、标签与匹配条件；园区的主导产业、可供土地、联系方式、坐标等"
    )
    image = serializers.DictField(
        allow_null=True, help_text="{sizes: {宽度: 文件名}, alt}；图片地址 /portal/images/<文件名>"
    )
    files = serializers.ListField(child=serializers.DictField(), required=False)
    expired = serializers.BooleanField(required=False)
    published_at = serializers.DateTimeField()


class PublicProjectSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    summary = serializers.CharField()
    industry_section = serializers.CharField()
    industry_section_name = serializers.CharField()
    industry_division = serializers.CharField()
    industry_division_name = serializers.CharField()
    cluster_id = serializers.IntegerField(allow_null=True)
    cluster = serializers.CharField()
    chain_id = serializers.IntegerField(allow_null=True)
    chain = serializers.CharField()
    chain_role = serializers.CharField()
    location_unit_id = serializers.IntegerField()
    location = serializers.CharField()
    planned_investment_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="计划总投资（万元）"
    )
    size_band = serializers.IntegerField()
    size_band_label = serializers.CharField()
    construction = serializers.CharField()
    expected_jobs = serializers.IntegerField()
    contact_unit = serializers.CharField()


PROJECT_KEYS = tuple(PublicProjectSerializer._declared_fields)


def _page_of(child: Any, name: str) -> Any:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "results": child(many=True),
        },
    )


class MatchInputSerializer(serializers.Serializer[Any]):
    industry = serializers.CharField(required=False, help_text="GB/T 4754 门类字母或大类两位代码，如 C 或 32")
    investment_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="计划投资（万元）"
    )
    jobs = serializers.IntegerField(required=False, min_value=0)
    location = serializers.IntegerField(
        required=False, help_text="落地县市区/园区的单位编号（见 projects 的 location_unit_id）"
    )
    project_type = serializers.ChoiceField(
        choices=["new", "expansion", "relocation", "hq", "rnd"], required=False
    )
    scale = serializers.ChoiceField(choices=["large", "medium", "small", "micro"], required=False)


class MatchResultSerializer(serializers.Serializer[Any]):
    policy = EntrySerializer()
    reasons = serializers.ListField(child=serializers.CharField())
    to_check = serializers.ListField(child=serializers.CharField())


class InquiryInSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(
        required=False, allow_null=True, help_text="意向项目编号（综合咨询不填）"
    )
    company = serializers.CharField(max_length=100)
    contact = serializers.CharField(max_length=30)
    phone = serializers.CharField(max_length=11)
    email = serializers.EmailField(required=False, allow_blank=True)
    message = serializers.CharField(max_length=2000, min_length=10)
    consent = serializers.BooleanField(help_text="同意《个人信息处理告知书》（必须为 true）")
    notice_version = serializers.CharField(required=False, help_text="所同意的告知书版本")
    sms_code = serializers.CharField(
        required=False, max_length=6, help_text="短信验证码（启用短信验证时必填，先调用 sms-codes 获取）"
    )


class SmsCodeInSerializer(serializers.Serializer[Any]):
    phone = serializers.CharField(max_length=11, help_text="接收验证码的手机号（即洽谈的手机号）")


class SmsCodeOutSerializer(serializers.Serializer[Any]):
    expires_in = serializers.IntegerField(help_text="验证码有效期（秒）")
    resend_after = serializers.IntegerField(help_text="多少秒后可再次获取")


class InquiryOutSerializer(serializers.Serializer[Any]):
    number = serializers.CharField()
    token = serializers.CharField(help_text="查询令牌：凭它查询进度，请妥善保存")
    status = serializers.ChoiceField(choices=InquiryStatus.choices)
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    project_name = serializers.CharField()
    unit = serializers.CharField(help_text="受理单位")
    replies = serializers.ListField(child=serializers.DictField())
    rating = serializers.IntegerField(allow_null=True)


class RatingInSerializer(serializers.Serializer[Any]):
    rating = serializers.ChoiceField(choices=Rating.choices)


class PublicView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    page_name = ""

    def cached(self, request: Request, build: Any) -> HttpResponse:
        public.count_visit(f"api.{self.page_name}", "miniprogram")
        params = tuple(sorted(request.GET.items()))
        key = ("api", request.path, params)

        def render() -> HttpResponse:
            return JsonResponse(build(), safe=False, json_dumps_params={"ensure_ascii": False})

        return public.cached_response(request, key, render)


def _not_found() -> Response:
    return Response({"code": "not_found", "detail": "未找到或已下线", "fields": {}}, status=404)


class ProfileView(PublicView):
    page_name = "profile"

    @extend_schema(
        tags=TAG,
        parameters=[LANG],
        summary="城市概况",
        responses={
            200: inline_serializer(
                "PublicProfile",
                {"site_name": serializers.CharField(), "sections": EntrySerializer(many=True)},
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        lang = _lang(request)

        def build() -> dict[str, Any]:
            from qinqing.portal.views_public import _site

            return {
                "site_name": _site()[lang],
                "sections": [entry_out(r, lang) for r in snapshot.catalogue().list("profile")],
            }

        return self.cached(request, build)


def _list_view(kind: str, name: str, summary: str) -> type[PublicView]:
    class ListView(PublicView):
        page_name = kind

        @extend_schema(
            tags=TAG,
            parameters=[LANG],
            summary=summary,
            responses={200: EntrySerializer(many=True)},
            operation_id=f"public_{kind}_list",
        )
        def get(self, request: Request) -> HttpResponse:
            lang = _lang(request)
            return self.cached(
                request,
                lambda: [entry_out(r, lang, full=False) for r in snapshot.catalogue().list(kind)],
            )

    ListView.__name__ = name
    return ListView


def _detail_view(kinds: tuple[str, ...], name: str, summary: str) -> type[PublicView]:
    class DetailView(PublicView):
        page_name = kinds[0]

        @extend_schema(
            tags=TAG,
            parameters=[LANG],
            summary=summary,
            responses={200: EntrySerializer, **ERRORS},
            operation_id=f"public_{kinds[0]}_detail",
        )
        def get(self, request: Request, pk: int) -> HttpResponse:
            cat = snapshot.catalogue()
            row = next((r for k in kinds if (r := cat.get(k, pk)) is not None), None)
            if row is None:
                return _not_found()
            lang = _lang(request)
            return self.cached(request, lambda: entry_out(row, lang))

    DetailView.__name__ = name
    return DetailView


ParkList = _list_view("park", "ParkList", "产业园区列表")
ParkDetail = _detail_view(("park",), "ParkDetail", "产业园区详情")
ClusterList = _list_view("cluster", "ClusterList", "产业集群与产业链")
PolicyDetail = _detail_view(("policy",), "PolicyDetail", "政策详情")
NewsDetail = _detail_view(("news", "event"), "NewsDetail", "新闻/活动详情")


class PolicyList(PublicView):
    page_name = "policies"

    @extend_schema(
        tags=TAG,
        summary="政策检索（中文分词全文检索与筛选；失效政策标记 expired）",
        parameters=[
            LANG,
            PAGE,
            OpenApiParameter("q", str, description="关键词"),
            OpenApiParameter(
                "type", str, enum=["land", "tax", "power", "talent", "finance", "subsidy", "other"]
            ),
            OpenApiParameter("industry", str, description="行业代码（门类或大类）"),
            OpenApiParameter("scale", str, enum=["large", "medium", "small", "micro"]),
            OpenApiParameter("status", str, enum=["valid", "expired"]),
        ],
        responses={200: _page_of(EntrySerializer, "PublicPolicyPage")},
    )
    def get(self, request: Request) -> HttpResponse:
        lang = _lang(request)

        def build() -> dict[str, Any]:
            found = public.policies(request.GET)
            rows, number, pages = public.paginate(found, request.GET.get("page"))
            return {
                "count": len(found),
                "page": number,
                "pages": pages,
                "results": [entry_out(r, lang, full=False) for r in rows],
            }

        return self.cached(request, build)


class PolicyMatch(PublicView):
    page_name = "match"

    @extend_schema(
        tags=TAG,
        summary="政策匹配（政策计算器）",
        parameters=[LANG],
        request=MatchInputSerializer,
        responses={
            200: inline_serializer("PublicMatchResult", {"results": MatchResultSerializer(many=True)}),
            400: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "制造业项目",
                value={"industry": "C", "investment_wan": "20000", "jobs": 200, "project_type": "new"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        public.count_visit("match", "miniprogram")
        body = MatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lang = _lang(request)
        _, results = public.match({k: str(v) for k, v in body.validated_data.items()})
        return Response(
            {
                "results": [
                    {
                        "policy": entry_out(m.policy, lang, full=False),
                        "reasons": m.reasons,
                        "to_check": m.to_check,
                    }
                    for m in results
                ]
            }
        )


class ProjectList(PublicView):
    page_name = "projects"

    @extend_schema(
        tags=TAG,
        summary="招商项目库（已审核公开的项目）",
        operation_id="public_projects_list",
        parameters=[
            PAGE,
            OpenApiParameter("q", str),
            OpenApiParameter("cluster", int),
            OpenApiParameter("chain", int),
            OpenApiParameter("location", int),
            OpenApiParameter("size", int, description="规模档 0–4"),
            OpenApiParameter("industry", str),
        ],
        responses={200: _page_of(PublicProjectSerializer, "PublicProjectPage")},
    )
    def get(self, request: Request) -> HttpResponse:
        def build() -> dict[str, Any]:
            found = public.projects(request.GET)
            rows, number, pages = public.paginate(found, request.GET.get("page"))
            return {
                "count": len(found),
                "page": number,
                "pages": pages,
                "results": [project_out(r) for r in rows],
            }

        return self.cached(request, build)


class ProjectDetail(PublicView):
    page_name = "project"

    @extend_schema(
        tags=TAG,
        summary="招商项目详情",
        operation_id="public_projects_detail",
        responses={200: PublicProjectSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        row = snapshot.catalogue().get("project", pk)
        if row is None:
            return _not_found()
        return self.cached(request, lambda: project_out(row))


class NewsList(PublicView):
    page_name = "news"

    @extend_schema(
        tags=TAG,
        summary="新闻与招商活动/展会",
        parameters=[LANG, PAGE, OpenApiParameter("kind", str, enum=["news", "event"])],
        responses={200: _page_of(EntrySerializer, "PublicNewsPage")},
    )
    def get(self, request: Request) -> HttpResponse:
        lang = _lang(request)
        kind = request.GET.get("kind", "")

        def build() -> dict[str, Any]:
            found = public.news(kind if kind in ("news", "event") else "")
            rows, number, pages = public.paginate(found, request.GET.get("page"))
            return {
                "count": len(found),
                "page": number,
                "pages": pages,
                "results": [entry_out(r, lang, full=False) for r in rows],
            }

        return self.cached(request, build)


def inquiry_out(inq: Any, *, new: bool = False) -> dict[str, Any]:
    """The investor's view; NEW (just created) has no replies yet, so none are read."""
    events = [] if new else inquiries.public_events(inq)
    return {
        "number": inq.number,
        "token": inq.token,
        "status": inq.status,
        "status_label": InquiryStatus(inq.status).label,
        "created_at": inq.created_at.isoformat(),
        "due_at": inq.due_at.isoformat(),
        "project_name": inq.project_name,
        "unit": inq.unit.name,
        "replies": [{"at": e.at.isoformat(), "unit": e.unit_name, "text": e.text} for e in events],
        "rating": inq.rating,
    }


def _error(exc: ValidationError) -> Response:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {}
    detail = "；".join(m for msgs in fields.values() for m in msgs) if fields else "；".join(exc.messages)
    code = getattr(exc, "code", None) or "invalid"
    response = Response({"code": code, "detail": detail, "fields": fields}, status=400)
    if isinstance(exc, inquiries.Refused) and exc.code == "throttled":
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


class InquiryCreate(PublicView):
    @extend_schema(
        tags=TAG,
        summary="提交对接洽谈（无需注册；按地址和手机号限流）",
        request=InquiryInSerializer,
        responses={201: InquiryOutSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        examples=[
            OpenApiExample(
                "意向项目洽谈",
                request_only=True,
                value={
                    "project": 12,
                    "company": "江苏某新材料有限公司",
                    "contact": "王经理",
                    "phone": "13800000000",
                    "message": "我公司拟投资铝基新材料项目，希望了解用地和用电政策。",
                    "consent": True,
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        try:
            inq = inquiries.submit_inquiry(
                data, ip=getattr(request, "client_ip", None), lang=_lang(request), source="miniprogram"
            )
        except ValidationError as exc:
            return _error(exc)
        return Response(inquiry_out(inq, new=True), status=status.HTTP_201_CREATED)


class SmsCodeCreate(PublicView):
    @extend_schema(
        tags=TAG,
        summary="获取短信验证码（仅在启用短信验证时；按手机号和地址限流）",
        request=SmsCodeInSerializer,
        responses={
            202: SmsCodeOutSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            429: ErrorSerializer,
        },
        examples=[OpenApiExample("获取验证码", request_only=True, value={"phone": "13800000000"})],
    )
    def post(self, request: Request) -> Response:
        if not sms.enabled():
            return Response({"code": "not_found", "detail": "未启用短信验证", "fields": {}}, status=404)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            sms.request_code(
                str(data.get("phone") or ""),
                ip=getattr(request, "client_ip", None),
                site_name=inquiries.config()[0].site_name,
            )
        except ValidationError as exc:
            return _error(exc)
        return Response(
            {"expires_in": sms.CODE_TTL, "resend_after": sms.RESEND_AFTER}, status=status.HTTP_202_ACCEPTED
        )


class InquiryTrack(PublicView):
    @extend_schema(
        tags=TAG, summary="凭令牌查询洽谈进度与答复", responses={200: InquiryOutSerializer, **ERRORS}
    )
    def get(self, request: Request, token: str) -> Response:
        inq = inquiries.find_by_token(token)
        if inq is None:
            return _not_found()
        response = Response(inquiry_out(inq))
        response["Cache-Control"] = "no-store"
        return response


class InquiryRating(PublicView):
    @extend_schema(
        tags=TAG,
        summary="评价本次洽谈服务（一次）",
        request=RatingInSerializer,
        responses={200: InquiryOutSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, token: str) -> Response:
        if inquiries.find_by_token(token) is None:
            return _not_found()
        body = RatingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            inq = inquiries.rate(token, int(body.validated_data["rating"]))
        except ValidationError as exc:
            return _error(exc)
        return Response(inquiry_out(inq))
