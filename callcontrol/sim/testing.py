"""Small real-protocol peers for tests and demos: an AMI client and a FastAGI server.

They speak the wire protocols directly (no library), so a test exercises exactly the
bytes the simulator writes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from callcontrol.sim.ami_wire import FrameReader, Headers, encode

DEFAULT_TIMEOUT_S = 5.0


@dataclass
class Frame:
    headers: Headers

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value


@dataclass
class AmiTestClient:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    banner: str = ""
    frames: list[Frame] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> AmiTestClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), DEFAULT_TIMEOUT_S
        )
        client = cls(reader, writer)
        raw = await asyncio.wait_for(reader.readline(), DEFAULT_TIMEOUT_S)
        client.banner = raw.decode()
        client._task = asyncio.get_running_loop().create_task(client._read())
        return client

    async def _read(self) -> None:
        frames = FrameReader()
        try:
            while data := await self.reader.read(65536):
                new = [Frame(m.headers) for m in frames.feed(data)]
                async with self._changed:
                    self.frames.extend(new)
                    self._changed.notify_all()
        except ConnectionError:
            pass
        finally:
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, action: str, *, action_id: str | None = "auto", **headers: str) -> str | None:
        """Write an action; returns its ActionID (None when sent without one)."""
        if action_id == "auto":
            action_id = f"t-{next(self._ids)}"
        fields: Headers = [("Action", action)]
        if action_id is not None:
            fields.append(("ActionID", action_id))
        for key, value in headers.items():
            values = value if isinstance(value, list) else [value]
            fields.extend((key, v) for v in values)
        self.writer.write(encode(fields))
        return action_id

    async def wait_for(
        self, predicate: Callable[[Frame], bool], timeout: float = DEFAULT_TIMEOUT_S, start: int = 0
    ) -> Frame:
        async def scan() -> Frame:
            index = start
            async with self._changed:
                while True:
                    for frame in self.frames[index:]:
                        if predicate(frame):
                            return frame
                    index = len(self.frames)
                    if self.closed.is_set():
                        raise ConnectionError("AMI connection closed")
                    await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def event(self, name: str, timeout: float = DEFAULT_TIMEOUT_S, **match: str) -> Frame:
        return await self.wait_for(
            lambda f: f.event == name and all(f.get(k) == v for k, v in match.items()), timeout
        )

    async def action(
        self, action: str, timeout: float = DEFAULT_TIMEOUT_S, **headers: str
    ) -> Frame:
        action_id = self.send(action, **headers)
        return await self.wait_for(
            lambda f: f.response is not None and f.get("ActionID") == action_id, timeout
        )

    async def login(self, username: str = "callcontrol", secret: str = "callcontrol") -> Frame:
        return await self.action("Login", Username=username, Secret=secret)

    def events(self, *names: str) -> list[Frame]:
        return [f for f in self.frames if f.event is not None and (not names or f.event in names)]

    async def close(self) -> None:
        self.writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class AgiSession:
    """One FastAGI connection as the script sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.env: dict[str, str] = {}
        self.env_lines: list[str] = []
        self.transcript: list[tuple[str, str]] = []

    async def read_env(self) -> None:
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), DEFAULT_TIMEOUT_S)).decode()
            if line in ("\n", ""):
                return
            self.env_lines.append(line)
            key, _, value = line.rstrip("\n").partition(": ")
            self.env[key] = value

    async def command(self, line: str, timeout: float = 30.0) -> str:
        self.writer.write(line.encode() + b"\n")
        reply = (await asyncio.wait_for(self.reader.readline(), timeout)).decode().rstrip("\n")
        self.transcript.append((line, reply))
        return reply


AgiScript = Callable[[AgiSession], Awaitable[None]]


class FastAgiTestServer:
    """Accepts FastAGI connections and runs ``script`` for each; closes after it."""

    def __init__(self, script: AgiScript) -> None:
        self.script = script
        self.sessions: list[AgiSession] = []
        self.errors: list[BaseException] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FastAgiTestServer:
        self._server = await asyncio.start_server(self._handle, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AgiSession(reader, writer)
        self.sessions.append(session)
        try:
            await session.read_env()
            await self.script(session)
        except (ConnectionError, TimeoutError) as exc:
            self.errors.append(exc)
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
