from rest_framework.routers import SimpleRouter

from qinqing.enterprises.api import ContactViewSet, EnterpriseViewSet

router = SimpleRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("contacts", ContactViewSet, basename="contact")
urlpatterns = router.urls
