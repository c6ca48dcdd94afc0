from django.urls import path

from qinqing.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_view, name="totp"),
    path("confirm/", views.confirm_view, name="confirm"),
    path("recovery-codes/", views.recovery_regenerate, name="recovery_regenerate"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_view, name="password"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/roles/", views.user_roles, name="user_roles"),
    path("users/<int:pk>/reset-totp/", views.user_reset_totp, name="user_reset_totp"),
]
