from django.urls import path

from qinqing.kpi import ops_views, views

app_name = "kpi"
urlpatterns = [
    path("", views.home, name="home"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/evaluation/", views.evaluation, name="evaluation"),
    path("projects/<int:pk>/evaluation/execution/", views.execution_edit, name="execution_edit"),
    path("projects/<int:pk>/evaluation.<str:fmt>", views.evaluation_file, name="evaluation_file"),
    path("indicators/<int:pk>/trend.json", views.indicator_trend, name="trend"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("summary/", views.summary, name="summary"),
    path("targets/export.xlsx", views.targets_export, name="targets_export"),
    path("targets/import/", views.targets_import, name="targets_import"),
    path("ops/incidents/", ops_views.incidents, name="incidents"),
    path("ops/incidents/new/", ops_views.incident_new, name="incident_new"),
    path("ops/incidents/<int:pk>/", ops_views.incident_edit, name="incident_edit"),
    path("ops/requests/", ops_views.requests, name="requests"),
    path("ops/requests/new/", ops_views.request_new, name="request_new"),
    path("ops/requests/<int:pk>/", ops_views.request_edit, name="request_edit"),
]
