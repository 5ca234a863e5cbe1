"""ConfBridge semantics in the simulator: admin/marked, mute participants, lock, kick all,
list actions with Asterisk's exact fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcontrol.sim.callers import Digits
from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AgiSession, AmiTestClient, FastAgiTestServer

REPO = Path(__file__).resolve().parents[2]
PROFILES = {"1": "cc_organizer", "2": "cc_attendee", "3": "cc_attendee_muted", "4": "cc_attendee"}


async def script(s: AgiSession) -> None:
    typed = (await s.command("GET DATA beep 10000 1")).split("=", 1)[1]
    await s.command("SET VARIABLE CC_ROUTE conference")
    await s.command("SET VARIABLE CC_CONF cc-room")
    await s.command(f"SET VARIABLE CC_USER_PROFILE {PROFILES[typed]}")


@pytest.fixture
async def room() -> AsyncIterator[tuple[SimNode, AmiTestClient, list[str]]]:
    agi = await FastAgiTestServer(script).start()
    node = SimNode(NodeConfig(dialplan=str(REPO / "dialplan/extensions.conf"),
                              confbridge=str(REPO / "dialplan/confbridge.conf"),
                              time_scale=0.01, agi_host=f"127.0.0.1:{agi.port}"))  # fmt: skip
    await node.start()
    ami = await AmiTestClient.connect(node.ami_port)
    await ami.login()
    names = []
    for key in "123":
        caller = node.place_call("18005551234", f"+4930333{key}", f"P{key}", [Digits(key)])
        join = await ami.event(
            "ConfbridgeJoin", timeout=10, Uniqueid=caller.channel.uniqueid if caller.channel else ""
        )
        names.append(join["Channel"])
    yield node, ami, names
    await ami.close()
    await node.stop()
    await agi.stop()


async def test_join_flags_and_lists(room: tuple[SimNode, AmiTestClient, list[str]]) -> None:
    _node, ami, names = room
    joins = ami.events("ConfbridgeJoin")
    assert [(j["Admin"], j["Muted"]) for j in joins] == [("Yes", "No"), ("No", "No"), ("No", "Yes")]
    assert [k for k, _ in joins[0].headers][:4] == ["Event", "Privilege", "Timestamp", "Conference"]
    assert [j["BridgeNumChannels"] for j in joins] == ["2", "3", "4"]  # the announcer counts
    assert len(ami.events("ConfbridgeStart")) == 1
    reply = await ami.action("ConfbridgeListRooms")
    assert reply["Message"] == "Confbridge conferences will follow"
    rooms = await ami.event("ConfbridgeListRooms")
    assert [(k, v) for k, v in rooms.headers if k != "ActionID"] == [
        ("Event", "ConfbridgeListRooms"), ("Conference", "cc-room"), ("Parties", "3"),
        ("Marked", "1"), ("Locked", "No"), ("Muted", "No"),
    ]  # fmt: skip
    await ami.action("ConfbridgeList", Conference="cc-room")
    done = await ami.event("ConfbridgeListComplete")
    assert done["ListItems"] == "3"
    first = ami.events("ConfbridgeList")[0]
    assert [k for k, _ in first.headers][:13] == [
        "Event", "ActionID", "Conference", "Admin", "MarkedUser", "WaitMarked", "EndMarked",
        "EndMarkedAny", "Waiting", "Muted", "Talking", "AnsweredTime", "Channel",
    ]  # fmt: skip
    assert (first["Channel"], first["Admin"], first["MarkedUser"]) == (names[0], "Yes", "Yes")
    missing = await ami.action("ConfbridgeList", Conference="nope")
    assert missing["Message"] == "No Conference by that name found."


async def test_mute_participants_spares_the_admin(
    room: tuple[SimNode, AmiTestClient, list[str]],
) -> None:
    _, ami, names = room
    reply = await ami.action("ConfbridgeMute", Conference="cc-room", Channel="participants")
    assert reply["Message"] == "User muted"
    await ami.event("ConfbridgeMute", Channel=names[2])
    assert [m["Channel"] for m in ami.events("ConfbridgeMute")] == names[1:]
    reply = await ami.action("ConfbridgeUnmute", Conference="cc-room", Channel=names[1])
    assert reply["Message"] == "User unmuted"
    unmute = await ami.event("ConfbridgeUnmute")
    assert unmute["Admin"] == "No" and unmute["Channel"] == names[1]
    bad = await ami.action("ConfbridgeMute", Conference="cc-room", Channel="PJSIP/nobody-00000099")
    assert bad["Message"] == "No Channel by that name found in Conference."


async def test_lock_refuses_a_newcomer_then_kick_all(
    room: tuple[SimNode, AmiTestClient, list[str]],
) -> None:
    node, ami, names = room
    reply = await ami.action("ConfbridgeLock", Conference="cc-room")
    assert reply["Message"] == "Conference locked"
    late = node.place_call("18005551234", "+49303334", "Late", [Digits("4")])
    assert late.channel is not None
    result = await ami.event("VarSet", Variable="CONFBRIDGE_RESULT", timeout=10)
    assert result["Value"] == "FAILED" and result["Uniqueid"] == late.channel.uniqueid
    # As in Asterisk (mute_all_lock_kick trace, and a live 22): ConfBridge returns -1 and
    # the channel hangs up at once with cause 0; the dialplan after ConfBridge never runs,
    # only the context's h extension, between SoftHangupRequest and Hangup.
    hangup = await ami.event("Hangup", timeout=10, Uniqueid=late.channel.uniqueid)
    assert (hangup["Cause"], hangup["Exten"]) == ("0", "h")
    mine = [
        (f.event, f.get("Exten"), f.get("Variable"), f.get("Value"))
        for f in ami.events("SoftHangupRequest", "Newexten", "VarSet", "Hangup")
        if f.get("Uniqueid") == late.channel.uniqueid
    ]
    assert mine[mine.index(("VarSet", "s", "CONFBRIDGE_RESULT", "FAILED")) :] == [
        ("VarSet", "s", "CONFBRIDGE_RESULT", "FAILED"),
        ("SoftHangupRequest", "s", None, None),
        ("Newexten", "h", None, None),
        ("VarSet", "h", "CC_CONF_RESULT", "FAILED"),
        ("Hangup", "h", None, None),
    ]
    assert len(ami.events("ConfbridgeJoin")) == 3
    await ami.action("ConfbridgeUnlock", Conference="cc-room")
    reply = await ami.action("ConfbridgeKick", Conference="cc-room", Channel="all")
    assert reply["Message"] == "All participants kicked"
    await ami.event("ConfbridgeEnd", timeout=10)
    leaves = ami.events("ConfbridgeLeave")
    assert [leave["Channel"] for leave in leaves] == names
    assert leaves[0]["Admin"] == "Yes"
    kicked = [f["Uniqueid"] for f in ami.events("VarSet") if f["Variable"] == "CONFBRIDGE_RESULT"
              and f["Value"] == "KICKED"]  # fmt: skip
    assert len(kicked) == 3
    rooms = await ami.action("ConfbridgeListRooms")
    assert rooms["Message"] == "No active conferences."
