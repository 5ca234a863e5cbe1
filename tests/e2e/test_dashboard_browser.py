"""The operator dashboard in a real headless Chromium against the whole service: call control,
API and live feed over the PBX simulator (real AMI/FastAGI) and a real PostgreSQL.

Screenshots go to the test's tmp_path; with CALLCONTROL_UPDATE_SCREENSHOTS=1 they replace
docs/screenshots/dashboard.png and timeline.png (the ones the docs show).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from callcontrol.domain.legs import masked_number
from callcontrol.sim.callers import Caller, Digits, Hangup, WaitMs
from tests.dashboard import conftest as dashboard
from tests.dashboard.conftest import CHROMIUM, CHROMIUM_PRESENT, login, screenshot_dir
from tests.e2e.conftest import Service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM_PRESENT, reason=f"{CHROMIUM} missing: apt-get install -y chromium"
    ),
]

# The dashboard tests' browser fixtures: one Chromium, a fresh page a test.
chromium = dashboard.chromium
browser_page = dashboard.browser_page

ACCOUNT = {"plan": "pro", "billing_mode": "online", "billing_contact_user_id": "u-bill"}
EARLY = "+14155550150"  # dials in before the start: waits, then joins
MUTED = "+4915112345612"  # joins the started session; muted from the page
LEAVES = "+447700900123"  # joins, then hangs up on its own
CALLEE = "+493012345670"  # phoned by Call Me, presses 1, stays
HAND = "+33612345678"  # joins late, raises a hand with *9


@dataclass
class Webinar:
    svc: Service
    session_id: str
    access_code: str
    toll: str
    tollfree: str

    def dial(self, did: str, caller: str) -> Caller:
        """A caller typing the access code and staying on the line until hung up."""
        code = f"{self.access_code}#"
        return self.svc.sim.place_call(
            did, caller, script=[Digits(code), Digits("#"), WaitMs(600_000), Hangup()]
        )

    async def start(self) -> None:
        status, body = await self.svc.call(
            "POST", f"/v1/sessions/{self.session_id}/start", role="app"
        )
        assert status == 200, body

    def leg_id_of(self, caller: Caller) -> str:
        assert caller.channel is not None
        name = caller.channel.name
        for leg_id, live in self.svc.cc.registry.legs.items():
            if live.details.channel == name:
                return str(leg_id)
        raise AssertionError(f"no live leg for channel {name}")

    def channel_of(self, caller: Caller) -> dict[str, Any]:
        assert caller.channel is not None
        [channel] = [c for c in self.svc.sim.channels() if c["Channel"] == caller.channel.name]
        return channel

    def hang_up(self, caller: Caller) -> None:
        """The caller puts the phone down (normal clearing, cause 16)."""
        assert caller.channel is not None
        self.svc.sim.rt.remote_hangup(caller.channel, 16)


@pytest.fixture
async def webinar(service_factory: Callable[..., Any]) -> AsyncIterator[Webinar]:
    """The service with an account and one scheduled session with US toll and toll-free numbers."""
    async with service_factory() as svc:
        status, body = await svc.call("PUT", "/v1/accounts/acme", ACCOUNT, role="app")
        assert status in (200, 201), body
        status, body = await svc.call(
            "PUT", "/v1/accounts/acme/advanced-audio", {"acting_user_id": "u-bill"}, role="app"
        )
        assert status == 200, body
        session = {
            "account_id": "acme",
            "organizer_id": "u-org",
            "title": "Quarterly results",
            "starts_at": "2030-05-01T14:00:00.000Z",
            "tollfree_countries": ["US"],
        }
        status, body = await svc.call("POST", "/v1/sessions", session, role="app")
        assert status == 201, body
        numbers = {n["kind"]: n["e164"] for n in body["dial_in"] if n["country"] == "US"}
        yield Webinar(
            svc, body["session_id"], body["access_code"], numbers["toll"], numbers["toll_free"]
        )


def row(leg_id: str) -> str:
    return f'#legs .legrow[data-leg-id="{leg_id}"]'


async def _leg_on_page(page: Any, w: Webinar, caller: Caller, state: str) -> str:
    await w.svc.wait_for(lambda: caller.channel is not None and _has_leg(w, caller))
    leg_id = w.leg_id_of(caller)
    await page.wait_for_selector(row(leg_id) + f'[data-state="{state}"]')
    return leg_id


def _has_leg(w: Webinar, caller: Caller) -> bool:
    try:
        w.leg_id_of(caller)
    except AssertionError:
        return False
    return True


async def test_live_legs_appear_tick_and_end(webinar: Webinar, browser_page: Any) -> None:
    w, page = webinar, browser_page
    await login(page, w.svc.base, w.svc.tokens["operator"])
    assert await page.inner_text("#role") == "operator"
    # The node table is republished every second: it says "connected" within one round.
    await page.wait_for_selector('#nodes tr[data-node="pbx1"] .dot.up')
    assert "connected" in await page.inner_text('#nodes tr[data-node="pbx1"]')

    await w.start()
    caller = w.dial(w.tollfree, LEAVES)
    leg_id = await _leg_on_page(page, w, caller, "in_conference")
    text = await page.inner_text(row(leg_id))
    assert "toll-free" in text
    assert masked_number(LEAVES) in text
    assert LEAVES not in text  # never the full number
    assert w.access_code in text  # the session column shows its access code
    assert await page.locator(row(leg_id) + ' [data-action="mute"]').count() == 1

    timer = row(leg_id) + " .timer"
    first = await page.inner_text(timer)
    assert first.startswith("0:0"), first
    await page.wait_for_function(
        "([sel, first]) => document.querySelector(sel).textContent !== first", arg=[timer, first]
    )

    w.hang_up(caller)
    await page.wait_for_selector(row(leg_id) + '[data-state="ended"]')
    assert "caller_hangup" in await page.inner_text(row(leg_id))
    assert await page.locator(row(leg_id) + " [data-action]").count() == 0
    stopped = await page.inner_text(timer)
    await page.wait_for_timeout(1200)  # an ended leg's timer shows its duration, frozen
    assert await page.inner_text(timer) == stopped

    # Ending the session changes no leg any more; the page still learns of it.
    status, body = await w.svc.call("POST", f"/v1/sessions/{w.session_id}/end", role="app")
    assert status == 200, body
    await page.wait_for_selector(f'#sessions tr[data-session="{w.session_id}"] .st-ended')
    assert await page.inner_text("#kpi-sessions") == "0"


async def test_mute_from_the_page_reaches_the_pbx_and_the_timeline_shows_the_session(
    webinar: Webinar, browser_page: Any, tmp_path: Path
) -> None:
    w, page = webinar, browser_page
    await login(page, w.svc.base, w.svc.tokens["operator"])
    early = w.dial(w.toll, EARLY)
    early_leg = await _leg_on_page(page, w, early, "waiting")
    await w.start()
    await page.wait_for_selector(row(early_leg) + '[data-state="in_conference"]')
    muted = w.dial(w.toll, MUTED)
    leaves = w.dial(w.tollfree, LEAVES)
    muted_leg = await _leg_on_page(page, w, muted, "in_conference")
    leaves_leg = await _leg_on_page(page, w, leaves, "in_conference")
    w.svc.sim.add_callee(CALLEE, ring_s=0.2, digits="1", digits_after_s=0.1)
    body = {"phone": CALLEE, "name": "Ada", "role": "attendee"}
    status, placed = await w.svc.call(
        "POST", f"/v1/sessions/{w.session_id}/callme", body, role="app"
    )
    assert status == 202, placed
    callme_leg = placed["leg_id"]
    await page.wait_for_selector(row(callme_leg) + '[data-state="in_conference"]')
    assert "Call Me" in await page.inner_text(row(callme_leg))
    assert masked_number(CALLEE) in await page.inner_text(row(callme_leg))

    # Mute: a confirmation first, then the API, the PBX, and the change back on the page.
    assert w.channel_of(muted)["Muted"] is False
    await page.click(row(muted_leg) + ' [data-action="mute"]')
    await page.wait_for_selector("#confirm[open]")
    assert masked_number(MUTED) in await page.inner_text("#confirm-text")
    await page.click("#confirm-ok")
    await w.svc.wait_for(lambda: w.channel_of(muted)["Muted"] is True)
    await page.wait_for_selector(row(muted_leg) + ' [data-action="unmute"]')
    assert "🔇" in await page.inner_text(row(muted_leg))
    assert w.channel_of(early)["Muted"] is False  # only that one

    # Lock: ConfBridge reports nothing, yet the page shows it within a publishing round.
    session_row = f'#sessions tr[data-session="{w.session_id}"]'
    await page.click(session_row + ' [data-action="lock"]')
    assert w.access_code in await page.inner_text("#confirm-text")
    await page.click("#confirm-ok")
    await w.svc.wait_for(lambda: w.svc.sim.conferences()[0]["Locked"])
    await page.wait_for_selector(session_row + ' [data-action="unlock"]')

    # Live legs by kind (toll · toll-free · Call Me) as two legs end: one hangs up, one is
    # dropped from the page.
    kinds = session_row + " td:nth-child(6)"
    await _text_becomes(page, kinds, "2·1·1")
    w.hang_up(leaves)
    await page.wait_for_selector(row(leaves_leg) + '[data-state="ended"]')
    await _text_becomes(page, kinds, "2·0·1")
    await page.click(row(early_leg) + ' [data-action="drop"]')
    await page.click("#confirm-ok")
    await early.ended.wait()
    await page.wait_for_selector(row(early_leg) + '[data-state="ended"]')
    assert "operator_drop" in await page.inner_text(row(early_leg))
    await _text_becomes(page, kinds, "1·0·1")

    # A caller raises a hand with *9: the page shows it, and lowers it on request.
    status, _ = await w.svc.call("POST", f"/v1/sessions/{w.session_id}/unlock", role="operator")
    assert status == 202
    script = [Digits(f"{w.access_code}#"), Digits("#"), Digits("*9")]
    hand = w.svc.sim.place_call(w.toll, HAND, script=[*script, WaitMs(600_000), Hangup()])
    hand_leg = await _leg_on_page(page, w, hand, "in_conference")
    await page.wait_for_selector(row(hand_leg) + ' [data-action="lower-hand"]')
    assert "✋" in await page.inner_text(row(hand_leg))
    await page.click(row(hand_leg) + ' [data-action="lower-hand"]')
    await page.click("#confirm-ok")
    await page.wait_for_function(
        "sel => !document.querySelector(sel)?.textContent.includes('✋')", arg=row(hand_leg)
    )
    _, shown = await w.svc.call("GET", f"/v1/legs/{hand_leg}", role="operator")
    assert shown["hand_raised"] is False

    text = await page.inner_text(session_row)
    assert w.access_code in text
    assert "started" in text
    out = screenshot_dir(tmp_path)
    # The charts get the last hour every 10 s: the docs' picture waits for one round.
    await page.wait_for_timeout(1200 if out == tmp_path else 10_500)
    await page.screenshot(path=str(out / "dashboard.png"))

    await page.click(f'#sessions tr[data-session="{w.session_id}"]')
    bars = "#timeline svg .tl-row"
    await page.wait_for_selector(f'{bars}[data-leg-id="{muted_leg}"]')
    for leg_id in (early_leg, muted_leg, leaves_leg, callme_leg):
        states = await page.locator(
            f'{bars}[data-leg-id="{leg_id}"] rect[data-state]'
        ).evaluate_all("rects => rects.map((r) => r.dataset.state)")
        assert "in_conference" in states, (leg_id, states)
    early_states = await page.locator(
        f'{bars}[data-leg-id="{early_leg}"] rect[data-state]'
    ).evaluate_all("rects => rects.map((r) => r.dataset.state)")
    assert early_states.index("waiting") < early_states.index("in_conference")
    assert "operator_drop" in (await page.text_content(f'{bars}[data-leg-id="{early_leg}"]') or "")
    assert "caller_hangup" in (await page.text_content(f'{bars}[data-leg-id="{leaves_leg}"]') or "")
    assert "toll-free · attendee" in (
        await page.text_content(f'{bars}[data-leg-id="{leaves_leg}"]') or ""
    )
    await page.locator(".timeline").screenshot(path=str(out / "timeline.png"))
    assert (out / "dashboard.png").stat().st_size > 0

    # Legs older than the live feed's memory come from the API: the timeline reads its names.
    async def both_ended() -> bool:
        _, body = await w.svc.call("GET", f"/v1/sessions/{w.session_id}/legs", role="operator")
        return sum(leg["state"] == "ended" for leg in body["legs"]) == 2

    await w.svc.wait_for_async(both_ended)
    from_api = await page.evaluate(
        """async ([sid, token]) => {
          const { normaliseLeg } = await import("/static/timeline.js");
          const headers = { Authorization: `Bearer ${token}` };
          const res = await fetch(`/v1/sessions/${sid}/legs`, { headers });
          return (await res.json()).legs.map(normaliseLeg);
        }""",
        [w.session_id, w.svc.tokens["operator"]],
    )
    by_id = {leg["leg_id"]: leg for leg in from_api}
    assert by_id[early_leg]["masked_number"] == masked_number(EARLY)
    for leg_id in (early_leg, muted_leg, leaves_leg):
        leg = by_id[leg_id]
        assert leg["created_at_ms"] <= leg["conference_at_ms"], leg
    assert by_id[early_leg]["waiting_at_ms"] <= by_id[early_leg]["conference_at_ms"]
    assert by_id[early_leg]["conference_at_ms"] < by_id[early_leg]["ended_at_ms"]


async def _text_becomes(page: Any, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.textContent === text", arg=[selector, text]
    )


async def test_the_app_role_sees_everything_and_can_do_nothing(
    webinar: Webinar, browser_page: Any
) -> None:
    w, page = webinar, browser_page
    await w.start()
    caller = w.dial(w.toll, MUTED)
    await w.svc.wait_for(lambda: caller.channel is not None and _has_leg(w, caller))
    await login(page, w.svc.base, w.svc.tokens["app"])
    leg_id = await _leg_on_page(page, w, caller, "in_conference")
    await page.wait_for_selector(f'#sessions tr[data-session="{w.session_id}"]')
    assert "read-only" in await page.inner_text("#role")
    assert await page.locator("[data-action]").count() == 0
    assert masked_number(MUTED) in await page.inner_text(row(leg_id))
