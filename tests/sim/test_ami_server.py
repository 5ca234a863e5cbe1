"""The simulator's AMI server over real TCP: protocol edges as the traces show them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcontrol.sim.callers import Digits, Hangup, WaitMs
from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AmiTestClient

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO.parent / "shared" / "traces" / "asterisk-22" / "recording-dialplan"

DIALPLAN = """
[general]
[globals]
[waiting]
exten => _X.,1,Answer()
 same => n,MusicOnHold(default)
 same => n,Hangup()
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


@pytest.fixture
async def client(node: SimNode) -> AsyncIterator[AmiTestClient]:
    ami = await AmiTestClient.connect(node.ami_port)
    reply = await ami.login()
    assert reply["Message"] == "Authentication accepted"
    yield ami
    await ami.close()


async def test_banner_login_and_fully_booted(node: SimNode) -> None:
    ami = await AmiTestClient.connect(node.ami_port)
    assert ami.banner == "Asterisk Call Manager/11.0.0\r\n"
    reply = await ami.login()
    assert reply.headers == [("Response", "Success"), ("ActionID", reply["ActionID"]),
                             ("Message", "Authentication accepted")]  # fmt: skip
    booted = await ami.event("FullyBooted")
    assert [k for k, _ in booted.headers] == [
        "Event", "Privilege", "Timestamp", "Uptime", "LastReload", "Status",
    ]  # fmt: skip
    assert booted["Status"] == "Fully Booted"
    assert int(booted["Uptime"]) < 60
    await ami.close()


async def test_wrong_secret_fails_and_closes(node: SimNode) -> None:
    ami = await AmiTestClient.connect(node.ami_port)
    reply = await ami.login(secret="wrong")
    assert (reply["Response"], reply["Message"]) == ("Error", "Authentication failed")
    await asyncio.wait_for(ami.closed.wait(), 5)
    await ami.close()


async def test_actions_before_login_are_refused(node: SimNode) -> None:
    ami = await AmiTestClient.connect(node.ami_port)
    reply = await ami.action("Ping")
    assert (reply["Response"], reply["Message"]) == ("Error", "Permission denied")
    await ami.close()


async def test_action_id_echoed_only_when_sent(client: AmiTestClient) -> None:
    with_id = await client.action("Ping")
    assert [k for k, _ in with_id.headers] == ["Response", "ActionID", "Ping", "Timestamp"]
    start = len(client.frames)
    client.send("Ping", action_id=None)
    without = await client.wait_for(lambda f: f.response == "Success", start=start)
    assert [k for k, _ in without.headers] == ["Response", "Ping", "Timestamp"]


async def test_header_names_are_case_insensitive(client: AmiTestClient) -> None:
    client.send_raw(b"action: ping\r\nactionid: lower-1\r\n\r\n")
    reply = await client.wait_for(lambda f: f.get("ActionID") == "lower-1")
    assert reply["Ping"] == "Pong"


async def test_unknown_action_and_missing_action(client: AmiTestClient) -> None:
    reply = await client.action("NoSuchThing")
    assert reply["Response"] == "Error"
    assert reply["Message"] == (
        "Invalid/unknown command: NoSuchThing. Use Action: ListCommands to show available commands."
    )
    bad = await client.event("RequestBadFormat")
    assert bad["RequestType"] == "Action: NoSuchThing"
    client.send_raw(b"Foo: bar\r\nActionID: edge-06\r\n\r\n")
    missing = await client.wait_for(lambda f: f.get("ActionID") == "edge-06")
    assert missing["Message"] == "Missing action in request"
    await client.wait_for(lambda f: f.get("RequestType") == "Action: NONE")


async def test_logoff_says_goodbye_and_closes(client: AmiTestClient) -> None:
    reply = await client.action("Logoff")
    assert (reply["Response"], reply["Message"]) == ("Goodbye", "Thanks for all the fish.")
    await asyncio.wait_for(client.closed.wait(), 5)


async def test_events_off_suppresses_events_but_not_responses(
    node: SimNode, client: AmiTestClient
) -> None:
    off = await client.action("Events", EventMask="off")
    assert off.headers[-1] == ("Events", "Off")
    caller = node.place_call("555000777", "+4930777000001", "Edge Case")
    await asyncio.sleep(0.05)
    assert caller.channel is not None
    assert client.events("Newchannel") == []
    on = await client.action("Events", EventMask="on")
    assert on.headers[-1] == ("Events", "On")
    reply = await client.action(
        "Setvar", Channel=caller.channel.name, Variable="LAB", Value="a b: c ü"
    )
    assert reply["Message"] == "Variable Set"
    varset = await client.event("VarSet", Variable="LAB")
    assert varset["Value"] == "a b: c ü"


