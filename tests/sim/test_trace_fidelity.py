"""Replays every recorded Asterisk 22 scenario against the simulator and compares events.

The simulator runs the recording dialplan (traces/asterisk-22/recording-dialplan) and
receives the same actions, at the same (scaled) times, as the real Asterisk did. For
each trace the events callcontrol reads are compared per channel (order of events on
one channel, and the fields callcontrol reads), with channel names, uniqueids and
timestamps normalised. Interleaving across channels is not compared: in Asterisk it
depends on thread scheduling (the traces themselves differ between runs).
Remaining differences are listed in docs/simulator.md ("Differences from Asterisk").
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from callcontrol.sim.node import NodeConfig, SimNode
from callcontrol.sim.testing import AgiSession, AmiTestClient, FastAgiTestServer, Frame
from tests.callflow.harness import free_port

TRACES = Path(__file__).resolve().parents[3] / "shared" / "traces" / "asterisk-22"
RECORDING = TRACES / "recording-dialplan"
TIME_SCALE = 0.15
SECRET = "lab-secret"

READ_EVENTS = {
    "Newchannel", "Newstate", "VarSet", "Newexten", "DialBegin", "DialEnd", "HangupRequest",
    "SoftHangupRequest", "Hangup", "DTMFBegin", "DTMFEnd", "MusicOnHoldStart", "MusicOnHoldStop",
    "ConfbridgeStart", "ConfbridgeJoin", "ConfbridgeLeave", "ConfbridgeEnd", "ConfbridgeMute",
    "ConfbridgeUnmute", "ConfbridgeTalking", "OriginateResponse", "AGIExecStart", "AGIExecEnd",
    "FullyBooted", "ConfbridgeList", "ConfbridgeListRooms", "CoreShowChannel", "Status",
}  # fmt: skip
COMPARED_FIELDS = (
    "Channel", "DestChannel", "Uniqueid", "DestUniqueid", "Linkedid", "Context", "Exten", "Priority",
    "ChannelState", "Application", "AppData", "Variable", "Value", "Cause", "Conference", "Admin",
    "Muted", "Reason", "Response", "Digit", "Class", "DialStatus", "Command", "ResultCode", "Locked",
    "Parties", "Marked", "Talking", "ApplicationData",
)  # fmt: skip
# Not simulated: BRIDGEPEER VarSets (O(n^2) events per conference, callcontrol ignores them).
IGNORED_VARIABLES = {"BRIDGEPEER"}
CHANNEL_RE = re.compile(r"(Local/[^\s,;]+-)([0-9a-f]{8})(;[12])|(CBAnn/[^\s,;]+-)([0-9a-f]{8})")


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRACES / f"{name}.jsonl").read_text().splitlines()]


class Normaliser:
    """Gives channel-name suffixes and uniqueids stable labels by order of appearance."""

    def __init__(self) -> None:
        self.suffixes: dict[str, str] = {}
        self.uids: dict[str, str] = {}

    def name(self, text: str) -> str:
        def repl(m: re.Match[str]) -> str:
            if m.group(1):
                label = self.suffixes.setdefault(m.group(2), f"N{len(self.suffixes) + 1}")
                return f"{m.group(1)}{label}{m.group(3)}"
            return f"{m.group(4)}X"

        return CHANNEL_RE.sub(repl, text)

    def uid(self, value: str) -> str:
        if value in ("", "<unknown>"):
            return value
        return self.uids.setdefault(value, f"U{len(self.uids) + 1}")

    def event(
        self, headers: list[list[str]] | list[tuple[str, str]]
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        fields = dict(headers)
        out = []
        for key in COMPARED_FIELDS:
            if key not in fields:
                continue
            value = fields[key]
            if key in ("Uniqueid", "DestUniqueid", "Linkedid"):
                value = self.uid(value)
            else:
                value = self.name(value)
            out.append((key, value))
        return fields.get("Event", ""), tuple(out)


def per_channel(events: list[tuple[str, tuple[tuple[str, str], ...]]]) -> dict[str, list[Any]]:
    streams: dict[str, list[Any]] = {}
    for name, fields in events:
        data = dict(fields)
        if name == "VarSet" and data.get("Variable") in IGNORED_VARIABLES:
            continue
        key = (
            data.get("Channel")
            or data.get("DestChannel")
            or ("conference " + data.get("Conference", ""))
        )
        if name in ("OriginateResponse", "FullyBooted"):
            key = name
        streams.setdefault(key, []).append((name, fields))
    return {key: settle_races(stream) for key, stream in streams.items()}


def settle_races(stream: list[Any]) -> list[Any]:
    """When a member's far end hangs up, Asterisk publishes its ConfbridgeLeave from the
    bridge thread, racing the channel's HangupRequest, CONFBRIDGE_RESULT, even Hangup:
    the traces show several orders. Put that Leave in one canonical place: right before
    the CONFBRIDGE_RESULT=HANGUP VarSet."""
    out = list(stream)
    result = next(
        (i for i, (name, fields) in enumerate(out)
         if name == "VarSet" and dict(fields).get("Variable") == "CONFBRIDGE_RESULT"
         and dict(fields).get("Value") == "HANGUP"),
        None,
    )  # fmt: skip
    leave = next((i for i, (name, _) in enumerate(out) if name == "ConfbridgeLeave"), None)
    if result is not None and leave is not None:
        item = out.pop(leave)
        out.insert(result if leave > result else result - 1, item)
    return out


def trace_events(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    norm = Normaliser()
    events = [
        norm.event(r["headers"]) for r in records if r["dir"] == "in" and r["name"] in READ_EVENTS
    ]
    return per_channel(events)


def sim_events(frames: list[Frame], agi_port: int) -> dict[str, list[Any]]:
    norm = Normaliser()
    port = f"127.0.0.1:{agi_port}"
    return per_channel(
        [
            norm.event([(k, v.replace(port, "127.0.0.1:4573")) for k, v in f.headers])
            for f in frames
            if f.event in READ_EVENTS
        ]
    )


async def replay(node: SimNode, records: list[dict[str, Any]]) -> list[Frame]:
    """Send the trace's actions at the trace's times; return everything received.

    Channel names in actions are mapped by position: the k-th channel the trace created
    is the k-th channel the simulator created."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    done: list[Frame] = []
    ami: AmiTestClient | None = None
    trace_channels: list[str] = []
    for record in records:
        if record["dir"] == "in" and record["name"] == "Newchannel":
            trace_channels.append(record["fields"]["Channel"])
        when = start + record["t_rel"] * TIME_SCALE
        await asyncio.sleep(max(0.0, when - loop.time()))
        if (
            record["dir"] == "mark"
            and "connect" in record["name"]
            and "closed" not in record["name"]
        ):
            if ami is not None:
                done += ami.frames
                await ami.close()
            ami = await AmiTestClient.connect(node.ami_port)
            continue
        if record["dir"] != "out" or ami is None:
            continue
        sim_channels = [f["Channel"] for f in [*done, *ami.frames] if f.event == "Newchannel"]
        mapping = dict(zip(trace_channels, sim_channels, strict=False))
        sent = [(k, mapping.get(v, v)) for k, v in record["headers"]]
        if sent and sent[0][0].lower() == "action" and sent[0][1].lower() == "login":
            wrong = record["file"] == "ami_protocol_edges" and record["seq"] == 7
            sent = [
                (k, ("wrong" if wrong else SECRET) if k.lower() == "secret" else v) for k, v in sent
            ]
        ami.send_raw("".join(f"{k}: {v}\r\n" for k, v in sent).encode() + b"\r\n")
    await asyncio.sleep(0.3)
    if ami is not None:
        done += ami.frames
        await ami.close()
    return done


