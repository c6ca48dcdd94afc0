"""The URLconf of the portal's own host name (PORTAL_HOST; qinqing.portal.hosts): public paths only.

The same paths as on the staff host (``/portal/…``, ``/api/public/…``), so links, QR codes and caches do
not depend on the host; the staff pages, login, the staff API, the admin and /metrics are not routed here
(404). Kept at the project level, beside qinqing/urls.py, because it mounts kpi's /healthz (a higher app).
"""

from django.urls import include, path
from django.views.generic import RedirectView

from qinqing.kpi import ops_views
from qinqing.portal import urls as portal_urls

public_patterns = [p for p in portal_urls.urlpatterns if not str(p.pattern).startswith("staff/")]

urlpatterns = [
    path("", RedirectView.as_view(url="/portal/", permanent=False)),
    path("healthz", ops_views.healthz, name="healthz"),
    path("portal/", include((public_patterns, "portal"))),
    path("api/public/", include("qinqing.portal.public_urls")),
]

handler404 = "qinqing.core.views.not_found"
handler500 = "qinqing.core.views.server_error"
