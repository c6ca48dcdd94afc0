from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.portal.api import FiguresView, InquiryViewSet

router = SimpleRouter()
router.register("portal/inquiries", InquiryViewSet, basename="portal-inquiry")
urlpatterns = [
    path("portal/figures/", FiguresView.as_view(), name="portal-figures"),
    *router.urls,
]
