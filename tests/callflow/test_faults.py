"""PBX faults seen from call control: node restarts, lost links, silent pings, bad frames."""

import asyncio

from callcontrol.clock import now_ms
from callcontrol.domain.legs import EndReason, LegState
from callcontrol.domain.sessions import SessionState
from callcontrol.sim.callers import Digits, Hangup, WaitMs
from tests.callflow.harness import TOLL_DID, running_stack


async def test_node_restart_mid_call_closes_its_legs(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.started_with("+14155550120", "+14155550121")
        shutdown_at = now_ms()
        await stack.sim.fault_restart(downtime_s=0.3)  # Shutdown event, then a new process
        await stack.wait_for(lambda: not stack.cc.registry.legs, timeout=15)
        rows = await stack.leg_rows("s1")
    assert [r.leg.end_reason for r in rows] == [EndReason.NODE_RESTART] * 2
    for row in rows:
        assert not row.leg.estimated  # the Shutdown event said when
        ended = row.leg.ended_at_ms
        assert ended is not None and shutdown_at <= ended < shutdown_at + 1000


async def test_node_crash_closes_its_legs_when_it_was_last_heard(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        await stack.started_with("+14155550124", "+14155550125")
        await asyncio.sleep(2.5)  # quiet calls: only Ping answers say the node is alive
        crashed_at = now_ms()
        await stack.sim.fault_restart(downtime_s=1.0, crash=True)
        await stack.wait_for(lambda: not stack.cc.registry.legs, timeout=15)
        rows = await stack.leg_rows("s1")
    assert [r.leg.end_reason for r in rows] == [EndReason.NODE_RESTART] * 2
    for row in rows:
        assert row.leg.estimated
        # closed at the last Ping answer (every 0.5 s) before the crash: neither at the
        # leg's last event (the join, 2.5 s earlier) nor at the new process's boot
        ended, joined = row.leg.ended_at_ms, row.leg.conference_at_ms
        assert ended is not None and joined is not None
        # (a Ping answer already in the socket may be read a moment after crashed_at)
        assert crashed_at - 1500 <= ended <= crashed_at + 100 and ended >= joined + 1000


async def test_reconnect_resyncs_legs_that_ended_during_the_outage(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        short, _ = await stack.started_with("+14155550122", "+14155550123")
        # The link goes silent; meanwhile one caller hangs up and its events are lost.
        stack.sim.fault_silent_ping()
        stack.sim.fault_delay_events(60_000)
        stack.sim.rt.remote_hangup(short.channel, 16)
        await stack.wait_for(lambda: not stack.cc.nodes.connected("pbx1"), timeout=5)
        stack.sim.fault_silent_ping(False)
        stack.sim.fault_delay_events(0)
        await stack.wait_for(lambda: len(stack.cc.registry.legs) == 1, timeout=15)
        [survivor] = stack.cc.registry.legs.values()
        assert survivor.leg.state is LegState.IN_CONFERENCE
        rows = await stack.leg_rows("s1")
    ended = [r for r in rows if r.leg.state is LegState.ENDED]
    assert len(ended) == 1
    assert ended[0].leg.estimated is True
    assert ended[0].leg.caller_e164 == "+14155550122"


async def test_malformed_frame_is_skipped_and_the_link_stays_up(db_url: str) -> None:
    async with running_stack(db_url) as stack:
        reconnects = stack.cc.nodes.links["pbx1"].reconnects
        stack.sim.fault_malformed_frame()
        await stack.add_account()
        await stack.add_session(state=SessionState.STARTED)
        caller = stack.sim.place_call(
            TOLL_DID.e164,
            "+14155550124",
            script=[Digits("123456789#"), Digits("#"), WaitMs(300), Hangup()],
        )
        await caller.ended.wait()
        await stack.wait_for(lambda: not stack.cc.registry.legs)
        assert stack.cc.nodes.links["pbx1"].reconnects == reconnects
        [row] = await stack.leg_rows("s1")
    assert row.leg.end_reason is EndReason.CALLER_HANGUP
