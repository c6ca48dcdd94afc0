from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.accounts.api import MeView, TokenViewSet, UserViewSet

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="token")
router.register("users", UserViewSet, basename="user")
urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
