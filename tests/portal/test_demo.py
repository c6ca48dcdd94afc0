from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qinqing.core.demo import load_users
from qinqing.investment import demo as investment_demo
from qinqing.portal import demo
from qinqing.portal.models import Edition, Entry, Inquiry, JobStatus, PublicItem

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_shows_the_portal(tree: None, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    load_users()
    investment_demo.load()
    created = demo.load()
    assert created == 4 + 3 + 6 + 4 + 6 + 3
    counts = (
        Entry.objects.count(),
        PublicItem.objects.count(),
        Inquiry.objects.count(),
        Edition.objects.count(),
    )
    assert demo.load() == 0
    assert (
        Entry.objects.count(),
        PublicItem.objects.count(),
        Inquiry.objects.count(),
        Edition.objects.count(),
    ) == counts
    assert PublicItem.objects.filter(kind="project").count() == 6
    assert Edition.objects.get().status == JobStatus.DONE
    page = Client().get("/portal/").content.decode()
    assert "亚欧大陆中心" in page
    assert "（草稿）" not in Client().get("/portal/news/").content.decode()
