"""Public pages (Chinese at /portal/, English at /portal/en/) and the staff side (/portal/staff/)."""

from django.urls import path

from qinqing.portal import views_public as pub
from qinqing.portal import views_staff as staff


def public_patterns(prefix: str, lang: str) -> list:
    kw = {"lang": lang}
    n = f"{'en_' if lang == 'en' else ''}pub_"
    return [
        path(f"{prefix}", pub.home, kw, name=f"{n}home"),
        path(f"{prefix}profile/", pub.profile, kw, name=f"{n}profile"),
        path(f"{prefix}parks/", pub.parks, kw, name=f"{n}parks"),
        path(f"{prefix}parks/<int:pk>/", pub.park, kw, name=f"{n}park"),
        path(f"{prefix}clusters/", pub.clusters, kw, name=f"{n}clusters"),
        path(f"{prefix}policies/", pub.policies, kw, name=f"{n}policies"),
        path(f"{prefix}policies/<int:pk>/", pub.policy, kw, name=f"{n}policy"),
        path(f"{prefix}policies/<int:pk>/files/<int:file_id>/", pub.policy_file, kw, name=f"{n}policy_file"),
        path(f"{prefix}match/", pub.match, kw, name=f"{n}match"),
        path(f"{prefix}projects/", pub.projects, kw, name=f"{n}projects"),
        path(f"{prefix}projects/<int:pk>/", pub.project, kw, name=f"{n}project"),
        path(f"{prefix}projects/<int:pk>/qr.svg", pub.project_qr, kw, name=f"{n}project_qr"),
        path(f"{prefix}news/", pub.news_list, kw, name=f"{n}news"),
        path(f"{prefix}news/<int:pk>/", pub.news_item, kw, name=f"{n}news_item"),
        path(f"{prefix}inquiry/", pub.inquiry, kw, name=f"{n}inquiry"),
        path(f"{prefix}track/<str:token>/", pub.track, kw, name=f"{n}track"),
    ]


app_name = "portal"
urlpatterns = [
    *public_patterns("", "zh"),
    *public_patterns("en/", "en"),
    path("images/<str:name>", pub.image, name="image"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/content/", staff.content_list, name="content_list"),
    path("staff/content/new/<str:kind>/", staff.content_create, name="content_create"),
    path("staff/content/<int:pk>/", staff.content_detail, name="content"),
    path("staff/content/<int:pk>/edit/", staff.content_edit, name="content_edit"),
    path("staff/content/<int:pk>/files/", staff.content_file, name="content_file"),
    path("staff/content/<int:pk>/<str:action>/", staff.content_action, name="content_action"),
    path("staff/catalogue/sync/", staff.sync_catalogue, name="sync_catalogue"),
    path("staff/inquiries/", staff.inquiry_list, name="inquiries"),
    path("staff/inquiries/<int:pk>/", staff.inquiry_detail, name="inquiry"),
    path("staff/inquiries/<int:pk>/<str:action>/", staff.inquiry_action, name="inquiry_action"),
    path("staff/publications/", staff.edition_list, name="editions"),
    path("staff/publications/<int:pk>/", staff.edition_detail, name="edition"),
    path("staff/publications/<int:pk>/file.<str:fmt>", staff.edition_file, name="edition_file"),
    path("staff/publications/<int:pk>/<str:action>/", staff.edition_action, name="edition_action"),
    path("staff/figures/", staff.figures, name="figures"),
    path("staff/settings/", staff.settings_page, name="settings"),
]
