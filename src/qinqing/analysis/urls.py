from django.urls import path

from qinqing.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("demands/", views.drill, name="drill"),
    path("terms/", views.terms, name="terms"),
    path("repeated/", views.repeated, name="repeated"),
    path("similar/<int:pk>/", views.similar, name="similar"),
    path("similar/<int:pk>/merge/<int:original>/", views.merge, name="merge"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/<str:fmt>/", views.report_file, name="report-file"),
]
