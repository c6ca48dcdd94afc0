from django.urls import path

from qinqing.calendar import views

app_name = "calendar"
urlpatterns = [
    path("", views.years, name="years"),
    path("years/mark/", views.year_mark, name="year-mark"),
    path("<int:year>/", views.year_detail, name="year"),
    path("<int:year>/days/add/", views.day_add, name="day-add"),
    path("days/<int:pk>/edit/", views.day_edit, name="day-edit"),
    path("days/<int:pk>/delete/", views.day_delete, name="day-delete"),
]
