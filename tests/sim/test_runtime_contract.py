"""The production dialplan (dialplan/extensions.conf) run by the simulator: dial-in,
waiting room, Redirect, Call Me, and the FastAGI routing of the contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from callcontrol.sim.callers import Digits, Hangup, Keypad, WaitMs
from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AgiSession, AmiTestClient, FastAgiTestServer

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Setup:
    node: SimNode
    ami: AmiTestClient
    agi: FastAgiTestServer
    routes: dict[str, dict[str, str]]


async def route_script(routes: dict[str, dict[str, str]], s: AgiSession) -> None:
    """A stand-in for callcontrol's IVR: read the code (or the confirmation), set CC_*."""
    script = s.env["agi_network_script"]
    reply = await s.command(
        "GET DATA beep 10000 9" if script == "dialin" else "GET DATA cc-press-1 10000 1"
    )
    typed = reply.split("=", 1)[1].split(" ")[0]
    for name, value in routes.get(typed, {"CC_ROUTE": "goodbye"}).items():
        await s.command(f"SET VARIABLE {name} {value}")


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    routes: dict[str, dict[str, str]] = {}
    agi = await FastAgiTestServer(lambda s: route_script(routes, s)).start()
    node = SimNode(NodeConfig(dialplan=str(REPO / "dialplan/extensions.conf"),
                              confbridge=str(REPO / "dialplan/confbridge.conf"),
                              time_scale=0.01, agi_host=f"127.0.0.1:{agi.port}"))  # fmt: skip
    await node.start()
    ami = await AmiTestClient.connect(node.ami_port)
    await ami.login()
    yield Setup(node, ami, agi, routes)
    await ami.close()
    await node.stop()
    await agi.stop()


CONF = {"CC_ROUTE": "conference", "CC_CONF": "cc-42", "CC_USER_PROFILE": "cc_attendee",
        "CC_MENU": "cc_attendee_menu", "CC_LEG_ID": "leg-1"}  # fmt: skip


async def test_dial_in_joins_mutes_by_keypad_and_is_kicked(setup: Setup) -> None:
    setup.routes["123456789"] = CONF
    caller = setup.node.place_call("+18005551234", "+14155550100", "Lab",
                                   [Digits("123456789#"), WaitMs(2000), Keypad("*6")])  # fmt: skip
    join = await setup.ami.event("ConfbridgeJoin", timeout=10)
    ch = caller.channel
    assert ch is not None and ch.name.startswith("PJSIP/trunk-")
    assert (join["Channel"], join["Conference"], join["Uniqueid"]) == (
        ch.name,
        "cc-42",
        ch.uniqueid,
    )
    assert (join["Admin"], join["Muted"]) == ("No", "No")
    mute = await setup.ami.event("ConfbridgeMute", timeout=10)
    assert mute["Channel"] == ch.name and "Muted" not in dict(mute.headers)
    kick = await setup.ami.action("ConfbridgeKick", Conference="cc-42", Channel=ch.name)
    assert kick["Message"] == "User kicked"
    hangup = await setup.ami.event("Hangup", timeout=10)
    assert hangup["Cause"] == "16" and hangup["Context"] == "cc-goodbye"
    results = [
        f["Value"] for f in setup.ami.events("VarSet") if f["Variable"] == "CONFBRIDGE_RESULT"
    ]
    assert results == ["KICKED"]
    playback = [
        f["AppData"] for f in setup.ami.events("Newexten") if f["Application"] == "Playback"
    ]
    assert playback == ["vm-goodbye"]
    newchannel = setup.ami.events("Newchannel")[0]
    assert (newchannel["Context"], newchannel["Exten"], newchannel["ChannelState"]) == (
        "cc-inbound", "+18005551234", "4",
    )  # fmt: skip
    assert caller.hangup_cause == 16


async def test_waiting_room_then_redirect_into_the_conference(setup: Setup) -> None:
    setup.routes["777"] = {
        "CC_ROUTE": "waiting",
        "CC_MOH_CLASS": "cc_hold_beeps",
        "CC_CONF": "cc-7",
    }
    caller = setup.node.place_call("18005551234", "+14155550100", "Lab", [Digits("777#")])
    moh = await setup.ami.event("MusicOnHoldStart", timeout=10)
    assert moh["Class"] == "cc_hold_beeps" and moh["Context"] == "cc-waiting"
    reply = await setup.ami.action("Redirect", Channel=moh["Channel"], Context="cc-conference",
                                   Exten="s", Priority="1")  # fmt: skip
    assert reply["Message"] == "Redirect successful"
    join = await setup.ami.event("ConfbridgeJoin", timeout=10)
    assert (join["Uniqueid"], join["Channel"]) == (moh["Uniqueid"], moh["Channel"])
    assert join["Conference"] == "cc-7"
    stop = setup.ami.events("MusicOnHoldStop")[0]
    assert "Class" not in dict(stop.headers)
    first = setup.ami.wait_for(
        lambda f: f.event == "Newexten" and f.get("Context") == "cc-conference"
    )
    assert (await first)["Priority"] == "1"
    assert setup.ami.events("Hangup") == []
    await setup.ami.action("Hangup", Channel=moh["Channel"], Cause="16")
    hangup = await setup.ami.event("Hangup", timeout=10)
    order = [
        f.event
        for f in setup.ami.events("ConfbridgeLeave", "ConfbridgeEnd", "SoftHangupRequest", "Hangup")
    ]
    assert order == ["ConfbridgeLeave", "ConfbridgeEnd", "SoftHangupRequest", "Hangup"]
    assert hangup["Cause"] == "16" and caller.hangup_cause == 16


