"""The simulator's HTTP control API (aiohttp) driving a two-node cluster."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from callcontrol.sim.cli import add_sim_arguments, node_config
from callcontrol.sim.control_http import start_control
from callcontrol.sim.node import SimCluster
from callcontrol.sim.testing import AmiTestClient

DIALPLAN = """
[waiting]
exten => _X.,1,Answer()
 same => n,MusicOnHold(default)
"""


@pytest.fixture
async def control(tmp_path: Path) -> AsyncIterator[tuple[SimCluster, str]]:
    plan = tmp_path / "extensions.conf"
    plan.write_text(DIALPLAN)
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    args = parser.parse_args(["--dialplan", str(plan), "--confbridge", "", "--ami-port", "0",
                              "--time-scale", "0.01"])  # fmt: skip
    config = node_config(args)
    config.runtime.inbound_context = "waiting"
    cluster = SimCluster(2, config)
    await cluster.start()
    runner: web.AppRunner = await start_control(cluster, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    yield cluster, f"http://127.0.0.1:{port}"
    await runner.cleanup()
    await cluster.stop()


async def test_calls_channels_callees_and_faults(control: tuple[SimCluster, str]) -> None:
    cluster, base = control
    assert cluster[0].ami_port != cluster[1].ami_port
    ami = await AmiTestClient.connect(cluster[1].ami_port)
    await ami.login()
    async with aiohttp.ClientSession() as http:
        health = await (await http.get(f"{base}/healthz")).json()
        assert [n["ami_port"] for n in health["nodes"]] == [
            cluster[0].ami_port,
            cluster[1].ami_port,
        ]
        created = await http.post(
            f"{base}/calls?node=1",
            json={
                "did": "555",
                "caller_num": "+4930111",
                "script": [{"type": "wait_ms", "ms": 60000}],
            },
        )
        assert created.status == 201
        call = await created.json()
        await ami.event("MusicOnHoldStart", Channel=call["channel"])
        channels = await (await http.get(f"{base}/channels?node=1")).json()
        assert [c["Uniqueid"] for c in channels] == [call["uniqueid"]]
        assert await (await http.get(f"{base}/channels?node=0")).json() == []
        callee = await http.post(
            f"{base}/callees?node=1", json={"number": "+4930999", "kind": "busy"}
        )
        assert callee.status == 201
        bad = await http.post(f"{base}/callees", json={"number": "1", "kind": "sometimes"})
        assert bad.status == 400 and "kind" in (await bad.json())["error"]
        missing = await http.post(f"{base}/calls", json={"did": "555"})
        assert missing.status == 400
        dropped = await (await http.post(f"{base}/faults/drop-ami?node=1")).json()
        assert dropped["dropped"] == 1
        assert (await http.post(f"{base}/faults/nonsense")).status == 404
    await ami.close()
