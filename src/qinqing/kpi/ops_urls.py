"""Health and monitoring endpoints, mounted at the site root (qinqing/urls.py)."""

from django.urls import path

from qinqing.kpi import ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.prometheus, name="prometheus"),
]
