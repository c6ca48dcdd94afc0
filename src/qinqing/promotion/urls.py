from django.urls import path

from qinqing.promotion import views

app_name = "promotion"
urlpatterns = [
    path("", views.home, name="home"),
    path("receptions/", views.receptions, name="receptions"),
    path("receptions/new/", views.reception_form, name="reception_new"),
    path("receptions/calendar/", views.reception_calendar, name="calendar"),
    path("receptions/stats/", views.reception_stats, name="stats"),
    path("receptions/<int:pk>/", views.reception_detail, name="reception"),
    path("receptions/<int:pk>/edit/", views.reception_form, name="reception_edit"),
    path("trips/", views.trips, name="trips"),
    path("trips/new/", views.trip_form, name="trip_new"),
    path("trips/<int:pk>/", views.trip_detail, name="trip"),
    path("trips/<int:pk>/edit/", views.trip_form, name="trip_edit"),
    path("trips/<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("taskforces/", views.task_forces, name="taskforces"),
    path("taskforces/new/", views.task_force_new, name="taskforce_new"),
    path("taskforces/<int:pk>/", views.task_force_detail, name="taskforce"),
    path("taskforces/<int:pk>/activities/", views.activity_add, name="activity_add"),
    path("<str:kind>/<int:pk>/intention/", views.intention, name="intention"),
    path("<str:kind>/<int:pk>/link/", views.link, name="link"),
    path("<str:kind>/<int:pk>/steps/", views.step_add, name="step_add"),
    path("steps/<int:pk>/done/", views.step_done, name="step_done"),
    path("todo/", views.todo, name="todo"),
    path("return/", views.return_page, name="return"),
    path("projects/<int:pk>/origins/", views.project_origins, name="project_origins"),
    path("settings/", views.settings_page, name="settings"),
]
