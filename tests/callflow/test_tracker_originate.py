"""A Call Me channel that hangs up without a cause before its OriginateResponse.

Asterisk sends the two from different threads; with a Local channel the near half's Hangup
says cause 0 and only the response tells busy from congestion. These feed the tracker the
typed events in that order and read the legs back from PostgreSQL.
"""

import asyncio

from callcontrol.domain import legs as L
from callcontrol.domain import pbx_events as ev
from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.service.tracker import ORIGINATE_RESULT_WAIT_S, LegTracker
from callcontrol.store.database import Database
from callcontrol.store.legs import LegRepository, LegWriter

CHANNEL = "Local/+493012345675@outbound-00000001;1"


def _noop(live: LiveLeg) -> None:
    pass


async def _tracked(database: Database) -> tuple[LegTracker, LegWriter]:
    writer = LegWriter(LegRepository(database), 0.01)
    writer.start()
    tracker = LegTracker(LiveRegistry(writer), 300, _noop, _noop, _noop, _noop)
    leg = L.Leg("leg-a", L.LegKind.CALLME, "pbx1", created_at_ms=1_000, uniqueid="leg-a")
    tracker.registry.update(LiveLeg(leg))
    tracker.handle(ev.ChannelCreated("pbx1", "leg-a", "leg-a", CHANNEL, "", "", "s", "x", 1_000))
    tracker.handle(ev.ChannelHungUp("pbx1", "leg-a", "leg-a", CHANNEL, 0, "Unknown", 2_000))
    return tracker, writer


async def _stored(writer: LegWriter) -> L.Leg:
    await writer.stop()
    row = await writer.repository.get("leg-a")
    assert row is not None
    return row.leg


async def test_the_late_originate_response_gives_the_reason(database: Database) -> None:
    tracker, writer = await _tracked(database)
    parked = tracker.registry.legs["leg-a"]
    assert parked.leg.state is not L.LegState.ENDED  # waits for it...
    assert parked.channel_gone  # ...and takes no control meanwhile
    tracker.handle(ev.OriginateResult("pbx1", "a1", "leg-a", "Local/x", False, 8, 2_003))
    leg = await _stored(writer)
    assert (leg.end_reason, leg.ended_at_ms, leg.hangup_cause) == (
        L.EndReason.CONGESTION,
        2_000,  # the Hangup's own time
        0,
    )


async def test_without_a_response_the_leg_fails_after_the_wait(database: Database) -> None:
    tracker, writer = await _tracked(database)
    await asyncio.sleep(ORIGINATE_RESULT_WAIT_S / 2)
    assert tracker.registry.legs["leg-a"].leg.state is not L.LegState.ENDED
    await asyncio.sleep(ORIGINATE_RESULT_WAIT_S / 2 + 0.2)
    leg = await _stored(writer)
    assert (leg.end_reason, leg.ended_at_ms) == (L.EndReason.FAILED, 2_000)


async def test_stopping_ends_a_leg_still_waiting(database: Database) -> None:
    tracker, writer = await _tracked(database)
    tracker.stop()
    leg = await _stored(writer)
    assert leg.end_reason is L.EndReason.FAILED
    # a response read after the stop changes nothing
    tracker.handle(ev.OriginateResult("pbx1", "a1", "leg-a", "Local/x", False, 5, 2_003))
    live = tracker.registry.legs.get("leg-a")
    assert live is None or live.leg.end_reason is L.EndReason.FAILED


async def test_a_stopped_tracker_ends_such_a_leg_at_once(database: Database) -> None:
    writer = LegWriter(LegRepository(database), 0.01)
    writer.start()
    tracker = LegTracker(LiveRegistry(writer), 300, _noop, _noop, _noop, _noop)
    tracker.stop()  # the links are stopped; a Hangup read now is the last word
    leg = L.Leg("leg-a", L.LegKind.CALLME, "pbx1", created_at_ms=1_000, uniqueid="leg-a")
    tracker.registry.update(LiveLeg(leg))
    tracker.handle(ev.ChannelHungUp("pbx1", "leg-a", "leg-a", CHANNEL, 0, "Unknown", 2_000))
    stored = await _stored(writer)
    assert (stored.end_reason, stored.ended_at_ms) == (L.EndReason.FAILED, 2_000)
