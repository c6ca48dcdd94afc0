from django.urls import path

from qinqing.investment import views

app_name = "investment"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("kanban/", views.kanban, name="kanban"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/<int:pk>/", views.project_detail, name="detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="edit"),
    path("projects/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("projects/<int:pk>/publish/", views.project_publish, name="publish"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("projects/<int:pk>/stage/", views.project_stage, name="stage"),
    path("projects/<int:pk>/negotiations/", views.project_negotiation, name="negotiation"),
    path("projects/<int:pk>/funds/", views.project_funds, name="funds"),
    path("funds/<int:pk>/", views.funds_edit, name="funds_edit"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/region.xlsx", views.region_report_xlsx, name="region_xlsx"),
    path("reports/region.pdf", views.region_report_pdf, name="region_pdf"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("import/", views.import_page, name="import"),
    path("settings/", views.settings_page, name="settings"),
    path("import/template/<str:kind>.xlsx", views.import_template, name="import_template"),
]
