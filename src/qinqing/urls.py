from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from qinqing.core.admin_site import restrict_admin_site

restrict_admin_site(admin.site)

api_v1 = [
    path("", include("qinqing.orgs.api_urls")),
    path("", include("qinqing.accounts.api_urls")),
    path("", include("qinqing.enterprises.api_urls")),
    path("", include("qinqing.calendar.api_urls")),
    path("", include("qinqing.audit.api_urls")),
    path("", include("qinqing.demands.api_urls")),
    path("", include("qinqing.investment.api_urls")),
    path("", include("qinqing.liaison.api_urls")),
    path("", include("qinqing.analysis.api_urls")),
    path("", include("qinqing.promotion.api_urls")),
    path("", include("qinqing.portal.api_urls")),
    path("", include("qinqing.chambers.api_urls")),
    path("", include("qinqing.surveys.api_urls")),
    path("", include("qinqing.evaluation.api_urls")),
    path("", include("qinqing.kpi.api_urls")),
]

urlpatterns = [
    path("", include("qinqing.kpi.ops_urls")),  # /healthz, /readyz, /metrics
    path("", include("qinqing.core.urls")),
    path("accounts/", include("qinqing.accounts.urls")),
    path("orgs/", include("qinqing.orgs.urls")),
    path("enterprises/", include("qinqing.enterprises.urls")),
    path("calendar/", include("qinqing.calendar.urls")),
    path("audit/", include("qinqing.audit.urls")),
    path("demands/", include("qinqing.demands.urls")),
    path("investment/", include("qinqing.investment.urls")),
    path("liaison/", include("qinqing.liaison.urls")),
    path("analysis/", include("qinqing.analysis.urls")),
    path("promotion/", include("qinqing.promotion.urls")),
    path("portal/", include("qinqing.portal.urls")),
    path("chambers/", include("qinqing.chambers.urls")),
    path("surveys/", include("qinqing.surveys.urls")),
    path("evaluation/", include("qinqing.evaluation.urls")),
    path("kpi/", include("qinqing.kpi.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/public/", include("qinqing.portal.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script): no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "qinqing.core.views.not_found"
handler500 = "qinqing.core.views.server_error"
