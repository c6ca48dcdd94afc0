"""The public (no login) API for the mini program, under /api/public/: v1/ endpoints and its own schema.

The document at /api/public/schema/ is generated from ``v1_patterns`` only, so it holds the public
endpoints and nothing of the staff API; the staff document (/api/schema/) shows them under the tag
"public".
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from qinqing.portal import api_public as api

v1_patterns = [
    path("profile/", api.ProfileView.as_view(), name="profile"),
    path("parks/", api.ParkList.as_view(), name="parks"),
    path("parks/<int:pk>/", api.ParkDetail.as_view(), name="park"),
    path("clusters/", api.ClusterList.as_view(), name="clusters"),
    path("policies/", api.PolicyList.as_view(), name="policies"),
    path("policies/match/", api.PolicyMatch.as_view(), name="policy_match"),
    path("policies/<int:pk>/", api.PolicyDetail.as_view(), name="policy"),
    path("projects/", api.ProjectList.as_view(), name="projects"),
    path("projects/<int:pk>/", api.ProjectDetail.as_view(), name="project"),
    path("news/", api.NewsList.as_view(), name="news"),
    path("news/<int:pk>/", api.NewsDetail.as_view(), name="news_item"),
    path("inquiries/", api.InquiryCreate.as_view(), name="inquiries"),
    path("sms-codes/", api.SmsCodeCreate.as_view(), name="sms_codes"),
    path("inquiries/<str:token>/", api.InquiryTrack.as_view(), name="inquiry"),
    path("inquiries/<str:token>/rating/", api.InquiryRating.as_view(), name="inquiry_rating"),
]

schema_urlconf = [path("api/public/v1/", include((v1_patterns, "public_api")))]

app_name = "public_api"
urlpatterns = [
    path("v1/", include(v1_patterns)),
    path(
        "schema/",
        SpectacularAPIView.as_view(
            urlconf=schema_urlconf,
            custom_settings={
                "TITLE": "Qinqing public API (招商小程序)",
                "DESCRIPTION": "亲清招商门户公开接口：无需登录的只读接口（可缓存，ETag/304）与限流的洽谈提交。",
                "VERSION": "1.0.0",
                "SCHEMA_PATH_PREFIX": "/api/public/v1",
            },
        ),
        name="schema",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="public_api:schema"), name="docs"),
]
