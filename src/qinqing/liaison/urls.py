from django.urls import path

from qinqing.liaison import views

app_name = "liaison"
urlpatterns = [
    path("", views.home, name="home"),
    path("assignments/", views.assignments, name="assignments"),
    path("assignments/new/", views.assignment_new, name="assignment_new"),
    path("assignments/import/", views.assignment_import, name="assignment_import"),
    path("assignments/<int:pk>/", views.assignment, name="assignment"),
    path("coverage/", views.coverage, name="coverage"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/files/<str:token>/", views.visit_file, name="visit-file"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("difficult/<int:demand_pk>/", views.difficult, name="difficult"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("rules/", views.rules, name="rules"),
]
