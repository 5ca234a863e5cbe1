"""Our call flows against a real Asterisk (CALLCONTROL_TEST_ASTERISK), with a real PostgreSQL.

The same flows and assertions as tests/callflow against the simulator, where Asterisk allows:
callers are `Local/<DID>@cc-inbound` channels originated over AMI whose `;2` half runs our
dialplan like a trunk call and whose `;1` half plays the phone in `[cc-test-caller]`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess

import pytest

from callcontrol.clock import now_ms
from callcontrol.domain.legs import EndReason, LegKind, LegRole, LegState
from callcontrol.domain.sessions import SessionEvent, SessionState, apply
from callcontrol.service.ports import CallMeRequest
from callcontrol.store.legs import LegRow
from tests.asterisk.conftest import (
    DEFAULT_CALLS,
    ENV_RESTART,
    SKIP_REASON,
    RealStack,
    real_stack,
    target_from_env,
)
from tests.asterisk.wire import Target
from tests.callflow.harness import TOLL_DID, Stack

TARGET = target_from_env()

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.skipif(TARGET is None, reason=SKIP_REASON),
    pytest.mark.timeout(90),
]

DID = TOLL_DID.e164[1:]  # a trunk often delivers the DID without '+'
CODE = "123456789#"
NO_PIN = "#"


@pytest.fixture
def target() -> Target:
    assert TARGET is not None
    return TARGET


async def _started(real: RealStack) -> Stack:
    """The stack with an account and its session s1, started."""
    await real.stack.add_account()
    await real.stack.add_session(state=SessionState.STARTED)
    return real.stack


async def _ended(
    real: RealStack, trunk: str, session_id: str | None
) -> tuple[list[LegRow], dict[str, str]]:
    """Wait for the trunk half's Hangup on the wire and for call control to close every leg;
    the leg rows and that Hangup event."""
    hangup = await real.ami.wait_event(
        lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == trunk, timeout=40
    )
    stack = real.stack
    await stack.wait_for(lambda: not stack.cc.registry.legs, timeout=10)
    return await stack.leg_rows(session_id), hangup


async def test_toll_caller_joins_a_started_session_and_is_timed(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        _, trunk = await real.place_call(DID, "+14155550100", [CODE, NO_PIN], stay_s=2)
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states(), timeout=20)
        joined = await real.ami.wait_event(
            lambda e: e.get("Event") == "ConfbridgeJoin" and e.get("Uniqueid") == trunk
        )
        assert joined["Conference"] == "cc-s1"
        [row], hangup = await _ended(real, trunk, "s1")
    leg = row.leg
    assert leg.uniqueid == trunk
    assert leg.kind is LegKind.TOLL
    assert leg.role is LegRole.ATTENDEE
    assert leg.country == "US"
    assert leg.caller_e164 == "+14155550100"
    assert leg.state is LegState.ENDED
    assert leg.end_reason is EndReason.CALLER_HANGUP
    assert leg.estimated is False
    answered, joined_at, ended = leg.answered_at_ms, leg.conference_at_ms, leg.ended_at_ms
    assert answered is not None and joined_at is not None and ended is not None
    assert leg.created_at_ms <= answered <= joined_at <= ended
    # The phone stays 2 s after its last key; the join follows that key within milliseconds.
    assert 1500 <= ended - joined_at < 3500
    assert row.details.did == TOLL_DID.e164
    assert hangup["Cause"] == "16"


async def test_waiting_caller_moves_into_the_conference_when_the_session_starts(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = real.stack
        await stack.add_account()
        session = await stack.add_session()
        _, trunk = await real.place_call(TOLL_DID.e164, "+14155550101", [CODE, NO_PIN], 60)
        await stack.wait_for(lambda: LegState.WAITING in stack.live_states(), timeout=20)
        await real.ami.wait_event(
            lambda e: e.get("Event") == "MusicOnHoldStart" and e.get("Uniqueid") == trunk
        )
        started = apply(session, SessionEvent.START, session.starts_at_ms + 1)
        await stack.sessions.save(started)
        await stack.cc.session_changed(started, SessionEvent.START)
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states(), timeout=10)
        rooms = await real.ami.listing({"Action": "ConfbridgeListRooms"})
        assert [room["Conference"] for room in rooms] == ["cc-s1"]
        live = next(iter(stack.cc.registry.legs.values()))
        await stack.cc.drop_leg(live.leg.leg_id)
        [row], hangup = await _ended(real, trunk, "s1")
    assert row.leg.waiting_at_ms is not None and row.leg.conference_at_ms is not None
    assert row.leg.waiting_at_ms <= row.leg.conference_at_ms
    assert row.leg.end_reason is EndReason.OPERATOR_DROP
    assert hangup["Cause"] == "16"


async def test_wrong_code_three_times_is_rejected(db_url: str, target: Target) -> None:
    async with real_stack(db_url, target) as real:
        stack = real.stack
        await stack.add_account()
        await stack.add_session()
        _, trunk = await real.place_call(
            TOLL_DID.e164, "+14155550102", ["111#", "222#", "333#"], stay_s=20
        )
        [row], hangup = await _ended(real, trunk, None)
    assert row.leg.session_id is None
    assert row.leg.end_reason is EndReason.REJECTED
    assert row.details.end_detail == "wrong_access_code"
    assert hangup["Cause"] == "16"  # the dialplan hung up after the goodbye prompt


async def test_reconnect_resyncs_legs_that_ended_during_the_outage(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        short_phone, _ = await real.place_call(TOLL_DID.e164, "+14155550122", [CODE, NO_PIN], 60)
        await real.place_call(TOLL_DID.e164, "+14155550123", [CODE, NO_PIN], 60)
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2, timeout=20
        )
        # The link drops; meanwhile one caller hangs up and call control hears nothing of it.
        real.cutter.cut()
        await stack.wait_for(lambda: not stack.cc.nodes.connected("pbx1"), timeout=5)
        await real.ami.action({"Action": "Hangup", "Channel": short_phone, "Cause": "16"})
        await real.ami.wait_event(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == short_phone
        )
        real.cutter.restore()
        await stack.wait_for(lambda: stack.cc.nodes.connected("pbx1"), timeout=10)
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 1, timeout=15)
        [survivor] = stack.cc.registry.legs.values()
        assert survivor.leg.state is LegState.IN_CONFERENCE
        rows = await stack.leg_rows("s1")
    ended = [r for r in rows if r.leg.state is LegState.ENDED]
    assert len(ended) == 1
    assert ended[0].leg.estimated is True
    assert ended[0].leg.caller_e164 == "+14155550122"


# Call Me rings Local/<number>@cc-test-callee; the number's last digit picks the callee.
CONFIRMS, SILENT, BUSY, NO_ANSWER, CONGESTED = (f"+49301234567{d}" for d in "12345")


async def _call_me(real: RealStack, callee: str) -> str:
    stack = real.stack
    await stack.add_account()
    session = await stack.add_session(state=SessionState.STARTED)
    request = CallMeRequest(session, callee, "DE", "Ada", LegRole.ATTENDEE, "p-42")
    return (await stack.cc.request_callme(request)).leg_id


async def _callme_ended(real: RealStack, leg_id: str) -> LegRow:
    stack = real.stack
    await stack.wait_for(lambda: leg_id not in stack.cc.registry.legs, timeout=30)
    await stack.cc.writer.flush()
    row = await stack.cc.legs.get(leg_id)
    assert row is not None
    return row


async def test_call_me_answered_and_confirmed_joins_the_conference(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = real.stack
        leg_id = await _call_me(real, CONFIRMS)
        joined = await real.ami.wait_event(
            lambda e: e.get("Event") == "ConfbridgeJoin" and e.get("Uniqueid") == leg_id,
            timeout=20,
        )
        assert joined["Conference"] == "cc-s1"
        await stack.wait_for(
            lambda: stack.cc.registry.legs[leg_id].leg.state is LegState.IN_CONFERENCE
        )
        await stack.cc.drop_leg(leg_id)
        row = await _callme_ended(real, leg_id)
    leg = row.leg
    assert leg.kind is LegKind.CALLME
    assert leg.uniqueid == leg_id  # the ChannelId we set is the channel's Uniqueid
    assert leg.end_reason is EndReason.OPERATOR_DROP
    answered, joined_at = leg.answered_at_ms, leg.conference_at_ms
    assert answered is not None and joined_at is not None
    # The phone answers after 1 s of ringing and presses 1 three seconds later.
    assert leg.created_at_ms + 800 <= answered and answered + 2500 <= joined_at
    assert row.details.participant_id == "p-42"


async def test_call_me_answered_but_not_confirmed_hangs_up(db_url: str, target: Target) -> None:
    async with real_stack(db_url, target) as real:
        leg_id = await _call_me(real, SILENT)
        row = await _callme_ended(real, leg_id)
    assert row.leg.end_reason is EndReason.NOT_CONFIRMED
    assert row.leg.answered_at_ms is not None and row.leg.conference_at_ms is None


@pytest.mark.parametrize(
    ("callee", "reason", "cause"),
    [
        # A Local channel's near half (the leg's channel) hangs up with cause 0 on busy and
        # congestion, before or after the OriginateResponse (two Asterisk threads): the
        # response gives the reason.
        (BUSY, EndReason.BUSY, 0),
        (NO_ANSWER, EndReason.NO_ANSWER, 19),
        (CONGESTED, EndReason.CONGESTION, 0),
    ],
    ids=["busy", "no-answer", "congestion"],
)
@pytest.mark.parametrize("attempt", [1, 2, 3])  # the two threads race: try each a few times
async def test_unanswered_call_me_records_why(
    db_url: str, target: Target, callee: str, reason: EndReason, cause: int, attempt: int
) -> None:
    async with real_stack(db_url, target) as real:
        leg_id = await _call_me(real, callee)
        row = await _callme_ended(real, leg_id)
        far = await real.ami.wait_event(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == f"{leg_id};2"
        )
    assert row.leg.end_reason is reason
    assert row.leg.hangup_cause == cause
    assert row.leg.answered_at_ms is None
    assert far["Cause"] == {EndReason.BUSY: "17", EndReason.CONGESTION: "34"}.get(reason, "19")


async def test_controls_reach_the_conference_and_a_locked_one_refuses(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        _, attendee = await real.place_call(DID, "+14155550130", [CODE, NO_PIN], stay_s=60)
        _, organizer = await real.place_call(DID, "+14155550131", [CODE, "4321#"], stay_s=60)
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2, timeout=20
        )
        legs = {lv.leg.uniqueid: lv for lv in stack.cc.registry.legs.values()}
        await stack.cc.set_leg_muted(legs[attendee].leg.leg_id, True)
        await real.ami.wait_event(
            lambda e: e.get("Event") == "ConfbridgeMute" and e.get("Uniqueid") == attendee
        )
        await stack.wait_for(lambda: legs[attendee].leg.muted)
        await stack.cc.set_leg_muted(legs[attendee].leg.leg_id, False)
        await stack.wait_for(lambda: not legs[attendee].leg.muted)
        await stack.cc.set_all_muted("s1", True)  # "participants": the organizer is spared
        await stack.wait_for(lambda: legs[attendee].leg.muted)
        members = await real.ami.listing({"Action": "ConfbridgeList", "Conference": "cc-s1"})
        muted = {m["Uniqueid"]: m["Muted"] for m in members if m.get("Uniqueid")}
        assert muted.get(attendee) == "Yes" and muted.get(organizer) == "No"
        assert legs[organizer].leg.muted is False

        await stack.cc.set_locked("s1", True)
        _, late = await real.place_call(DID, "+14155550132", [CODE, NO_PIN], stay_s=20)
        await real.ami.wait_event(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == late, timeout=30
        )
        await stack.cc.set_locked("s1", False)
        _, later = await real.place_call(DID, "+14155550133", [CODE, NO_PIN], stay_s=60)
        await real.ami.wait_event(
            lambda e: e.get("Event") == "ConfbridgeJoin" and e.get("Uniqueid") == later,
            timeout=20,
        )
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 3)  # the refused one ended
        rows = {r.leg.uniqueid: r for r in await stack.leg_rows("s1")}
    refused = rows[late]
    assert refused.leg.end_reason is EndReason.REJECTED
    assert refused.details.end_detail == "conference_locked"
    assert refused.leg.conference_at_ms is None


async def test_idle_drop_hangs_up_the_waiting_attendee_but_never_the_organizer(
    db_url: str, target: Target
) -> None:
    calls = dataclasses.replace(DEFAULT_CALLS, prestart_idle_timeout=3)
    async with real_stack(db_url, target, calls) as real:
        stack = real.stack
        await stack.add_account()
        await stack.add_session()  # scheduled: both wait
        _, attendee = await real.place_call(DID, "+14155550140", [CODE, NO_PIN], stay_s=60)
        _, organizer = await real.place_call(DID, "+14155550141", [CODE, "4321#"], stay_s=60)
        hangup = await real.ami.wait_event(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == attendee, timeout=40
        )
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 1)
        [row] = [r for r in await stack.leg_rows("s1") if r.leg.uniqueid == attendee]
        dropped_to = await real.ami.wait_event(
            lambda e: (
                e.get("Event") == "Newexten"
                and e.get("Uniqueid") == attendee
                and e.get("Context") == "cc-idle-drop"
            )
        )
        [left] = stack.cc.registry.legs.values()
        # read now: leaving the block hangs the test calls up
        left_uniqueid, left_state = left.leg.uniqueid, left.leg.state
    assert row.leg.end_reason is EndReason.IDLE_DROP
    assert row.leg.waiting_at_ms is not None and row.leg.ended_at_ms is not None
    # dropped 3 s after it began to wait, then cc-idle-drop's two prompts played
    assert 3000 <= row.leg.ended_at_ms - row.leg.waiting_at_ms < 12_000
    assert dropped_to["Application"] == "Verbose"
    assert hangup["Cause"] == "16"
    assert left_uniqueid == organizer and left_state is LegState.WAITING


async def test_ending_the_session_hangs_up_everyone(db_url: str, target: Target) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        trunks = [
            (await real.place_call(DID, number, [CODE, pin], stay_s=60))[1]
            for number, pin in (("+14155550142", NO_PIN), ("+14155550143", "4321#"))
        ]
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2, timeout=20
        )
        session = await stack.sessions.get("s1")
        assert session is not None
        ended = apply(session, SessionEvent.END, session.starts_at_ms + 60_000)
        await stack.sessions.save(ended)
        await stack.cc.session_changed(ended, SessionEvent.END)
        for trunk in trunks:
            await real.ami.wait_event(
                lambda e, t=trunk: e.get("Event") == "Hangup" and e.get("Uniqueid") == t
            )
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        rows = await stack.leg_rows("s1")
    assert {r.leg.end_reason for r in rows} == {EndReason.SESSION_ENDED}
    assert {r.leg.role for r in rows} == {LegRole.ATTENDEE, LegRole.ORGANIZER}


RESTART = os.environ.get(ENV_RESTART, "").strip()


@pytest.mark.skipif(not RESTART, reason=f"set {ENV_RESTART} to a command that restarts it")
async def test_a_crashed_and_restarted_asterisk_closes_every_leg_of_the_node(
    db_url: str, target: Target
) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        for number in ("+14155550150", "+14155550151"):
            await real.place_call(DID, number, [CODE, NO_PIN], stay_s=120)
        await stack.wait_for(
            lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2, timeout=20
        )
        killed_at = now_ms()
        # No Hangup event will ever come: only the new Asterisk's FullyBooted (small Uptime).
        await asyncio.to_thread(subprocess.run, RESTART, shell=True, timeout=30, check=True)
        await stack.wait_for(lambda: not stack.cc.registry.legs, timeout=60)
        await real.reconnect(target)
        rows = await stack.leg_rows("s1")
    assert len(rows) == 2
    for row in rows:
        assert row.leg.end_reason is EndReason.NODE_RESTART
        assert row.leg.estimated is True
        ended = row.leg.ended_at_ms
        # closed at the last time the node was heard, not at the reconnect
        assert ended is not None and row.leg.conference_at_ms is not None
        assert row.leg.conference_at_ms <= ended <= killed_at + 1000


async def test_keypad_mutes_and_raises_the_hand(db_url: str, target: Target) -> None:
    async with real_stack(db_url, target) as real:
        stack = await _started(real)
        # after joining: *6 (mute self), then *9 (raise the hand)
        _, trunk = await real.place_call(DID, "+14155550160", [CODE, NO_PIN, "*6", "*9"], 30)
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states(), timeout=20)
        [live] = stack.cc.registry.legs.values()
        await stack.wait_for(lambda: live.leg.muted and live.details.hand_raised, timeout=20)
        await real.ami.wait_event(
            lambda e: (
                e.get("Event") == "VarSet"
                and e.get("Uniqueid") == trunk
                and e.get("Variable") == "CC_HAND"
                and e.get("Value") == "up"
            )
        )
        [raised] = await stack.leg_rows("s1")
        await stack.cc.lower_hand(live.leg.leg_id)  # AMI Setvar CC_HAND=down
        await stack.wait_for(lambda: not live.details.hand_raised, timeout=10)
        [lowered] = await stack.leg_rows("s1")
    assert raised.leg.muted is True and raised.details.hand_raised is True
    assert lowered.details.hand_raised is False and lowered.leg.muted is True
