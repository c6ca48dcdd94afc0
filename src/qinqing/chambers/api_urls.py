from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.chambers.api import (
    ApplicationViewSet,
    CampaignViewSet,
    CertificateViewSet,
    FiguresView,
    OrganisationViewSet,
    ReportViewSet,
    VerifyView,
)

router = SimpleRouter()
router.register("chambers/organisations", OrganisationViewSet, basename="chambers-organisation")
router.register("chambers/applications", ApplicationViewSet, basename="chambers-application")
router.register("chambers/certificates", CertificateViewSet, basename="chambers-certificate")
router.register("chambers/campaigns", CampaignViewSet, basename="chambers-campaign")
router.register("chambers/reports", ReportViewSet, basename="chambers-report")
urlpatterns = [
    path("chambers/figures/", FiguresView.as_view(), name="chambers-figures"),
    path("chambers/verify/<str:serial>/", VerifyView.as_view(), name="chambers-verify"),
    *router.urls,
]
