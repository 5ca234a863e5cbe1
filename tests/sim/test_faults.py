"""Fault injection over real TCP: dropped connections, late events, silent Ping,
restart, malformed frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AmiTestClient

DIALPLAN = """
[waiting]
exten => _X.,1,Answer()
 same => n,MusicOnHold(default)
"""


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[SimNode]:
    plan = tmp_path / "extensions.conf"
    plan.write_text(DIALPLAN)
    sim = SimNode(NodeConfig(dialplan=str(plan), confbridge=None, time_scale=0.01))
    sim.config.runtime.inbound_context = "waiting"
    await sim.start()
    yield sim
    await sim.stop()


async def connect(node: SimNode) -> AmiTestClient:
    ami = await AmiTestClient.connect(node.ami_port)
    await ami.login()
    return ami


async def test_drop_connections_closes_every_client(node: SimNode) -> None:
    first, second = await connect(node), await connect(node)
    assert node.fault_drop_connections() == 2
    await asyncio.wait_for(first.closed.wait(), 5)
    await asyncio.wait_for(second.closed.wait(), 5)
    again = await connect(node)  # the port still accepts
    assert (await again.action("Ping"))["Ping"] == "Pong"
    for ami in (first, second, again):
        await ami.close()


async def test_delayed_events_arrive_after_later_responses(node: SimNode) -> None:
    ami = await connect(node)
    node.fault_delay_events(300)
    node.place_call("555", "+4930111")
    ping = await ami.action("Ping")
    newchannel = await ami.event("Newchannel")
    assert ami.frames.index(ping) < ami.frames.index(newchannel)
    node.fault_delay_events(0)
    await ami.close()


async def test_silent_ping_leaves_other_actions_answered(node: SimNode) -> None:
    ami = await connect(node)
    node.fault_silent_ping()
    ping_id = ami.send("Ping")
    status = await ami.action("CoreShowChannels")
    assert status["EventList"] == "start"
    assert not [f for f in ami.frames if f.get("ActionID") == ping_id]
    node.fault_silent_ping(False)
    assert (await ami.action("Ping"))["Ping"] == "Pong"
    await ami.close()


async def test_restart_vanishes_channels_without_hangup(node: SimNode) -> None:
    ami = await connect(node)
    node.place_call("555", "+4930111")
    node.place_call("556", "+4930112")
    await ami.event("MusicOnHoldStart", Exten="556")
    await node.fault_restart(downtime_s=0.05)
    shutdown = await ami.event("Shutdown")
    assert (shutdown["Shutdown"], shutdown["Restart"]) == ("Cleanly", "True")
    await asyncio.wait_for(ami.closed.wait(), 5)
    assert ami.events("Hangup", "SoftHangupRequest", "HangupRequest") == []
    assert node.channels() == []
    fresh = await connect(node)
    booted = await fresh.event("FullyBooted")
    assert int(booted["Uptime"]) < 5
    listed = await fresh.action("CoreShowChannels")
    assert listed["EventList"] == "start"
    complete = await fresh.event("CoreShowChannelsComplete")
    assert complete["ListItems"] == "0"
    caller = node.place_call("557", "+4930113")
    assert caller.channel is not None and caller.channel.name == "PJSIP/trunk-00000001"
    await ami.close()
    await fresh.close()


async def test_malformed_frame_reaches_clients_and_server_survives(node: SimNode) -> None:
    ami = await connect(node)
    node.fault_malformed_frame()
    bad = await ami.wait_for(lambda f: any(k == "this line has no colon" for k, _ in f.headers))
    assert bad.event == "Newchannel"
    assert (await ami.action("Ping"))["Ping"] == "Pong"
    await ami.close()
