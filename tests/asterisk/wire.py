"""Test-side wire helpers for the real-Asterisk suite: a plain AMI driver and a TCP relay."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

TIMEOUT_S = 5.0
Fields = dict[str, str]


@dataclass(frozen=True)
class Target:
    """Where the Asterisk's AMI listens and whom to log in as."""

    host: str
    port: int
    user: str
    secret: str


class AmiDriver:
    """A plain AMI client for the test's own actions and for watching what Asterisk emits.

    Deliberately independent of callcontrol.pbx: it reads frames by the blank line, matches
    answers by ActionID and collects list entries until `EventList: Complete`.
    """

    def __init__(self) -> None:
        self.events: list[Fields] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, tuple[asyncio.Future[list[Fields]], list[Fields]]] = {}
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def connect(self, target: Target) -> None:
        reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port), TIMEOUT_S
        )
        self._reader = reader
        banner = await asyncio.wait_for(reader.readline(), TIMEOUT_S)
        if not banner.startswith(b"Asterisk Call Manager/"):
            raise AssertionError(f"not an AMI banner: {banner!r}")
        self._task = asyncio.create_task(self._read_loop(), name="test-ami-driver")
        login = await self.action(
            {"Action": "Login", "Username": target.user, "Secret": target.secret}
        )
        if login.get("Response") != "Success":
            raise AssertionError(f"AMI login refused: {login.get('Message')}")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read_loop(self) -> None:
        assert self._reader is not None
        while True:
            try:
                block = await self._reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                # Asterisk closed the session: whoever still waits for an answer fails now.
                for future, _ in self._pending.values():
                    future.set_exception(ConnectionError("AMI session closed by Asterisk"))
                self._pending.clear()
                return
            fields: Fields = {}
            for line in block.decode("utf-8", "replace").split("\r\n"):
                key, sep, value = line.partition(": ")
                if sep:
                    fields.setdefault(key, value)
            self._route(fields)

    def _route(self, fields: Fields) -> None:
        pending = self._pending.get(fields.get("ActionID", ""))
        if pending is None:
            if "Event" in fields:
                self.events.append(fields)
                self._changed.set()
            return
        future, items = pending
        items.append(fields)
        done = (
            fields.get("Response") == "Error"
            or (len(items) == 1 and (fields.get("EventList") or "").lower() != "start")
            or fields.get("EventList") == "Complete"
        )
        if done:
            self._pending.pop(fields["ActionID"], None)
            future.set_result(items)

    async def _send(self, fields: Fields) -> list[Fields]:
        assert self._writer is not None
        action_id = f"t-{next(self._ids)}"
        future: asyncio.Future[list[Fields]] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = (future, [])
        text = "".join(f"{k}: {v}\r\n" for k, v in {**fields, "ActionID": action_id}.items())
        self._writer.write(text.encode() + b"\r\n")
        await self._writer.drain()
        return await asyncio.wait_for(future, TIMEOUT_S)

    async def action(self, fields: Fields) -> Fields:
        return (await self._send(fields))[0]

    async def listing(self, fields: Fields) -> list[Fields]:
        """A list action's entries (the first response and the Complete event left out)."""
        items = await self._send(fields)
        return [f for f in items[1:] if f.get("EventList") != "Complete"]

    async def wait_event(self, match: Callable[[Fields], bool], timeout: float = 10.0) -> Fields:
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.events if match(e)), None)
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("AMI event not seen in time")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)


class LinkCutter:
    """A loopback TCP relay in front of the AMI port, so a test can drop the service's link."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.port = 0
        self.open = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(self.target.host, self.target.port), TIMEOUT_S
        )
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while chunk := await src.read(65536):
                dst.write(chunk)
                await dst.drain()
        except OSError:
            pass
        finally:
            dst.close()
            self._writers.discard(dst)

    def cut(self) -> None:
        """Drop every relayed connection and refuse new ones until `restore`."""
        self.open = False
        for writer in list(self._writers):
            writer.close()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
