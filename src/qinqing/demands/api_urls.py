from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.demands.api import DemandViewSet
from qinqing.demands.stats_views import DemandStatsView

router = SimpleRouter()
router.register("demands", DemandViewSet, basename="demand")
urlpatterns = [path("demand-stats/", DemandStatsView.as_view(), name="demand-stats"), *router.urls]
