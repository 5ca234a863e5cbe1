"""The waiting room and the five-minute rule (shortened), across a restart of call control."""

import asyncio
import time
from collections import Counter

import pytest

from callcontrol.domain.legs import EndReason, LegRole, LegState
from callcontrol.domain.sessions import SessionEvent, apply
from callcontrol.service.wiring import build_call_control
from callcontrol.settings import CallSettings
from callcontrol.sim.callers import Digits, Hangup, WaitMs
from tests.callflow.harness import TOLL_DID, running_stack


def _waiter(pin: str = "") -> list:
    return [Digits("123456789#"), Digits(f"{pin}#"), WaitMs(120_000), Hangup()]


async def test_prestart_caller_is_dropped_at_the_timeout_and_the_organizer_is_not(
    db_url: str,
) -> None:
    calls = CallSettings(digit_timeout_ms=3000, prestart_idle_timeout=2)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.add_account()
        await stack.add_session()
        attendee = stack.sim.place_call(TOLL_DID.e164, "+14155550110", script=_waiter())
        organizer = stack.sim.place_call(TOLL_DID.e164, "+14155550111", script=_waiter("4321"))
        await attendee.ended.wait()
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 1)
        [remaining] = stack.cc.registry.legs.values()
        assert remaining.leg.role is LegRole.ORGANIZER
        assert remaining.leg.state is LegState.WAITING
        rows = await stack.leg_rows("s1")
        dropped = next(r for r in rows if r.leg.role is LegRole.ATTENDEE)
        await stack.cc.drop_leg(remaining.leg.leg_id)
        await organizer.ended.wait()
    assert dropped.leg.end_reason is EndReason.IDLE_DROP
    late = dropped.leg.ended_at_ms - (dropped.leg.waiting_at_ms + 2000)
    assert 0 <= late < 1000, late


async def test_restart_with_100_waiting_callers_drops_each_once_on_time(db_url: str) -> None:
    timeout_s = 6
    calls = CallSettings(digit_timeout_ms=5000, prestart_idle_timeout=timeout_s)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.add_account()
        await stack.add_session()
        events = stack.sim.record_events()
        callers = [
            stack.sim.place_call(TOLL_DID.e164, f"+1415555{i:04d}", script=_waiter())
            for i in range(100)
        ]
        await stack.wait_for(lambda: stack.live_states().count(LegState.WAITING) == 100, timeout=30)
        # Call control goes away and comes back while everyone waits.
        await stack.cc.stop()
        stack.cc = build_call_control(stack.settings, stack.database)
        await stack.cc.start()
        assert stack.cc.timer.pending() == 100
        for caller in callers:
            await caller.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs, timeout=30)
        rows = await stack.leg_rows("s1")
    assert len(rows) == 100
    for row in rows:
        assert row.leg.end_reason is EndReason.IDLE_DROP, row
        late = row.leg.ended_at_ms - (row.leg.waiting_at_ms + timeout_s * 1000)
        assert -1000 <= late <= 1000, late
    newexten = [dict(headers) for name, headers in events if name == "Newexten"]
    drops = Counter(
        h["Uniqueid"] for h in newexten if h["Context"] == "cc-idle-drop" and h["Priority"] == "1"
    )
    assert len(drops) == 100
    assert set(drops.values()) == {1}, "a caller was dropped twice"


# The 2 s is the service's (and the simulator's) own speed: coverage's tracer,
# which `make test` runs for domain/, would slow every Python call it sees.
@pytest.mark.no_cover
async def test_start_moves_every_waiting_caller_into_the_conference(db_url: str) -> None:
    count = 1000
    calls = CallSettings(digit_timeout_ms=5000, prestart_idle_timeout=600)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.add_account()
        session = await stack.add_session()
        for i in range(count):  # arriving at 200 calls/s, as a big webinar's audience might
            stack.sim.place_call(TOLL_DID.e164, f"+1415666{i:04d}", script=_waiter())
            if i % 20 == 19:
                await asyncio.sleep(0.1)
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.WAITING) == count, timeout=120
        )
        started = apply(session, SessionEvent.START, session.starts_at_ms + 1)
        await stack.sessions.save(started)
        t0 = time.monotonic()
        await stack.cc.session_changed(started, SessionEvent.START)
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.IN_CONFERENCE) == count, timeout=10
        )
        elapsed = time.monotonic() - t0
        members = sum(len(c["Members"]) for c in stack.sim.conferences())
    assert members == count
    assert elapsed < 2.0, elapsed


async def test_a_caller_typing_the_pin_when_the_session_starts_goes_straight_in(
    db_url: str,
) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        session = await stack.add_session()
        script = [Digits("123456789#"), WaitMs(1500), Digits("#"), WaitMs(60_000), Hangup()]
        stack.sim.place_call(TOLL_DID.e164, "+14155550170", script=script)
        await stack.wait_for(lambda: bool(stack.cc.registry.legs))
        started = apply(session, SessionEvent.START, session.starts_at_ms + 1)
        await stack.sessions.save(started)
        await stack.cc.session_changed(started, SessionEvent.START)  # while the PIN is typed
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states())
        [live] = stack.cc.registry.legs.values()
    assert live.leg.waiting_at_ms is None
    assert live.details.idle_deadline_ms is None


async def test_callers_the_start_could_not_move_are_moved_after_the_link_returns(
    db_url: str,
) -> None:
    calls = CallSettings(digit_timeout_ms=3000, prestart_idle_timeout=600)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.add_account()
        session = await stack.add_session()
        stack.sim.place_call(TOLL_DID.e164, "+14155550171", script=_waiter())
        await stack.wait_for(lambda: LegState.WAITING in stack.live_states())
        stack.sim.fault_silent_ping()  # the link dies...
        await stack.wait_for(lambda: not stack.cc.nodes.connected("pbx1"), timeout=5)
        started = apply(session, SessionEvent.START, session.starts_at_ms + 1)
        await stack.sessions.save(started)
        await stack.cc.session_changed(started, SessionEvent.START)  # ...so the Redirect fails
        assert LegState.WAITING in stack.live_states()
        stack.sim.fault_silent_ping(False)
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states(), timeout=15)
        [conference] = stack.sim.conferences()
    assert conference["Conference"] == "cc-s1"