async def test_getvar_setvar_edges(node: SimNode, client: AmiTestClient) -> None:
    caller = node.place_call("555000777", "+4930777000001", "Edge Case")
    await client.event("MusicOnHoldStart")
    name = caller.channel.name if caller.channel else ""
    unset = await client.action("Getvar", Channel=name, Variable="NOT_SET_ANYWHERE")
    assert unset.headers[-2:] == [("Variable", "NOT_SET_ANYWHERE"), ("Value", "")]
    cid = await client.action("Getvar", Channel=name, Variable="CALLERID(num)")
    assert cid["Value"] == "+4930777000001"
    missing = await client.action("Getvar", Channel="Local/nope@nowhere-00000000;1", Variable="X")
    assert missing["Message"] == "No such channel"
    novar = await client.action("Setvar", Channel=name, Value="x")
    assert novar["Message"] == "No variable specified"


async def test_hangup_of_music_on_hold_channel(node: SimNode, client: AmiTestClient) -> None:
    caller = node.place_call("555000777", "+4930777000001")
    start_event = await client.event("MusicOnHoldStart")
    assert start_event["Class"] == "default"
    reply = await client.action("Hangup", Channel=start_event["Channel"])
    assert reply["Message"] == "Channel Hungup"
    hangup = await client.event("Hangup")
    names = [f.event for f in client.events("MusicOnHoldStop", "SoftHangupRequest", "Hangup")]
    assert names == ["MusicOnHoldStop", "SoftHangupRequest", "Hangup"]
    assert (hangup["Cause"], hangup["Cause-txt"]) == ("0", "Unknown")
    assert caller.hangup_cause == 0
    gone = await client.action("Hangup", Channel=start_event["Channel"])
    assert gone["Message"] == "No such channel"


async def test_timestamp_follows_privilege_on_every_event(
    node: SimNode, client: AmiTestClient
) -> None:
    node.place_call("555000777", "+4930777000001", script=[WaitMs(100), Hangup()])
    await client.event("Hangup")
    for frame in client.events():
        keys = [k for k, _ in frame.headers]
        assert keys[1:3] == ["Privilege", "Timestamp"], frame.headers
        float(frame["Timestamp"])


async def test_lists_with_no_conference_and_core_show_channels(
    node: SimNode, client: AmiTestClient
) -> None:
    rooms = await client.action("ConfbridgeListRooms")
    assert (rooms["Response"], rooms["Message"]) == ("Error", "No active conferences.")
    node.place_call("555000777", "+4930777000001", "Ann")
    await client.event("MusicOnHoldStart")
    reply = await client.action("CoreShowChannels")
    assert (reply["EventList"], reply["Message"]) == ("start", "Channels will follow")
    done = await client.event("CoreShowChannelsComplete")
    assert (done["EventList"], done["ListItems"]) == ("Complete", "1")
    item = client.events("CoreShowChannel")[0]
    assert item["Application"] == "MusicOnHold"
    assert [k for k, _ in item.headers][:3] == ["Event", "ActionID", "Channel"]


async def test_originate_unknown_technology_fails_with_reason_0(client: AmiTestClient) -> None:
    reply = await client.action("Originate", Channel="Bogus/123", Context="waiting", Exten="1",
                                Priority="1", Async="true")  # fmt: skip
    assert reply["Message"] == "Originate successfully queued"
    response = await client.event("OriginateResponse")
    assert (response["Response"], response["Reason"], response["Uniqueid"]) == (
        "Failure", "0", "<unknown>",
    )  # fmt: skip
    assert response["ActionID"] == reply["ActionID"]


async def test_recording_dialplan_inbound_call_reaches_the_conference(tmp_path: Path) -> None:
    sim = SimNode(NodeConfig(dialplan=str(RECORDING / "extensions.conf"),
                             confbridge=str(RECORDING / "confbridge.conf"), time_scale=0.01))  # fmt: skip
    sim.config.runtime.inbound_context = "from-trunk"
    await sim.start()
    ami = await AmiTestClient.connect(sim.ami_port)
    await ami.login()
    sim.place_call(
        "+18005551234", "+14155550100", "Lab", [Digits("123456789"), WaitMs(2000), Hangup()]
    )
    join = await ami.event("ConfbridgeJoin", timeout=10)
    assert (join["Conference"], join["Admin"], join["Muted"]) == ("123456789", "No", "No")
    result = await ami.event("VarSet", Variable="CONFBRIDGE_RESULT", timeout=10)
    assert result["Value"] == "HANGUP"
    hangup = await ami.event("Hangup", timeout=10)
    assert hangup["Cause"] == "16"
    await ami.close()
    await sim.stop()
