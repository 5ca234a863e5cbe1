"""Call Me over real AMI and FastAGI: answered and confirmed, not confirmed, busy, no answer,
congestion, and an AMI link killed right after the Originate."""

from pathlib import Path

import pytest

from callcontrol.domain.legs import EndReason, LegKind, LegRole, LegState
from callcontrol.domain.sessions import SessionState
from callcontrol.service.ports import CallMeRequest
from callcontrol.settings import CallSettings
from tests.callflow.harness import Stack, running_stack

CALLEE = "+4930123456789"
FAST = CallSettings(
    digit_timeout_ms=3000, callme_confirm_timeout_ms=1500, callme_ring_timeout_ms=1500
)


async def _call_me(stack: Stack, state: SessionState = SessionState.STARTED):  # type: ignore[no-untyped-def]
    await stack.add_account()
    session = await stack.add_session(state=state)
    request = CallMeRequest(session, CALLEE, "DE", "Ada", LegRole.ATTENDEE, "p-42")
    return await stack.cc.request_callme(request)


async def _ended(stack: Stack, leg_id: str):  # type: ignore[no-untyped-def]
    await stack.wait_for(lambda: leg_id not in stack.cc.registry.legs, timeout=15)
    await stack.cc.writer.flush()
    row = await stack.cc.legs.get(leg_id)
    assert row is not None
    return row


async def test_answered_and_confirmed_joins_the_conference(db_url: str) -> None:
    async with running_stack(db_url, calls=FAST) as stack:
        stack.sim.add_callee(CALLEE, kind="answer", ring_s=0.3, digits="1", digits_after_s=0.2)
        leg = await _call_me(stack)
        assert leg.kind is LegKind.CALLME
        await stack.wait_for(
            lambda: stack.cc.registry.legs[leg.leg_id].leg.state is LegState.IN_CONFERENCE
        )
        [channel] = [c for c in stack.sim.channels() if c.get("Uniqueid") == leg.leg_id]
        assert channel["Conference"] == "cc-s1"
        await stack.cc.drop_leg(leg.leg_id)
        row = await _ended(stack, leg.leg_id)
    assert row.leg.end_reason is EndReason.OPERATOR_DROP
    assert row.leg.answered_at_ms is not None and row.leg.conference_at_ms is not None
    assert row.details.participant_id == "p-42"


async def test_not_confirmed_hangs_up(db_url: str) -> None:
    async with running_stack(db_url, calls=FAST) as stack:
        stack.sim.add_callee(CALLEE, kind="answer", ring_s=0.2, digits="")
        leg = await _call_me(stack)
        row = await _ended(stack, leg.leg_id)
    assert row.leg.end_reason is EndReason.NOT_CONFIRMED
    assert row.leg.conference_at_ms is None


@pytest.mark.parametrize(
    ("kind", "reason", "cause"),
    [
        ("busy", EndReason.BUSY, 17),
        ("noanswer", EndReason.NO_ANSWER, 19),
        ("congestion", EndReason.CONGESTION, 34),
    ],
)
async def test_unanswered_call_me_records_the_cause(
    db_url: str, kind: str, reason: EndReason, cause: int
) -> None:
    async with running_stack(db_url, calls=FAST) as stack:
        stack.sim.add_callee(CALLEE, kind=kind, ring_s=0.2)
        leg = await _call_me(stack)
        row = await _ended(stack, leg.leg_id)
    assert row.leg.end_reason is reason
    assert row.leg.hangup_cause == cause
    assert row.leg.answered_at_ms is None


async def test_ami_link_killed_right_after_originate_places_exactly_one_call(db_url: str) -> None:
    async with running_stack(db_url, calls=FAST) as stack:
        stack.sim.add_callee(CALLEE, kind="answer", ring_s=1.0, digits="1", digits_after_s=0.2)
        leg = await _call_me(stack)
        stack.sim.fault_drop_connections()
        await stack.wait_for(
            lambda: stack.cc.registry.legs[leg.leg_id].leg.state is LegState.IN_CONFERENCE,
            timeout=15,
        )
        originated = [c for c in stack.sim.channels() if c.get("Uniqueid") == leg.leg_id]
        assert len(originated) == 1
        assert stack.cc.nodes.links["pbx1"].reconnects >= 1
        await stack.cc.drop_leg(leg.leg_id)
        row = await _ended(stack, leg.leg_id)
    assert row.leg.end_reason is EndReason.OPERATOR_DROP


# The same Call Me outcomes through a Local channel, as a dial template such as
# Local/{e164}@outbound can give: the phones of tests/asterisk/cc-test-callers.conf
# (the last digit picks the callee), which the real-Asterisk suite rings too.
LOCAL_CONFIRMS, LOCAL_SILENT, LOCAL_BUSY, LOCAL_NO_ANSWER, LOCAL_CONGESTED = (
    f"+49301234567{d}" for d in "12345"
)
LOCAL = CallSettings(
    digit_timeout_ms=3000, callme_confirm_timeout_ms=8000, callme_ring_timeout_ms=3000
)


async def _local_call_me(stack: Stack, callee: str) -> str:
    await stack.add_account()
    session = await stack.add_session(state=SessionState.STARTED)
    request = CallMeRequest(session, callee, "DE", "Ada", LegRole.ATTENDEE, "p-42")
    return (await stack.cc.request_callme(request)).leg_id


async def test_through_a_local_channel_the_callee_confirms_and_joins(
    db_url: str, tmp_path: Path
) -> None:
    async with running_stack(db_url, calls=LOCAL, test_phones=tmp_path) as stack:
        leg_id = await _local_call_me(stack, LOCAL_CONFIRMS)
        await stack.wait_for(
            lambda: stack.cc.registry.legs[leg_id].leg.state is LegState.IN_CONFERENCE
        )
        [near] = [c for c in stack.sim.channels() if c.get("Uniqueid") == leg_id]
        assert near["Channel"].startswith("Local/+493012345671@cc-test-callee-")
        [far] = [c for c in stack.sim.channels() if c.get("Uniqueid") == f"{leg_id};2"]
        assert far["Channel"] == near["Channel"].replace(";1", ";2")  # as Asterisk names it
        await stack.cc.drop_leg(leg_id)
        row = await _ended(stack, leg_id)
    assert row.leg.end_reason is EndReason.OPERATOR_DROP
    answered, joined = row.leg.answered_at_ms, row.leg.conference_at_ms
    assert answered is not None and joined is not None and answered + 2500 <= joined


@pytest.mark.parametrize(
    ("callee", "reason"),
    [
        (LOCAL_SILENT, EndReason.NOT_CONFIRMED),
        (LOCAL_BUSY, EndReason.BUSY),
        (LOCAL_NO_ANSWER, EndReason.NO_ANSWER),
        # the near half hangs up with cause 0 before the OriginateResponse says congestion
        (LOCAL_CONGESTED, EndReason.CONGESTION),
    ],
    ids=["not-confirmed", "busy", "no-answer", "congestion"],
)
async def test_through_a_local_channel_each_failure_keeps_its_reason(
    db_url: str, tmp_path: Path, callee: str, reason: EndReason
) -> None:
    async with running_stack(db_url, calls=LOCAL, test_phones=tmp_path) as stack:
        leg_id = await _local_call_me(stack, callee)
        row = await _ended(stack, leg_id)
    assert row.leg.end_reason is reason
