from django.urls import path

from qinqing.surveys import public_views, result_views, views

app_name = "surveys"
urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", views.questionnaire_list, name="questionnaires"),
    path("questionnaires/import/", views.questionnaire_import, name="questionnaire_import"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire"),
    path("questionnaires/<int:pk>/edit/<str:action>/", views.questionnaire_edit, name="questionnaire_edit"),
    path("questionnaires/<int:pk>/export.json", views.questionnaire_export, name="questionnaire_export"),
    path("questionnaires/<int:pk>/preview/", views.questionnaire_preview, name="questionnaire_preview"),
    path(
        "questionnaires/<int:pk>/preview/frame/",
        views.questionnaire_preview_frame,
        name="questionnaire_preview_frame",
    ),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/do/<str:action>/", views.survey_action, name="action"),
    path("<int:pk>/qr/<int:unit_id>.png", views.qr, name="qr"),
    path("<int:pk>/interview/", views.interview, name="interview"),
    path("<int:pk>/results/", result_views.results, name="results"),
    path("<int:pk>/results/strata/", result_views.strata, name="strata"),
    path("<int:pk>/results/questions/", result_views.questions, name="questions"),
    path("<int:pk>/results/crosstab/", result_views.crosstab, name="crosstab"),
    path("<int:pk>/results/text/", result_views.text, name="text"),
    path("<int:pk>/reports/", result_views.report_list, name="reports"),
    path("<int:pk>/reports/generate/", result_views.report_generate, name="report_generate"),
    path("<int:pk>/reports/<int:report_id>.<str:fmt>", result_views.report_file, name="report_file"),
    path("<int:pk>/export/<str:kind>.<str:fmt>", result_views.export, name="export"),
    # answering, no login (the interviewer's entry excepted)
    path("t/<str:token>/", public_views.answer_token, name="answer_token"),
    path("t/<str:token>/optout/", public_views.opt_out, name="optout"),
    path("t/<str:token>/withdraw/", public_views.withdraw, name="withdraw"),
    path("o/<str:slug>/<int:unit_id>/", public_views.answer_open, name="answer_open"),
    path("i/<int:pk>/<int:unit_id>/", public_views.answer_interview, name="answer_interview"),
]
