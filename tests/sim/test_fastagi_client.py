"""The AGI() application against a FastAGI server written here, over real TCP."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcontrol.sim.callers import Digits, Hangup, WaitMs
from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AgiSession, AmiTestClient, FastAgiTestServer

TRACE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "traces"
    / "asterisk-22"
    / "fastagi_dialin_session.jsonl"
)

DIALPLAN = """
[globals]
CC_AGI_HOST=127.0.0.1:4573
[in]
exten => _X.,1,Answer()
 same => n,AGI(agi://${CC_AGI_HOST}/dialin,${EXTEN})
 same => n,Verbose(1,AGISTATUS=${AGISTATUS} ROUTE=${CC_ROUTE})
 same => n,Wait(5)
 same => n,Hangup()
"""


async def start_node(tmp_path: Path, agi_port: int) -> tuple[SimNode, AmiTestClient]:
    plan = tmp_path / "extensions.conf"
    plan.write_text(DIALPLAN)
    node = SimNode(NodeConfig(dialplan=str(plan), confbridge=None, time_scale=0.01,
                              agi_host=f"127.0.0.1:{agi_port}"))  # fmt: skip
    node.config.runtime.inbound_context = "in"
    await node.start()
    ami = await AmiTestClient.connect(node.ami_port)
    await ami.login()
    return node, ami


@pytest.fixture
async def stop_later() -> AsyncIterator[list[object]]:
    things: list[object] = []
    yield things
    for thing in things:
        if isinstance(thing, AmiTestClient):
            await thing.close()
        elif isinstance(thing, (SimNode, FastAgiTestServer)):
            await thing.stop()


async def test_environment_block_matches_asterisk(tmp_path: Path, stop_later: list[object]) -> None:
    async def script(s: AgiSession) -> None:
        await s.command('VERBOSE "hello" 1')

    agi = await FastAgiTestServer(script).start()
    node, ami = await start_node(tmp_path, agi.port)
    stop_later += [ami, node, agi]
    caller = node.place_call("18005551234", "+14155550100", "Lab")
    await ami.event("VarSet", Variable="AGISTATUS")
    recorded = [json.loads(line) for line in TRACE.read_text().splitlines()]
    env = next(r["env"] for r in recorded if r.get("line") == "env")
    session = agi.sessions[0]
    assert list(session.env) == list(env)
    assert session.env["agi_channel"] == caller.channel.name if caller.channel else False
    assert session.env["agi_network_script"] == "dialin"
    assert session.env["agi_arg_1"] == "18005551234"
    assert session.env["agi_extension"] == "18005551234"
    assert session.env["agi_dnid"] == "18005551234"
    assert session.env["agi_type"] == "PJSIP"
    assert all(line.endswith("\n") and not line.endswith("\r\n") for line in session.env_lines)


async def test_get_data_set_variable_and_events(tmp_path: Path, stop_later: list[object]) -> None:
    async def script(s: AgiSession) -> None:
        code = await s.command("GET DATA beep 10000 9")
        await s.command(f"SET VARIABLE CC_ROUTE {code.split('=', 1)[1]}")
        await s.command("GET VARIABLE CC_ROUTE")
        await s.command("GET VARIABLE NOT_SET")
        await s.command("GET VARIABLE CALLERID(num)")
        await s.command("GET FULL VARIABLE ${CHANNEL}")
        await s.command("NOOP")
        await s.command("NO SUCH COMMAND")

    agi = await FastAgiTestServer(script).start()
    node, ami = await start_node(tmp_path, agi.port)
    stop_later += [ami, node, agi]
    caller = node.place_call("18005551234", "+14155550100", "Lab", [Digits("123456789")])
    status = await ami.event("VarSet", Variable="AGISTATUS", timeout=10)
    assert status["Value"] == "SUCCESS"
    replies = [reply for _, reply in agi.sessions[0].transcript]
    name = caller.channel.name if caller.channel else ""
    assert replies == [
        "200 result=123456789",
        "200 result=1",
        "200 result=1 (123456789)",
        "200 result=0",
        "200 result=1 (+14155550100)",
        f"200 result=1 ({name})",
        "200 result=0",
        "510 Invalid or unknown command",
    ]
    agi_events = [
        (f.event, f.get("Variable")) for f in ami.events("AGIExecStart", "AGIExecEnd", "VarSet")
    ]
    assert agi_events[2:5] == [("AGIExecStart", None), ("VarSet", "CC_ROUTE"), ("AGIExecEnd", None)]
    ends = ami.events("AGIExecEnd")
    assert ends[0]["ResultCode"] == "200" and ends[0]["Command"] == "GET DATA beep 10000 9"
    assert ends[0]["CommandId"] == ami.events("AGIExecStart")[0]["CommandId"]
    verbose = await ami.wait_for(lambda f: f.get("Application") == "Verbose")
    assert verbose["AppData"] == "1,AGISTATUS=SUCCESS ROUTE=123456789"


async def test_get_data_timeout_and_stream_file_escape(
    tmp_path: Path, stop_later: list[object]
) -> None:
    async def script(s: AgiSession) -> None:
        await s.command("GET DATA beep 2000 9")
        await s.command("STREAM FILE welcome 19")
        await s.command('STREAM FILE welcome ""')

    agi = await FastAgiTestServer(script).start()
    node, ami = await start_node(tmp_path, agi.port)
    node.rt.config.prompt_seconds["welcome"] = 5.0
    stop_later += [ami, node, agi]
    node.place_call("18005551234", "+14155550100", "Lab", [Digits("12", wait_prompt=True), WaitMs(4000),
                                                            Digits("9")])  # fmt: skip
    await ami.event("VarSet", Variable="AGISTATUS", timeout=10)
    replies = [reply for _, reply in agi.sessions[0].transcript]
    assert replies[0] == "200 result=12 (timeout)"
    assert replies[1].startswith(f"200 result={ord('9')} endpos=")
    assert replies[2] == "200 result=0 endpos=40000"


async def test_connection_refused_sets_failure_and_goes_on(
    tmp_path: Path, stop_later: list[object]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    node, ami = await start_node(tmp_path, free_port)
    stop_later += [ami, node]
    node.place_call("18005551234", "+14155550100", "Lab")
    status = await ami.event("VarSet", Variable="AGISTATUS")
    assert status["Value"] == "FAILURE"
    verbose = await ami.wait_for(lambda f: f.get("Application") == "Verbose")
    assert verbose["AppData"].startswith("1,AGISTATUS=FAILURE")
    assert ami.events("AGIExecStart") == []


async def test_agi_hangup_command_ends_the_call(tmp_path: Path, stop_later: list[object]) -> None:
    async def script(s: AgiSession) -> None:
        await s.command("HANGUP")
        await s.command("NOOP")

    agi = await FastAgiTestServer(script).start()
    node, ami = await start_node(tmp_path, agi.port)
    stop_later += [ami, node, agi]
    node.place_call("18005551234", "+14155550100", "Lab")
    hangup = await ami.event("Hangup")
    assert hangup["Cause"] == "16"
    assert [r for _, r in agi.sessions[0].transcript] == [
        "200 result=1",
        "511 Command Not Permitted on a dead channel or intercept routine",
    ]
    assert ami.events("VarSet")[-1]["Value"] == "HANGUP"


async def test_caller_hangup_during_agi_sends_hangup_to_script(
    tmp_path: Path, stop_later: list[object]
) -> None:
    got: asyncio.Queue[str] = asyncio.Queue()

    async def script(s: AgiSession) -> None:
        s.writer.write(b"GET DATA beep 60000 9\n")
        while line := await asyncio.wait_for(s.reader.readline(), 5):
            await got.put(line.decode().strip())

    agi = await FastAgiTestServer(script).start()
    node, ami = await start_node(tmp_path, agi.port)
    stop_later += [ami, node, agi]
    node.place_call("18005551234", "+14155550100", "Lab", [WaitMs(1000), Hangup()])
    hangup = await ami.event("Hangup", timeout=10)
    assert hangup["Cause"] == "16"
    assert await asyncio.wait_for(got.get(), 5) == "HANGUP"
    names = [f.event for f in ami.events("HangupRequest", "SoftHangupRequest", "Hangup")]
    assert names == ["HangupRequest", "SoftHangupRequest", "Hangup"]