async def test_idle_drop_redirect_plays_goodbye_and_hangs_up(setup: Setup) -> None:
    setup.routes["555"] = {"CC_ROUTE": "waiting"}
    setup.node.place_call("18005551234", "+14155550100", "Lab", [Digits("555#")])
    moh = await setup.ami.event("MusicOnHoldStart", timeout=10)
    assert moh["Class"] == "cc_hold"
    await setup.ami.action(
        "Redirect", Channel=moh["Channel"], Context="cc-idle-drop", Exten="s", Priority="1"
    )
    hangup = await setup.ami.event("Hangup", timeout=10)
    assert (hangup["Context"], hangup["Cause"]) == ("cc-idle-drop", "16")
    plays = [f["AppData"] for f in setup.ami.events("Newexten") if f["Application"] == "Playback"]
    assert plays[-2:] == ["cc-not-started", "vm-goodbye"]


async def test_call_me_answered_confirmed_and_joined(setup: Setup) -> None:
    setup.routes["1"] = {**CONF, "CC_CONF": "cc-callme"}
    setup.node.add_callee("+493012345678", ring_s=2.0, digits="1", digits_after_s=0.5)
    reply = await setup.ami.action(
        "Originate", Channel="PJSIP/+493012345678@trunk", Context="cc-callme", Exten="s",
        Priority="1", CallerID="Webinar <+4930555000>", Async="true", Timeout="30000",
        ChannelId="leg-1", Variable="CC_LEG_ID=leg-1",
    )  # fmt: skip
    assert reply["Message"] == "Originate successfully queued"
    response = await setup.ami.event("OriginateResponse", timeout=10)
    assert (response["Response"], response["Reason"], response["Uniqueid"]) == (
        "Success",
        "4",
        "leg-1",
    )
    assert response["ActionID"] == reply["ActionID"]
    join = await setup.ami.event("ConfbridgeJoin", timeout=10)
    assert (join["Uniqueid"], join["Conference"]) == ("leg-1", "cc-callme")
    names = [f.event for f in setup.ami.events("Newchannel", "VarSet", "DialBegin", "Newstate", "DialState",
                                               "DialEnd", "OriginateResponse")][:8]  # fmt: skip
    assert names == ["Newchannel", "VarSet", "DialBegin", "Newstate", "DialState", "Newstate", "DialEnd",
                     "OriginateResponse"]  # fmt: skip
    assert setup.agi.sessions[0].env["agi_network_script"] == "callme"


@pytest.mark.parametrize(
    ("kind", "reason", "cause", "response_first"),
    [("busy", "5", "17", True), ("congestion", "8", "34", False), ("noanswer", "3", "19", False)],
)
async def test_call_me_failures(
    setup: Setup, kind: str, reason: str, cause: str, response_first: bool
) -> None:
    setup.node.add_callee("+4930999", kind=kind, ring_s=0.5)
    await setup.ami.action("Originate", Channel="PJSIP/+4930999@trunk", Context="cc-callme", Exten="s",
                           Priority="1", Async="true", Timeout="3000", ChannelId="leg-x")  # fmt: skip
    response = await setup.ami.event("OriginateResponse", timeout=10)
    hangup = await setup.ami.event("Hangup", timeout=10)
    assert (response["Response"], response["Reason"]) == ("Failure", reason)
    assert (response["Channel"], response["Uniqueid"]) == ("PJSIP/+4930999@trunk", "leg-x")
    assert hangup["Cause"] == cause and hangup["Uniqueid"] == "leg-x"
    order = [f.event for f in setup.ami.events("OriginateResponse", "Hangup")]
    assert order == (
        ["OriginateResponse", "Hangup"] if response_first else ["Hangup", "OriginateResponse"]
    )
    assert setup.ami.events("Newexten") == []


async def test_agi_unreachable_says_goodbye(setup: Setup) -> None:
    await setup.agi.stop()
    setup.node.rt.globals["CC_AGI_HOST"] = "127.0.0.1:1"
    setup.node.place_call("18005551234", "+14155550100")
    hangup = await setup.ami.event("Hangup", timeout=10)
    assert hangup["Context"] == "cc-goodbye"
    status = [f["Value"] for f in setup.ami.events("VarSet") if f["Variable"] == "AGISTATUS"]
    assert status == ["FAILURE"]
    plays = [f["AppData"] for f in setup.ami.events("Newexten") if f["Application"] == "Playback"]
    assert plays == ["ss-noservice"]


async def test_raise_hand_keypad_runs_dialplan_inside_the_conference(setup: Setup) -> None:
    setup.routes["9"] = CONF
    caller = setup.node.place_call("18005551234", "+14155550100", "Lab",
                                   [Digits("9#"), WaitMs(1000), Keypad("*9"), WaitMs(3000), Hangup()])  # fmt: skip
    hand = await setup.ami.event("VarSet", Variable="CC_HAND", timeout=10)
    assert hand["Value"] == "up" and hand["Context"] == "cc-keypad"
    assert caller.channel is not None and caller.channel.member is not None
    await setup.ami.event("Hangup", timeout=10)
    assert [f.event for f in setup.ami.events("ConfbridgeLeave")] == ["ConfbridgeLeave"]
    await asyncio.sleep(0)


def test_an_application_the_runtime_cannot_run_is_a_load_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from callcontrol.sim.dialplan import DialplanError
    from callcontrol.sim.plan import Plan

    conf = tmp_path / "extensions.conf"
    conf.write_text("[cc-inbound]\nexten => _X.,1,Answer()\n same => n,Gosub(sub,s,1)\n")
    with pytest.raises(DialplanError, match=r"extensions.conf:3.*Gosub"):
        Plan.load(str(conf))
