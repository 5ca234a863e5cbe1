"""Fixtures for the dashboard: a real aiohttp server with the page, `/v1/live` and a LiveHub
the test drives, and a real headless Chromium (Playwright) to look at it.

Reusable by end-to-end tests: `chromium` (one browser per test run), `browser_page` (a fresh
context and page per test, failing the test on any uncaught page error), `serve_app` (serve
any aiohttp app on loopback) and `login` (sign in on the page with a token).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from callcontrol.service.live_hub import LiveHub
from callcontrol.web.dashboard import setup_dashboard
from callcontrol.web.live import LiveEndpoint, setup_live
from tests.dashboard.api_stub import ApiStub

CHROMIUM = Path(os.environ.get("CALLCONTROL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_PRESENT = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "CALLCONTROL_UPDATE_SCREENSHOTS"
TOKENS = {
    "op-token": "operator",
    "admin-token": "admin",
    "viewer-token": "viewer",
    "app-token": "app",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: runs the page in a real headless Chromium")


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (any free port); yields the base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class LiveServer:
    url: str
    hub: LiveHub
    endpoint: LiveEndpoint
    app: web.Application
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/v1/live"


def build_app(hub: LiveHub, **live_options: Any) -> tuple[web.Application, LiveEndpoint]:
    app = web.Application()
    setup_dashboard(app)
    endpoint = setup_live(app, hub, TOKENS.get, **live_options)
    return app, endpoint


@pytest.fixture
async def live_server() -> AsyncIterator[LiveServer]:
    """The page and `/v1/live` over a fresh hub (slow sockets dropped after 0.5 s), and a
    stand-in for the HTTP API's operator endpoints (`extra["api"]`)."""
    hub = LiveHub()
    app, endpoint = build_app(hub, send_timeout_s=0.5, auth_timeout_s=0.5)
    api = ApiStub(hub, TOKENS)
    api.install(app)
    try:
        async with serve_app(app) as url:
            yield LiveServer(url, hub, endpoint, app, {"api": api})
    finally:
        hub.close()


# ---- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright; skips the test when it is not installed."""
    if not CHROMIUM_PRESENT:
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium fonts-noto-color-emoji")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed in the virtualenv (pip install playwright)")
    pw = await async_playwright().start()
    # launch() gives every run a fresh temporary profile (user data dir).
    browser = await pw.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
    )
    try:
        yield browser
    finally:
        await browser.close()
        await pw.stop()


@pytest.fixture
async def browser_page(chromium: Any) -> AsyncIterator[Any]:
    """A fresh page (1920x1080, its own storage); an uncaught page error fails the test."""
    context = await chromium.new_context(viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        await context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


async def login(page: Any, base_url: str, token: str) -> None:
    """Open the dashboard and sign in; returns once the live feed says welcome."""
    await page.goto(base_url + "/")
    await page.fill("#token", token)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#conn[data-state=live]")


def screenshot_dir(tmp_path: Path) -> Path:
    """Where a test saves its screenshots: docs/screenshots (tracked, shown by the docs) only
    when CALLCONTROL_UPDATE_SCREENSHOTS=1, else the test's own ``tmp_path``."""
    if os.environ.get(UPDATE_SCREENSHOTS) != "1":
        return tmp_path
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
