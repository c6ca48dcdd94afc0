"""Playwright driving Debian's Chromium (/usr/bin/chromium); never a downloaded browser.

Loaded by the root conftest as a plugin so that every browser test in every app directory shares ONE
session-wide Playwright instance: the sync API runs its own event loop, and a second ``sync_playwright()``
while the first is alive fails ("using Playwright Sync API inside the asyncio loop").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright in one thread


class SerialLiveServer(WSGIServer):
    """The test live server, one request at a time. Django's default threaded server shares the test
    database's one SQLite connection between its request threads; a page that loads an HTMX panel next
    to an action's POST then stalled now and then (a 30 s timeout in CI). Serial requests cannot.

    Serving one connection at a time, the server must not wait on a connection that sends nothing: Chromium
    opens spare connections ahead of need (preconnect), and a read without a timeout on one of them would
    hold every other request of the page. Each connection gets ``IDLE_SECONDS`` to send its request."""

    IDLE_SECONDS = 2

    def __init__(
        self, address: Any, handler: type, *args: Any, connections_override: Any = None, **kwargs: Any
    ) -> None:
        timed = type(f"Timed{handler.__name__}", (handler,), {"timeout": self.IDLE_SECONDS})
        super().__init__(address, timed, *args, **kwargs)  # LiveServerThread.run() installed the overrides

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], TimeoutError):
            return  # a spare connection that sent nothing: closed, the next one is served
        super().handle_error(request, client_address)


LiveServerThread.server_class = SerialLiveServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk (.ci/run does)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
