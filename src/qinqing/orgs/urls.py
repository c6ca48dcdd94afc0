from django.urls import path

from qinqing.orgs import views

app_name = "orgs"
urlpatterns = [path("", views.tree, name="tree")]
