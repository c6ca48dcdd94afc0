from rest_framework.routers import SimpleRouter

from qinqing.evaluation.api import RoundViewSet, SystemViewSet, ValueViewSet

router = SimpleRouter()
router.register("evaluation/systems", SystemViewSet, basename="evaluation-system")
router.register("evaluation/rounds", RoundViewSet, basename="evaluation-round")
router.register("evaluation/values", ValueViewSet, basename="evaluation-value")
urlpatterns = [*router.urls]