# -- scenarios ----------------------------------------------------------------------------------


async def lab_agi(s: AgiSession) -> None:
    """The lab FastAGI stub of the recording: the same commands in the same order."""
    await s.command(f'VERBOSE "lab fastagi stub: dialin for {s.env.get("agi_dnid", "")}" 1')
    await s.command("GET VARIABLE CALLERID(num)")
    await s.command("GET FULL VARIABLE ${CHANNEL}")
    code = (await s.command("GET DATA beep 10000 9")).split("=", 1)[1]
    await s.command(f"SET VARIABLE CONF_BRIDGE {code}")
    await s.command("SET VARIABLE CONF_PROFILE lab_user")


TRACE_NAMES = sorted(p.stem for p in TRACES.glob("*.jsonl") if p.stem != "fastagi_dialin_session")


@pytest.mark.parametrize("trace", TRACE_NAMES)
async def test_trace_fidelity(trace: str, tmp_path: Path) -> None:
    records = load(trace)
    for record in records:
        record["file"] = trace
    agi: FastAgiTestServer | None = None
    agi_port = free_port()
    if trace == "ami_fastagi_dialin":
        agi = await FastAgiTestServer(lab_agi).start()
        agi_port = agi.port
    plan = tmp_path / "extensions.conf"
    plan.write_text(
        (RECORDING / "extensions.conf")
        .read_text()
        .replace("127.0.0.1:4573", f"127.0.0.1:{agi_port}")
    )
    node = SimNode(NodeConfig(dialplan=str(plan), confbridge=str(RECORDING / "confbridge.conf"),
                              ami_user="lab", ami_secret=SECRET, time_scale=TIME_SCALE,
                              timestamp_events=False))  # fmt: skip
    await node.start()
    try:
        frames = await replay(node, records)
    finally:
        await node.stop()
        if agi is not None:
            await agi.stop()
    expected, got = trace_events(records), sim_events(frames, agi_port)
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert [e[0] for e in got[key]] == [e[0] for e in expected[key]], key
        assert got[key] == expected[key], key
