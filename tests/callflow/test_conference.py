"""Conference behaviour seen through call control: keypad mute, join muted, lockout, nodes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from callcontrol.domain.legs import EndReason, LegRole, LegState
from callcontrol.domain.sessions import AudioOptions, SessionState
from callcontrol.service.ports import CallControlError, CallMeRequest
from callcontrol.settings import CallSettings, LockoutSettings
from callcontrol.sim.callers import Digits, Hangup, WaitMs
from callcontrol.sim.testing import AmiTestClient
from tests.callflow.harness import TOLL_DID, Stack, running_stack, stays

CODE = Digits("123456789#")
PIN_GUESSES = [CODE, Digits("1111#"), Digits("2222#"), Digits("3333#"), WaitMs(5000), Hangup()]


async def test_keypad_star6_mute_is_seen_on_the_leg(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        script = [
            Digits("123456789#"),
            Digits("#"),
            Digits("*6"),  # once the conference's menu listens
            WaitMs(60_000),
            Hangup(),
        ]
        stack.sim.place_call(TOLL_DID.e164, "+14155550130", script=script)
        await stack.wait_for(lambda: any(lv.leg.muted for lv in stack.cc.registry.legs.values()))
        [live] = stack.cc.registry.legs.values()
        assert live.leg.state is LegState.IN_CONFERENCE
        [channel] = [c for c in stack.sim.channels() if c["Conference"]]
        assert channel["Muted"] is True


async def test_keypad_star9_raises_and_lowers_the_hand(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        # Digits, unlike Keypad, waits until the conference's menu listens
        script = [CODE, Digits("#"), Digits("*9"), WaitMs(2000), Digits("*9")]
        script += [WaitMs(1000), Digits("*9")]
        stack.sim.place_call(TOLL_DID.e164, "+14155550129", script=[*script, WaitMs(60_000)])
        await stack.wait_for(
            lambda: any(lv.details.hand_raised for lv in stack.cc.registry.legs.values())
        )
        [live] = stack.cc.registry.legs.values()
        [raised] = await stack.leg_rows("s1")  # stored: the app reads it from the API
        assert raised.details.hand_raised is True
        await stack.wait_for(lambda: not live.details.hand_raised)  # *9 again, 2 s later
        await stack.wait_for(lambda: live.details.hand_raised)  # and once more...
        await stack.cc.lower_hand(live.leg.leg_id)  # ...which the organizer lowers
        await stack.wait_for(lambda: not live.details.hand_raised)
        with pytest.raises(CallControlError) as refused:
            await stack.cc.lower_hand(live.leg.leg_id)
        assert refused.value.code == "hand_not_raised"
        [lowered] = await stack.leg_rows("s1")
    assert lowered.details.hand_raised is False
    assert live.leg.state is LegState.IN_CONFERENCE


async def test_attendees_join_muted_when_the_session_says_so(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED, audio=AudioOptions(join_muted=True))
        stack.sim.place_call(
            TOLL_DID.e164,
            "+14155550131",
            script=stays(),
        )
        stack.sim.place_call(
            TOLL_DID.e164,
            "+14155550132",
            script=stays("4321"),
        )
        await stack.wait_for(lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2)
        by_role = {lv.leg.role: lv.leg.muted for lv in stack.cc.registry.legs.values()}
    assert by_role == {LegRole.ATTENDEE: True, LegRole.ORGANIZER: False}


async def test_mute_all_spares_the_organizer(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.started_with("+14155550133", organizer="+14155550134")
        await stack.cc.set_all_muted("s1", True)
        await stack.wait_for(lambda: any(lv.leg.muted for lv in stack.cc.registry.legs.values()))
        by_role = {lv.leg.role: lv.leg.muted for lv in stack.cc.registry.legs.values()}
    assert by_role == {LegRole.ATTENDEE: True, LegRole.ORGANIZER: False}


async def test_a_locked_conference_refuses_new_attendees_until_unlocked(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)

        def join(caller: str, pin: str = "") -> None:
            stack.sim.place_call(TOLL_DID.e164, caller, script=stays(pin))

        join("+14155550135")
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states())
        await stack.cc.set_locked("s1", True)
        refused = stack.sim.place_call(
            TOLL_DID.e164, "+14155550136", script=[CODE, Digits("#"), WaitMs(20_000), Hangup()]
        )
        join("+14155550137", "4321")  # the organizer still gets in
        await refused.ended.wait()
        await stack.wait_for(lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2)
        await stack.cc.set_locked("s1", False)
        join("+14155550138")
        await stack.wait_for(lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 3)
        rows = {r.leg.caller_e164: r for r in await stack.leg_rows("s1")}
    locked_out = rows["+14155550136"]
    assert locked_out.leg.end_reason is EndReason.REJECTED
    assert locked_out.details.end_detail == "conference_locked"
    assert locked_out.leg.conference_at_ms is None
    assert refused.hangup_cause == 0  # ConfBridge played conf-locked and ended the call


@asynccontextmanager
async def _other_ami_client(stack: Stack) -> AsyncIterator[AmiTestClient]:
    """Someone else on the node's AMI: the keypad, the CLI or another tool, as ConfBridge
    tells call control nothing of what they do."""
    admin = await AmiTestClient.connect(stack.sim.ami_port)
    try:
        await admin.login()
        yield admin
    finally:
        await admin.close()


async def test_a_lock_made_outside_call_control_is_learnt_at_the_next_resync(
    db_url: str,
) -> None:
    calls = CallSettings(digit_timeout_ms=3000, lock_poll_s=3600)  # no poll meanwhile
    async with running_stack(db_url, calls=calls) as stack:
        await stack.started_with("+14155550127")
        async with _other_ami_client(stack) as admin:
            await admin.action("ConfbridgeLock", Conference="cc-s1")
        assert "s1" not in stack.cc.registry.locked_sessions  # ConfBridge said nothing
        stack.sim.fault_drop_connections()  # the link comes back; the resync lists the rooms
        await stack.wait_for(lambda: "s1" in stack.cc.registry.locked_sessions, timeout=15)
        refused = stack.sim.place_call(
            TOLL_DID.e164, "+14155550128", script=[CODE, Digits("#"), WaitMs(20_000), Hangup()]
        )
        await refused.ended.wait()
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 1)
        rows = {r.leg.caller_e164: r for r in await stack.leg_rows("s1")}
    assert rows["+14155550128"].details.end_detail == "conference_locked"


async def test_locks_made_outside_call_control_are_polled(db_url: str) -> None:
    calls = CallSettings(digit_timeout_ms=3000, lock_poll_s=1)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.started_with("+14155550126")
        async with _other_ami_client(stack) as admin:
            await admin.action("ConfbridgeLock", Conference="cc-s1")
            await stack.wait_for(lambda: "s1" in stack.cc.registry.locked_sessions, timeout=5)
            await admin.action("ConfbridgeUnlock", Conference="cc-s1")
            await stack.wait_for(lambda: "s1" not in stack.cc.registry.locked_sessions, timeout=5)
        assert stack.cc.nodes.links["pbx1"].reconnects == 0  # learnt without a resync


async def test_a_kick_from_outside_call_control_ends_the_leg_kicked(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        [caller] = await stack.started_with("+14155550139")
        [live] = stack.cc.registry.legs.values()
        async with _other_ami_client(stack) as admin:
            channel = live.details.channel or ""
            reply = await admin.action("ConfbridgeKick", Conference="cc-s1", Channel=channel)
            assert reply.get("Response") == "Success", reply.headers
        await caller.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        [row] = await stack.leg_rows("s1")
    assert row.leg.end_reason is EndReason.KICKED
    assert row.leg.left_at_ms is not None


async def test_repeated_wrong_codes_lock_the_caller_out(db_url: str) -> None:
    calls = CallSettings(digit_timeout_ms=3000, access_code_attempts=3)
    lockout = LockoutSettings(max_failures=4, window_s=600, lockout_s=600, did_delay_step_ms=0)
    async with running_stack(db_url, calls=calls, lockout=lockout) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        wrong = [Digits("111111#"), Digits("222222#"), Digits("333333#"), WaitMs(5000), Hangup()]
        first = stack.sim.place_call(TOLL_DID.e164, "+14155550140", script=wrong)
        await first.ended.wait()
        # Second call: one more failure reaches the threshold and locks the number...
        second = stack.sim.place_call(TOLL_DID.e164, "+14155550140", script=wrong)
        await second.ended.wait()
        # ...so even the right code is refused now.
        right = [CODE, Digits("#"), WaitMs(5000), Hangup()]
        third = stack.sim.place_call(TOLL_DID.e164, "+14155550140", script=right)
        await third.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        rows = await stack.leg_rows()
    details = [r.details.end_detail for r in rows]
    assert details == ["wrong_access_code", "caller_locked_out", "caller_locked_out"]
    assert all(r.leg.end_reason is EndReason.REJECTED for r in rows)


async def test_wrong_organizer_pins_are_asked_again_then_refused(db_url: str) -> None:
    calls = CallSettings(digit_timeout_ms=3000, access_code_attempts=3)
    async with running_stack(db_url, calls=calls) as stack:
        await stack.add_account()
        await stack.add_session()  # organizer PIN 4321
        guesser = stack.sim.place_call(TOLL_DID.e164, "+14155550150", script=PIN_GUESSES)
        await guesser.ended.wait()
        second_try = [CODE, Digits("1234#"), Digits("4321#"), WaitMs(2000), Hangup()]
        organizer = stack.sim.place_call(TOLL_DID.e164, "+14155550151", script=second_try)
        await organizer.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        rows = {r.leg.caller_e164: r for r in await stack.leg_rows()}
    refused, joined = rows["+14155550150"], rows["+14155550151"]
    assert refused.leg.end_reason is EndReason.REJECTED
    assert refused.details.end_detail == "wrong_organizer_pin"
    assert refused.leg.role is LegRole.ATTENDEE and refused.leg.waiting_at_ms is None
    assert joined.leg.role is LegRole.ORGANIZER and joined.leg.waiting_at_ms is not None


async def test_organizer_pin_guesses_lock_the_caller_out(db_url: str) -> None:
    calls = CallSettings(digit_timeout_ms=3000, access_code_attempts=3)
    lockout = LockoutSettings(max_failures=4, window_s=600, lockout_s=600, did_delay_step_ms=0)
    async with running_stack(db_url, calls=calls, lockout=lockout) as stack:
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        for _ in range(2):  # 3 wrong PINs, then the 4th locks the number mid-call
            caller = stack.sim.place_call(TOLL_DID.e164, "+14155550152", script=PIN_GUESSES)
            await caller.ended.wait()
        # Now even the organizer PIN is refused from that number, before any prompt.
        right = [CODE, Digits("4321#"), WaitMs(5000), Hangup()]
        last = stack.sim.place_call(TOLL_DID.e164, "+14155550152", script=right)
        await last.ended.wait()
        # An attendee's audio PIN of another length is not a guess: other callers still join.
        attendee = [CODE, Digits("778899#"), WaitMs(1000), Hangup()]
        other = stack.sim.place_call(TOLL_DID.e164, "+14155550153", script=attendee)
        await other.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        rows = await stack.leg_rows()
    details = [r.details.end_detail for r in rows if r.leg.caller_e164 == "+14155550152"]
    assert details == ["wrong_organizer_pin", "caller_locked_out", "caller_locked_out"]
    [joined] = [r for r in rows if r.leg.caller_e164 == "+14155550153"]
    assert joined.leg.conference_at_ms is not None
    assert joined.details.participant_id == "778899"


async def test_two_nodes_call_me_goes_to_the_sessions_node(db_url: str) -> None:
    calls = CallSettings(digit_timeout_ms=3000, callme_confirm_timeout_ms=2000)
    async with running_stack(db_url, calls=calls, nodes=2) as stack:
        await stack.add_account()
        session = await stack.add_session(state=SessionState.STARTED)
        second = stack.sims[1]
        # The first caller lands on the second node: the session's conference lives there.
        second.place_call(
            TOLL_DID.e164,
            "+14155550150",
            script=stays(),
        )
        await stack.wait_for(lambda: LegState.IN_CONFERENCE in stack.live_states())
        assert stack.cc.registry.session_nodes["s1"] == "pbx2"
        callee = "+4930123456700"
        second.add_callee(callee, kind="answer", ring_s=0.2, digits="1", digits_after_s=0.1)
        leg = await stack.cc.request_callme(
            CallMeRequest(session, callee, "DE", "Eve", LegRole.ATTENDEE)
        )
        await stack.wait_for(lambda: stack.live_states().count(LegState.IN_CONFERENCE) == 2)
        assert leg.node == "pbx2"
        assert [c["Conference"] for c in stack.sims[0].channels()] == []
        members = [m for c in second.conferences() for m in c["Members"]]
        assert len(members) == 2
        # Both nodes are reported ready.
        probes = stack.cc.nodes.probes()
        assert set(probes) == {"node:pbx1", "node:pbx2"}
        assert all([(await p())[0] for p in probes.values()])
