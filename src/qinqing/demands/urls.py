from django.urls import path

from qinqing.demands import stats_views, views

app_name = "demands"
urlpatterns = [
    path("", views.demand_list, name="list"),
    path("todo/", views.todo_list, name="todo"),
    path("new/", views.submit, name="submit"),
    path("export/", views.export, name="export"),
    path("bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("config/", views.config, name="config"),
    path("inbox/", views.inbox, name="inbox"),
    path("stats/", stats_views.stats, name="stats"),
    path("stats/export/", stats_views.stats_export, name="stats_export"),
    path("attachments/<str:token>/", views.attachment, name="attachment"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/actions/<str:action>/", views.do_action, name="action"),
]
