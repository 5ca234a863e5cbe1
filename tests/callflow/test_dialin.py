"""Dial-in paths over real AMI and FastAGI against the simulator, with a real PostgreSQL."""

import pytest

from callcontrol.domain.legs import EndReason, LegKind, LegRole, LegState
from callcontrol.domain.sessions import SessionState
from callcontrol.sim.callers import Digits, Hangup, WaitMs
from tests.callflow.harness import TOLL_DID, running_stack


async def test_toll_caller_joins_a_started_session_and_is_timed(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        caller = stack.sim.place_call(
            TOLL_DID.e164[1:],
            "+14155550100",
            script=[Digits("123456789#"), Digits("#"), WaitMs(600), Hangup()],
        )
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states())
        await caller.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        [row] = await stack.leg_rows("s1")
    leg = row.leg
    assert leg.kind is LegKind.TOLL
    assert leg.role is LegRole.ATTENDEE
    assert leg.country == "US"
    assert leg.caller_e164 == "+14155550100"
    assert leg.state is LegState.ENDED
    assert leg.end_reason is EndReason.CALLER_HANGUP
    assert leg.created_at_ms <= leg.answered_at_ms <= leg.conference_at_ms <= leg.ended_at_ms
    assert 500 <= leg.ended_at_ms - leg.conference_at_ms < 3000
    assert row.details.did == TOLL_DID.e164


def _script(code: str, pin: str = "", stay_ms: int = 600) -> list:
    return [Digits(f"{code}#"), Digits(f"{pin}#"), WaitMs(stay_ms), Hangup()]


async def _one_leg(stack, caller, session_id: str | None = None):  # type: ignore[no-untyped-def]
    await caller.ended.wait()
    await stack.wait_for(lambda: not stack.cc.registry.legs)
    rows = await stack.leg_rows(session_id)
    assert len(rows) == 1, rows
    return rows[0]


async def test_waiting_caller_moves_into_the_conference_when_the_session_starts(
    db_url: str,
) -> None:
    from callcontrol.domain.sessions import SessionEvent, apply

    async with running_stack(db_url) as stack:
        await stack.add_account()
        session = await stack.add_session()
        caller = stack.sim.place_call(
            TOLL_DID.e164, "+14155550101", script=_script("123456789", stay_ms=60000)
        )
        await stack.wait_for(lambda: LegState.WAITING in stack.live_states())
        started = apply(session, SessionEvent.START, session.starts_at_ms + 1)
        await stack.sessions.save(started)
        await stack.cc.session_changed(started, SessionEvent.START)
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states())
        [conference] = stack.sim.conferences()
        assert conference["Conference"] == "cc-s1"
        live = next(iter(stack.cc.registry.legs.values()))
        await stack.cc.drop_leg(live.leg.leg_id)
        row = await _one_leg(stack, caller, "s1")
    assert row.leg.waiting_at_ms is not None
    assert row.leg.waiting_at_ms <= row.leg.conference_at_ms
    assert row.leg.end_reason is EndReason.OPERATOR_DROP


async def test_wrong_code_three_times_is_rejected(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session()
        script = [Digits("111#"), Digits("222#"), Digits("333#"), WaitMs(5000), Hangup()]
        caller = stack.sim.place_call(TOLL_DID.e164, "+14155550102", script=script)
        row = await _one_leg(stack, caller)
    assert row.leg.session_id is None
    assert row.leg.end_reason is EndReason.REJECTED
    assert row.details.end_detail == "wrong_access_code"
    assert caller.hangup_cause == 16  # the dialplan hung up after the goodbye prompt


async def test_organizer_pin_joins_as_organizer_and_marks_the_session(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session()
        caller = stack.sim.place_call(
            TOLL_DID.e164, "+14155550103", script=_script("123456789", "4321")
        )
        row = await _one_leg(stack, caller, "s1")
        session = await stack.sessions.get("s1")
    assert row.leg.role is LegRole.ORGANIZER
    assert session is not None and session.state is SessionState.ORGANIZER_JOINED
    assert row.leg.waiting_at_ms is not None  # the session was not started yet


async def test_audio_pin_links_the_attendee(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        caller = stack.sim.place_call(
            TOLL_DID.e164, "+14155550104", script=_script("123456789", "778899")
        )
        row = await _one_leg(stack, caller, "s1")
    assert row.leg.role is LegRole.ATTENDEE
    assert row.details.participant_id == "778899"


async def test_tollfree_allowed_for_a_session_offering_the_country(db_url: str) -> None:
    from tests.callflow.harness import TOLLFREE_DID

    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED, tollfree=frozenset({"US"}))
        caller = stack.sim.place_call(
            TOLLFREE_DID.e164, "+14155550105", script=_script("123456789")
        )
        row = await _one_leg(stack, caller, "s1")
    assert row.leg.kind is LegKind.TOLLFREE
    assert row.leg.conference_at_ms is not None


@pytest.mark.parametrize(
    ("advanced_audio", "tollfree", "detail"),
    [
        (True, frozenset({"DE"}), "tollfree_not_allowed"),
        (False, frozenset({"US"}), "addon_missing"),
    ],
    ids=["country not chosen", "account without the add-on"],
)
async def test_tollfree_refused(
    db_url: str, advanced_audio: bool, tollfree: frozenset, detail: str
) -> None:
    from tests.callflow.harness import TOLLFREE_DID

    async with running_stack(db_url) as stack:
        await stack.add_account(advanced_audio=advanced_audio)
        await stack.add_session(state=SessionState.STARTED, tollfree=tollfree)
        caller = stack.sim.place_call(
            TOLLFREE_DID.e164, "+14155550106", script=_script("123456789")
        )
        row = await _one_leg(stack, caller)
    assert row.leg.end_reason is EndReason.REJECTED
    assert row.details.end_detail == detail
    assert row.leg.conference_at_ms is None


@pytest.mark.parametrize(
    ("state", "audio_mode", "detail"),
    [
        (SessionState.ENDED, None, "session_ended"),
        (SessionState.CANCELLED, None, "session_cancelled"),
        (SessionState.STARTED, "custom", "custom_audio"),
    ],
    ids=["ended", "cancelled", "custom audio"],
)
async def test_closed_or_custom_sessions_refuse_phone_joins(
    db_url: str, state: SessionState, audio_mode: str | None, detail: str
) -> None:
    from callcontrol.domain.sessions import AudioMode, AudioOptions

    audio = AudioOptions(audio_mode=AudioMode(audio_mode)) if audio_mode else None
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=state, audio=audio)
        caller = stack.sim.place_call(TOLL_DID.e164, "+14155550107", script=_script("123456789"))
        row = await _one_leg(stack, caller)
    assert row.leg.end_reason is EndReason.REJECTED
    assert row.details.end_detail == detail


async def test_stopping_mid_write_loses_no_leg_change(database) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from callcontrol.domain.legs import Leg, LegKind
    from callcontrol.store.legs import LegDetails, LegRepository, LegRow, LegWriter

    writer = LegWriter(LegRepository(database), flush_interval=0)
    writer.start()
    rows = [
        LegRow(Leg(f"leg-{i}", LegKind.TOLL, "pbx1", created_at_ms=1_000 + i), LegDetails())
        for i in range(2000)
    ]
    for row in rows:
        writer.stage(row)
    await asyncio.sleep(0.005)  # the flush task is (very likely) in the middle of its write now
    await writer.stop()
    async with database.connection() as conn:
        count = await conn.fetchval("SELECT count(*) FROM legs")
    assert count == 2000
