from django.urls import path, re_path

from qinqing.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.home, name="home"),
    path("systems/import/", views.system_import, name="system_import"),
    path("systems/<int:pk>/", views.system_detail, name="system"),
    path("systems/<int:pk>/save/", views.indicator_save, name="indicator_save"),
    path("systems/<int:pk>/nodes/<int:node>/delete/", views.indicator_delete, name="indicator_delete"),
    path("systems/<int:pk>/export.json", views.system_export, name="system_export"),
    path("systems/<int:pk>/copy/", views.system_copy, name="system_copy"),
    path("measures/", views.measures, name="measures"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/entry/", views.entry, name="entry"),
    path("rounds/<int:pk>/review/", views.review, name="review"),
    path("rounds/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("rounds/<int:pk>/import/", views.import_values, name="import"),
    path("rounds/<int:pk>/values.csv", views.values_export, name="values_export"),
    path("rounds/<int:pk>/benchmarks/", views.benchmarks, name="benchmarks"),
    path("rounds/<int:pk>/units/<int:unit_id>/", views.scorecard, name="scorecard"),
    re_path(
        r"^rounds/(?P<pk>\d+)/units/(?P<unit_id>\d+)/report\.(?P<fmt>pdf|docx)$",
        views.unit_report,
        name="unit_report",
    ),
    re_path(r"^rounds/(?P<pk>\d+)/summary\.(?P<fmt>pdf|docx)$", views.summary_report, name="summary_report"),
    path("values/<int:pk>/", views.value_detail, name="value"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
