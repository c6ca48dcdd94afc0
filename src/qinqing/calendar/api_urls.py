from django.urls import path

from qinqing.calendar.api import AddWorkingDaysView, WorkingDaysBetweenView

urlpatterns = [
    path("calendar/add-working-days", AddWorkingDaysView.as_view(), name="calendar-add-working-days"),
    path(
        "calendar/working-days-between",
        WorkingDaysBetweenView.as_view(),
        name="calendar-working-days-between",
    ),
]
