"""The dashboard page in a real headless Chromium against a real server and a hub we drive."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callcontrol.service.live_hub import LiveHub
from tests.dashboard.api_stub import ApiStub
from tests.dashboard.conftest import TOKENS, LiveServer, build_app, login, screenshot_dir, serve_app
from tests.dashboard.livedata import leg, node, session
from tests.dashboard.scenario import _TIMELINE, TIMELINE_SESSION, Clock, populate

pytestmark = pytest.mark.browser


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def row(leg_id: str) -> str:
    return f'#legs .legrow[data-leg-id="{leg_id}"]'


async def test_login_then_legs_appear_change_and_end(
    live_server: LiveServer, browser_page: Any
) -> None:
    page, hub = browser_page, live_server.hub
    hub.publish("node", "pbx1", node("pbx1", latency_ms=4.2, live_channels=1))
    hub.publish("session", "s1", session("s1", access_code="424242"))
    await login(page, live_server.url, "op-token")
    assert await page.is_hidden("#login")
    assert await page.inner_text("#role") == "operator"
    assert "4 ms" in await page.inner_text("#nodes")

    hub.publish(
        "leg", "a", leg("a", created_at_ms=now_ms(), country="DE", masked_number="+49 15• •••• •12")
    )
    await page.wait_for_selector(row("a"))
    assert "+49 15• •••• •12" in await page.inner_text(row("a"))
    assert "424242" in await page.inner_text(row("a"))

    hub.publish("leg", "a", leg("a", state="in_conference", created_at_ms=now_ms(), muted=True))
    await page.wait_for_selector(row("a") + '[data-state="in_conference"]')
    assert "🔇" in await page.inner_text(row("a"))

    hub.publish("leg", "a", leg("a", state="ended", ended_at_ms=now_ms(), end_reason="idle_drop"))
    await page.wait_for_selector(row("a") + '[data-state="ended"]')
    assert "idle_drop" in await page.inner_text(row("a"))
    assert await page.locator(row("a") + " [data-action]").count() == 0  # nothing to act on

    hub.publish("leg", "a", None)
    await page.wait_for_selector(row("a"), state="detached")


async def test_timer_ticks_on_its_own(live_server: LiveServer, browser_page: Any) -> None:
    page = browser_page
    live_server.hub.publish(
        "leg", "t", leg("t", state="in_conference", created_at_ms=now_ms() - 65_000)
    )
    await login(page, live_server.url, "op-token")
    timer = row("t") + " .timer"
    await page.wait_for_selector(timer)
    first = await page.inner_text(timer)
    assert first.startswith("1:0"), first
    # No message arrives meanwhile: only the page's ticker can change the text.
    await page.wait_for_function(
        "([sel, first]) => document.querySelector(sel).textContent !== first", arg=[timer, first]
    )


@pytest.mark.parametrize("token", ["viewer-token", "app-token"])
async def test_read_only_roles_see_no_action_buttons(
    live_server: LiveServer, browser_page: Any, token: str
) -> None:
    page, hub = browser_page, live_server.hub
    hub.publish("session", "s1", session("s1"))
    hub.publish("leg", "a", leg("a", state="in_conference", created_at_ms=now_ms()))
    await login(page, live_server.url, token)
    await page.wait_for_selector(row("a"))
    await page.wait_for_selector('#sessions tr[data-session="s1"]')
    assert "read-only" in await page.inner_text("#role")
    assert await page.locator("[data-action]").count() == 0


async def test_operator_action_asks_for_confirmation_and_is_audited(
    live_server: LiveServer, browser_page: Any
) -> None:
    page, hub = browser_page, live_server.hub
    api: ApiStub = live_server.extra["api"]
    hub.publish("session", "s1", session("s1"))
    hub.publish("leg", "a", leg("a", state="in_conference", created_at_ms=now_ms()))
    await login(page, live_server.url, "op-token")

    await page.click(row("a") + ' [data-action="drop"]')
    await page.wait_for_selector("#confirm[open]")
    assert "Hang up" in await page.inner_text("#confirm-text")
    await page.click("#confirm-cancel")
    await page.wait_for_selector("#confirm[open]", state="detached")
    assert api.audit == []  # cancelled: nothing sent

    await page.click(row("a") + ' [data-action="mute"]')
    await page.click("#confirm-ok")
    await page.wait_for_selector(row("a") + ' [data-action="unmute"]')  # came back live
    assert [e["action"] for e in api.audit] == ["leg.mute"]
    await page.wait_for_selector('#audit td:text("leg.mute")')


async def test_a_refused_token_returns_to_the_login(
    live_server: LiveServer, browser_page: Any
) -> None:
    page = browser_page
    await page.goto(live_server.url + "/")
    await page.fill("#token", "not-a-token")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#login-error:not([hidden])")
    assert "refused" in await page.inner_text("#login-error")
    assert await page.evaluate("sessionStorage.getItem('callcontrol.token')") is None


async def test_the_page_reconnects_and_gets_a_fresh_snapshot(
    live_server: LiveServer, browser_page: Any
) -> None:
    page, hub = browser_page, live_server.hub
    hub.publish("leg", "old", leg("old", created_at_ms=now_ms()))
    await login(page, live_server.url, "op-token")
    await page.wait_for_selector(row("old"))
    hub.close()  # every live socket is closed, as at a server restart
    hub.publish("leg", "old", None)
    hub.publish("leg", "new", leg("new", created_at_ms=now_ms()))
    await page.wait_for_selector(row("new"))
    await page.wait_for_selector(row("old"), state="detached")
    await page.wait_for_selector("#conn[data-state=live]")


async def test_filters_and_search(live_server: LiveServer, browser_page: Any) -> None:
    page, hub = browser_page, live_server.hub
    hub.publish("session", "s1", session("s1", access_code="111111"))
    hub.publish("session", "s2", session("s2", access_code="222222", account_id="globex"))
    hub.publish("leg", "a", leg("a", session_id="s1", kind="toll", created_at_ms=now_ms()))
    hub.publish(
        "leg",
        "b",
        leg(
            "b",
            session_id="s2",
            kind="callme",
            created_at_ms=now_ms(),
            masked_number="+44 7••• •••99",
        ),
    )
    await login(page, live_server.url, "op-token")
    await page.wait_for_selector(row("b"))
    await page.fill("#f-search", "222222")
    await page.wait_for_selector(row("a"), state="detached")
    assert await page.is_visible(row("b"))
    await page.fill("#f-search", "+44 7")
    await page.wait_for_selector(row("b"))
    await page.fill("#f-search", "")
    await page.select_option("#f-kind", "toll")
    await page.wait_for_selector(row("b"), state="detached")
    await page.select_option("#f-kind", "")
    await page.select_option("#f-account", "globex")
    await page.wait_for_selector(row("a"), state="detached")
    assert await page.locator("#sessions tbody tr").count() == 1


@pytest.fixture
async def busy_server() -> AsyncIterator[tuple[LiveServer, Any]]:
    """A server whose hub replayed an hour of traffic (charts, sessions, alerts filled)."""
    clock = Clock()
    hub = LiveHub(clock_ms=clock)
    scenario = populate(hub, clock)
    app, endpoint = build_app(hub)
    api = ApiStub(hub, TOKENS, session_legs=scenario.history_legs)
    api.install(app)
    api.audit.extend(
        {"at_ms": now_ms() - i * 97_000, "actor": actor, "action": action, "target": target}
        for i, (actor, action, target) in enumerate(
            [
                ("ops-anna", "leg.mute", "lg-01912"),
                ("ops-anna", "session.lock", "ses-002"),
                ("ops-marc", "leg.drop", "lg-01377"),
                ("ops-marc", "session.mute-all", "ses-005"),
                ("admin", "account.advanced_audio.add", "globex"),
            ]
        )
    )
    try:
        async with serve_app(app) as url:
            yield LiveServer(url, hub, endpoint, app, {"api": api}), scenario
    finally:
        hub.close()


async def test_screenshots_of_a_busy_hour(
    busy_server: tuple[LiveServer, Any], browser_page: Any, tmp_path: Path
) -> None:
    server, _ = busy_server
    page = browser_page
    await login(page, server.url, "op-token")
    await page.wait_for_selector("#sessions tbody tr")
    await page.wait_for_selector("#audit td")
    await page.wait_for_timeout(600)  # let the charts and one ticker round settle
    assert int(await page.inner_text("#kpi-live")) > 100
    # docs/screenshots/dashboard.png and timeline.png come from the real service
    # (tests/e2e/test_dashboard_browser.py); this synthetic hour keeps its own names.
    out = screenshot_dir(tmp_path)
    await page.screenshot(path=str(out / "dashboard-busy-hour.png"))

    sid = TIMELINE_SESSION  # waits, the start, an idle drop, failed Call Me, a kick
    await page.click(f'#sessions tr[data-session="{sid}"]')
    await page.wait_for_selector("#timeline svg .tl-row")
    bars = await page.locator("#timeline svg .tl-row").count()
    assert bars == len(_TIMELINE)  # live legs from the hub + ended ones from the API
    await page.locator(".timeline").screenshot(path=str(out / "timeline-busy-hour.png"))
