from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.models import User
from qinqing.chambers.models import Organisation
from tests.chambers import builders


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chambers test runs on Wednesday 15 April 2026, 10:00 in Urumqi's official time zone."""
    builders.pin(monkeypatch, builders.at(2026, 4, 15))


@pytest.fixture
def staff(tree: None) -> User:
    return builders.bureau()


@pytest.fixture
def chamber(staff: User) -> tuple[Organisation, User]:
    return builders.org_account(staff)


@pytest.fixture(autouse=True)
def _verification_pages() -> None:
    """Each worker keeps rendered verification pages; the database is rolled back under them."""
    from qinqing.chambers import verification

    verification.forget()
