"""Our AMIProtocol inside panoramisk's Manager, over loopback TCP against a trace replay.

The server replays ``ami_playdtmf_queued_response.raw.txt`` (recorded from Asterisk 22):
each action the client sends releases the trace up to the next action's response, with
the recorded ActionIDs rewritten to the client's. The trace holds the PlayDTMF reply
("DTMF successfully queued", no Async) that makes stock panoramisk 1.4 drop the link.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from callcontrol.domain import pbx_events as ev
from callcontrol.pbx.ami_parser import AmiMessage
from callcontrol.pbx.ami_protocol import from_panoramisk, protocol_factory
from callcontrol.pbx.translator import TRACKED_VARIABLES, WANTED_EVENTS, translate

TRACES = (
    Path(
        os.environ.get("CALLCONTROL_TRACES")
        or Path(__file__).resolve().parents[2].parent / "shared" / "traces"
    )
    / "asterisk-22"
)
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
TIMEOUT = 5.0


def first_session_frames() -> list[bytes]:
    data = (TRACES / "ami_playdtmf_queued_response.raw.txt").read_bytes()
    frames = data.split(b"\r\n\r\n")[:-1]
    assert frames[0].startswith(BANNER)
    frames[0] = frames[0][len(BANNER) :]
    # The recording reconnected after panoramisk dropped the link: keep the first session.
    end = next(i for i, f in enumerate(frames) if f.startswith(BANNER))
    return frames[:end]


class ReplayServer:
    def __init__(self) -> None:
        self.frames = first_session_frames()
        ids = re.compile(rb"^Response: .*\r\nActionID: (\S+)", re.M)
        # (index of the response frame, recorded ActionID) for each action, in order.
        self.responses = [(i, m.group(1)) for i, f in enumerate(self.frames) if (m := ids.match(f))]
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        renames: dict[bytes, bytes] = {}
        sent = 0
        try:
            for k, (_, recorded_id) in enumerate(self.responses):
                async with asyncio.timeout(TIMEOUT):
                    action = await reader.readuntil(b"\r\n\r\n")
                found = re.search(rb"(?im)^ActionID: (\S+)", action)
                assert found is not None, action
                renames[recorded_id] = found.group(1)
                # Everything up to the next action's response belongs to this action.
                upto = self.responses[k + 1][0] if k + 1 < len(self.responses) else None
                chunk = self.frames[sent:upto]
                sent += len(chunk)
                writer.write(b"".join(self.rename(f, renames) + b"\r\n\r\n" for f in chunk))
                await writer.drain()
            async with asyncio.timeout(TIMEOUT):
                await reader.read()  # until the client closes
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    def rename(frame: bytes, renames: dict[bytes, bytes]) -> bytes:
        def swap(m: re.Match[bytes]) -> bytes:
            return b"ActionID: " + renames.get(m.group(1), m.group(1))

        return re.sub(rb"(?m)^ActionID: (\S+)", swap, frame)


class RecordingManager(Manager):  # type: ignore[misc]
    """Records a lost connection instead of reconnecting, so the test sees it."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.lost: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.events: list[Any] = []
        self.seen: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.register_event("*", self.record)

    def record(self, manager: Manager, event: Any) -> None:
        self.events.append(event)
        self.seen[event.event].set()

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        if not self.lost.done():
            self.lost.set_result(exc)


@pytest.fixture
async def server() -> AsyncIterator[ReplayServer]:
    srv = ReplayServer()
    yield srv
    await srv.close()


async def connect(server: ReplayServer, factory: Any) -> RecordingManager:
    port = await server.start()
    manager = RecordingManager(
        host="127.0.0.1",
        port=port,
        username="lab",
        secret="secret",
        ping_delay=3600,
        protocol_factory=factory,
        loop=asyncio.get_running_loop(),
    )
    await asyncio.wait_for(manager.connect(), TIMEOUT)
    assert await asyncio.wait_for(manager.authenticated_future, TIMEOUT)
    return manager


async def run_recorded_actions(manager: RecordingManager) -> dict[str, Any]:
    send = manager.send_action
    results: dict[str, Any] = {}
    for n in (1, 2):
        results[f"originate{n}"] = await asyncio.wait_for(
            send({"Action": "Originate", "Channel": "Local/18005551234@from-trunk",
                  "Context": "caller-sim", "Exten": "s", "Priority": "1", "Async": "true"}),
            TIMEOUT,
        )  # fmt: skip
    results["rooms"] = await asyncio.wait_for(send({"Action": "ConfbridgeListRooms"}), TIMEOUT)
    results["list"] = await asyncio.wait_for(
        send({"Action": "ConfbridgeList", "Conference": "123456789"}), TIMEOUT
    )
    results["mute"] = await asyncio.wait_for(
        send({"Action": "ConfbridgeMute", "Conference": "123456789", "Channel": "x"}), TIMEOUT
    )
    results["dtmf"] = send({"Action": "PlayDTMF", "Channel": "x", "Digit": "*"})
    return results


async def test_playdtmf_queued_response_keeps_the_connection(server: ReplayServer) -> None:
    manager = await connect(server, protocol_factory(WANTED_EVENTS, TRACKED_VARIABLES))
    try:
        results = await run_recorded_actions(manager)
        dtmf = await asyncio.wait_for(results["dtmf"], TIMEOUT)
        assert dtmf["Message"] == "DTMF successfully queued"
        # The events after the reply still arrive: the connection is up.
        await asyncio.wait_for(manager.seen["DTMFEnd"].wait(), TIMEOUT)
        assert not manager.lost.done() and manager.protocol.parse_errors == 0

        # Async Originate: the response then the OriginateResponse, on the action's future.
        response, origin = results["originate1"]
        assert response["Message"] == "Originate successfully queued"
        result = translate(from_panoramisk(origin), "node-a", 0)
        assert isinstance(result, ev.OriginateResult) and result.success
        assert result.uniqueid == "1795770255.0" and result.action_id == origin["ActionID"]
        rooms = [translate(from_panoramisk(m), "node-a", 0) for m in results["rooms"][1:]]
        assert [type(r) for r in rooms] == [ev.ConferenceRoomListed, ev.ListCompleted]
        members = [translate(from_panoramisk(m), "node-a", 0) for m in results["list"][1:-1]]
        assert [m.uniqueid for m in members] == ["1795770255.1", "1795770259.5"]  # type: ignore[union-attr]
        assert results["mute"]["Message"] == "User muted"

        # Dispatched events are our messages; unwanted ones were never parsed.
        assert all(isinstance(e, AmiMessage) for e in manager.events)
        names = {e.name for e in manager.events}
        assert {"ConfbridgeJoin", "ConfbridgeMute", "DTMFEnd", "Newchannel"} <= names
        assert names <= WANTED_EVENTS
        assert manager.protocol.version == "11.0.0"
    finally:
        manager.close()


async def test_stock_panoramisk_drops_the_connection_on_it(server: ReplayServer) -> None:
    manager = await connect(server, AMIProtocol)
    try:
        results = await run_recorded_actions(manager)
        exc = await asyncio.wait_for(manager.lost, TIMEOUT)
        assert isinstance(exc, KeyError) and exc.args == ("async",)
        assert not results["dtmf"].done()
        results["dtmf"].cancel()
    finally:
        manager.close()
