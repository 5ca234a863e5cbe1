"""What keeps one simulated node cheap at 20,000 channels (see benchmarks/bench_sim.py):
ended calls freed without the cycle collector, AGI lines split without shlex, and AMI
frames written in batches that keep their order."""

from __future__ import annotations

import asyncio
import gc
import shlex
import weakref
from pathlib import Path

import pytest

from callcontrol.sim.agi_client import parse_command
from callcontrol.sim.callers import Hangup, WaitMs
from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AmiTestClient

REPO = Path(__file__).resolve().parents[2]


def node_config() -> NodeConfig:
    config = NodeConfig(
        dialplan=str(REPO / "dialplan" / "extensions.conf"),
        confbridge=str(REPO / "dialplan" / "confbridge.conf"),
        time_scale=0.01,
    )
    config.runtime.default_prompt_s = 0.5
    return config


async def test_an_ended_call_is_freed_without_the_cycle_collector() -> None:
    node = SimNode(node_config())
    await node.start()
    gc.disable()
    try:
        caller = node.place_call(
            "s", "+14155550100", "", [WaitMs(2000), Hangup()], context="cc-waiting"
        )
        assert caller.channel is not None
        channel = weakref.ref(caller.channel)
        await asyncio.wait_for(caller.ended.wait(), 5)
        await asyncio.sleep(0.05)  # the channel's task finishes its clean-up
        assert caller.hangup_cause == 16
        caller.channel = None  # the test's own reference
        assert channel() is None  # freed by reference counting: no cycle left behind
    finally:
        gc.enable()
        await node.stop()


@pytest.mark.parametrize(
    "line",
    [
        'SET VARIABLE CC_ROUTE "waiting"',
        'SET VARIABLE CC_PROMPT ""',
        'VERBOSE "two words" 1',
        'EXEC Playback a"b c"d',
        "GET DATA conf-getconfno 10000 12",
        "  ANSWER  ",
        'SET VARIABLE X "a\\"b"',  # a backslash: the shlex path
        "SET VARIABLE X it's",  # a single quote: the shlex fallback
    ],
)
def test_agi_lines_split_as_before(line: str) -> None:
    try:
        expected = shlex.split(line, posix=True)
    except ValueError:
        expected = line.split()
    assert parse_command(line) == expected


async def test_events_and_the_answer_after_them_keep_their_order() -> None:
    node = SimNode(node_config())
    await node.start()
    ami = await AmiTestClient.connect(node.ami_port)
    try:
        await ami.login()
        caller = node.place_call("s", "+14155550100", "", [], context="cc-waiting")
        assert caller.channel is not None
        # Newchannel is emitted before the Ping is read: it must arrive before the Pong.
        pong = await ami.action("Ping")
        assert pong.get("Ping") == "Pong"
        frames = list(ami.frames)
        newchannel = next(i for i, f in enumerate(frames) if f.event == "Newchannel")
        assert newchannel < frames.index(pong)
        assert [f.get("Channel") for f in ami.events("Newchannel")] == [caller.channel.name]
    finally:
        await ami.close()
        await node.stop()
