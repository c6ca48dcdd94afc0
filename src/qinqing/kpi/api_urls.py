from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.kpi.api import IncidentViewSet, MetricListView, ProjectViewSet, RequestViewSet

router = SimpleRouter()
router.register("kpi/projects", ProjectViewSet, basename="kpi-project")
router.register("kpi/incidents", IncidentViewSet, basename="kpi-incident")
router.register("kpi/requests", RequestViewSet, basename="kpi-request")
urlpatterns = [path("kpi/metrics/", MetricListView.as_view(), name="kpi-metrics"), *router.urls]
