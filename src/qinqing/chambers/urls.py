from django.urls import path

from qinqing.chambers import views, views_inspection

app_name = "chambers"
urlpatterns = [
    path("", views.home, name="home"),
    path("orgs/", views.org_list, name="orgs"),
    path("orgs/new/", views.org_new, name="org_new"),
    path("orgs/<int:pk>/", views.org_detail, name="org"),
    path("orgs/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("orgs/<int:pk>/officers/", views.org_officers, name="org_officers"),
    path("orgs/<int:pk>/members/import/", views.roster_import, name="roster_import"),
    path("orgs/<int:pk>/revoke/", views.org_revoke, name="org_revoke"),
    path("orgs/<int:pk>/apply/<str:kind>/", views.application_new, name="apply"),
    path("members/template.xlsx", views.roster_template, name="roster_template"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/upload/", views.application_upload, name="application_upload"),
    path("applications/<int:pk>/<str:action>/", views.application_action, name="application_action"),
    path("materials/<int:pk>/", views.material_file, name="material"),
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/print/", views.certificate_batch, name="certificate_batch"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("verify/", views.verify, name="verify_form"),
    path("verify/<str:serial>/", views.verify, name="verify"),
    path("campaigns/", views_inspection.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views_inspection.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/bulk/", views_inspection.campaign_bulk, name="campaign_bulk"),
    path("reports/<int:pk>/", views_inspection.report_detail, name="report"),
    path("reports/<int:pk>/<str:action>/", views_inspection.report_action, name="report_action"),
    path("figures/", views_inspection.figures, name="figures"),
    path("targets/", views_inspection.targets, name="targets"),
    path("complaints/", views_inspection.complaints, name="complaints"),
    path("settings/", views_inspection.review_settings, name="settings"),
]
