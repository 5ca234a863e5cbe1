"""The load side of ``bench_sim``: what callcontrol would be to the simulated node.

Runs in its own process (started by ``bench_sim``), so its CPU is not charged to the
simulator: a FastAGI server (callcontrol's own ``AgiServer``) answering every dial-in the
way callcontrol's IVR does, and one AMI client, logged in with events on, that reads
every event with callcontrol's parser and measures its lag (receive time minus the
event's ``Timestamp``) and each call's time from Newchannel to MusicOnHoldStart.

Talks to the parent over stdin/stdout, one JSON object per line:
``{"agi_port"}`` out; ``{"ami_port", "user", "secret"}`` in; ``{"ready"}`` out;
``{"stop": emitted_events, "settled_before": epoch}`` in; the results out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from array import array
from typing import Any

from callcontrol.logsetup import configure_logging
from callcontrol.pbx.agi_server import AgiCall, AgiServer
from callcontrol.pbx.ami_parser import EVENT, AmiMessage, AmiParser
from callcontrol.pbx.translator import TRACKED_VARIABLES, WANTED_EVENTS

ACCESS_CODE = "123456789"
DIGIT_TIMEOUT_MS = 10_000
AMI_READ_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 10.0
ROUTE = {  # what callcontrol's IVR sets for an attendee of a session not started yet
    "CC_CONF": "cc-bench-session",
    "CC_BRIDGE_PROFILE": "cc_bridge",
    "CC_USER_PROFILE": "cc_attendee",
    "CC_MENU": "cc_attendee_menu",
    "CC_MOH_CLASS": "cc_hold",
    "CC_ROUTE": "waiting",
}


class Load:
    def __init__(self) -> None:
        self.agi_active = 0
        self.agi_idle = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None
        self.agi_sessions = 0
        self.agi_wrong_code = 0
        self.events = 0
        self.bytes = 0
        self.lags = array("d")
        self.per_second: dict[int, int] = {}
        self.placed: dict[str, float] = {}
        self.on_hold: dict[str, float] = {}
        self.parser = AmiParser(WANTED_EVENTS, TRACKED_VARIABLES)
        self.t0 = time.time()

    # -- FastAGI: the dial-in IVR, as callcontrol's ivr.dialin runs it -------------------

    async def dialin(self, call: AgiCall) -> None:
        self.agi_active += 1
        self.agi_idle.clear()
        try:
            await self._dialin(call)
        finally:
            self.agi_active -= 1
            if not self.agi_active:
                self.agi_idle.set()

    async def _dialin(self, call: AgiCall) -> None:
        await call.set_variable("CC_LEG_ID", f"leg-{call.uniqueid}")
        code = await call.get_data("conf-getconfno", DIGIT_TIMEOUT_MS, 12)
        await call.get_data("conf-getpin", DIGIT_TIMEOUT_MS, 8)
        if code != ACCESS_CODE:
            self.agi_wrong_code += 1
        for name, value in ROUTE.items():
            await call.set_variable(name, value)
        self.agi_sessions += 1

    # -- AMI -------------------------------------------------------------------------------

    async def ami_login(self, port: int, user: str, secret: str) -> asyncio.StreamReader:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        self.writer = writer
        writer.write(
            f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\nEvents: on\r\n\r\n".encode()
        )
        while True:
            data = await asyncio.wait_for(reader.read(65536), 5)
            if not data:
                raise ConnectionError("AMI closed during login")
            for msg in self.parser.feed(data):
                if isinstance(msg, AmiMessage) and msg.kind != EVENT:
                    if msg.get("Response") != "Success":
                        raise ConnectionError(f"AMI login refused: {msg.get('Message')}")
                    return reader

    async def ami_read(self, reader: asyncio.StreamReader) -> None:
        parser, lags, placed, on_hold = self.parser, self.lags, self.placed, self.on_hold
        while True:
            data = await asyncio.wait_for(reader.read(1 << 20), AMI_READ_TIMEOUT_S)
            if not data:
                raise ConnectionError("AMI connection closed by the node")
            now = time.time()
            self.bytes += len(data)
            skipped = parser.skipped
            count = 0
            for msg in parser.feed(data):
                if not isinstance(msg, AmiMessage) or msg.kind != EVENT:
                    continue
                name = msg.name
                if name == "FullyBooted":
                    continue  # sent to the session at login, not through the node's bus
                count += 1
                stamp = float(msg.headers["Timestamp"])
                lags.append(now - stamp)
                if name == "Newchannel":
                    placed[msg.headers["Uniqueid"]] = stamp
                elif name == "MusicOnHoldStart":
                    on_hold[msg.headers["Uniqueid"]] = stamp
            count += parser.skipped - skipped
            self.events += count
            second = int(now - self.t0)
            self.per_second[second] = self.per_second.get(second, 0) + count

    def results(self, emitted: int, settled_before: float, drain_s: float | None) -> dict[str, Any]:
        hold = sorted(on_hold - self.placed[uid] for uid, on_hold in self.on_hold.items())
        never = sum(
            1 for uid, at in self.placed.items() if at < settled_before and uid not in self.on_hold
        )
        lags = sorted(self.lags)
        windows = sorted(self.per_second.items())[1:-1]  # drop the partial first/last seconds
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "agi_sessions": self.agi_sessions,
            "agi_wrong_code": self.agi_wrong_code,
            "ami_events": self.events,
            "ami_events_at_stop": emitted,
            "ami_bytes": self.bytes,
            "ami_drain_s": None if drain_s is None else round(drain_s, 3),
            "ami_events_per_s_max": max((n for _, n in windows), default=0),
            "ami_lag_s": summary(lags),
            "placed_to_hold_s": summary(hold),
            "reached_hold": len(hold),
            "never_reached_hold": never,
            "load_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        }


def summary(values: list[float]) -> dict[str, float | None]:
    def at(q: float) -> float | None:
        return round(values[min(len(values) - 1, int(q * len(values)))], 4) if values else None

    return {"p50": at(0.5), "p99": at(0.99), "max": at(1.0)}


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main() -> None:
    configure_logging("console", "warning")
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    load = Load()
    agi = AgiServer({"dialin": load.dialin}, timeout=30.0)
    say({"agi_port": await agi.start("127.0.0.1", 0)})
    hello = json.loads(await asyncio.wait_for(stdin.readline(), 60))
    reader = await load.ami_login(hello["ami_port"], hello["user"], hello["secret"])
    load.t0 = time.time()
    reading = asyncio.create_task(load.ami_read(reader), name="ami reader")
    say({"ready": True})
    try:
        # No timeout on purpose: the parent bounds the run and kills this process on error.
        line = await stdin.readline()
        stop = json.loads(line) if line.strip() else {"stop": 0, "settled_before": 0}
        started = time.monotonic()
        drain_s: float | None = None
        while time.monotonic() - started < DRAIN_TIMEOUT_S and not reading.done():
            if load.events >= stop["stop"]:
                drain_s = time.monotonic() - started
                break
            await asyncio.sleep(0.01)
        # Let the calls still in the IVR reach hold, so no AGI session is cut at the end.
        if load.agi_active:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.agi_idle.wait(), DRAIN_TIMEOUT_S)
        if reading.done() and reading.exception() is not None:
            raise reading.exception()  # type: ignore[misc]
        say(load.results(stop["stop"], stop["settled_before"], drain_s))
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        if load.writer is not None:
            load.writer.close()
        await agi.stop()


if __name__ == "__main__":
    asyncio.run(main())
