from rest_framework.routers import SimpleRouter

from qinqing.orgs.api import UnitViewSet

router = SimpleRouter()
router.register("orgs", UnitViewSet, basename="unit")
urlpatterns = router.urls
