"""A FastAGI server: Asterisk connects per call, sends its agi_* block, then obeys commands.

Each connection becomes an `AgiCall` with typed methods (`get_data`, `set_variable`, ...)
that send one command line and parse the `200 result=...` reply, with a timeout on every wait.
A hang-up shows as `AgiHangup`, raised from whichever command was waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from callcontrol.logsetup import bound, get_logger

log = get_logger(__name__)

_RESULT = re.compile(r"^200 result=(-?\d*)(?: \((.*)\))?(?: endpos=\d+)?\s*$")
_MAX_LINE = 8192
_HEADER_LIMIT = 200
_BACKLOG = 1024


class AgiError(Exception):
    """Asterisk refused a command or answered something we cannot read."""


class AgiHangup(AgiError):
    """The channel hung up; no further command can run on it."""


class AgiCommandFailed(AgiError):
    """Asterisk answered -1 with the channel still up: e.g. a prompt file is missing."""


@dataclass(frozen=True, slots=True)
class AgiReply:
    result: str
    data: str | None

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"


def quote(argument: str) -> str:
    """Quote an argument for the AGI command line (Asterisk splits on spaces outside quotes)."""
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AgiCall:
    """One FastAGI connection, i.e. one channel running AGI()."""

    def __init__(
        self,
        env: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeout: float,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self.timeout = timeout
        self.hung_up = False

    @property
    def script(self) -> str:
        request = (
            self.env.get("agi_network_script") or urlparse(self.env.get("agi_request", "")).path
        )
        return request.strip("/").split("?")[0]

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def extension(self) -> str:
        return self.env.get("agi_extension", "")

    @property
    def caller_number(self) -> str:
        return self.env.get("agi_callerid", "")

    def arg(self, n: int) -> str | None:
        return self.env.get(f"agi_arg_{n}")

    async def command(self, line: str, timeout: float | None = None) -> AgiReply:
        if self.hung_up:
            raise AgiHangup("channel already hung up")
        self._writer.write(line.encode("utf-8") + b"\n")
        await self._writer.drain()
        while True:
            raw = await asyncio.wait_for(self._reader.readline(), timeout or self.timeout)
            if not raw:
                self.hung_up = True
                raise AgiHangup("connection closed by Asterisk")
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text == "HANGUP":  # sent by Asterisk when the channel hangs up mid-AGI
                self.hung_up = True
                continue
            if text.startswith("511 "):
                self.hung_up = True
                raise AgiHangup(text)
            if text.startswith("520-"):  # multi-line usage text; read to its end
                while text and not text.startswith("520 "):
                    text = (await self._reader.readline()).decode("utf-8", "replace").rstrip()
                raise AgiError(f"invalid command syntax: {line}")
            match = _RESULT.match(text)
            if match is None:
                raise AgiError(f"unexpected AGI reply {text!r} to {line!r}")
            reply = AgiReply(result=match[1], data=match[2])
            if reply.result == "-1":
                # Asterisk says -1 both when the caller hung up (then it also sent HANGUP)
                # and when the command failed on a live channel (a missing sound file).
                if self.hung_up:
                    raise AgiHangup(f"{line!r} failed: channel gone")
                raise AgiCommandFailed(f"{line!r} failed on a live channel")
            return reply

    async def answer(self) -> None:
        await self.command("ANSWER")

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str:
        """Play a prompt; returns the digit that interrupted it, or ''."""
        reply = await self.command(f"STREAM FILE {prompt} {quote(escape_digits)}")
        return chr(int(reply.result)) if reply.result not in ("", "0") else ""

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str:
        """Play a prompt and collect digits up to `max_digits` or `#`; '' on timeout."""
        wait = self.timeout + timeout_ms / 1000 * (max_digits + 1)
        reply = await self.command(f"GET DATA {prompt} {timeout_ms} {max_digits}", timeout=wait)
        return reply.result

    async def set_variable(self, name: str, value: str) -> None:
        await self.command(f"SET VARIABLE {name} {quote(value)}")

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command(f"GET VARIABLE {name}")
        return reply.data if reply.result == "1" else None

    async def hangup(self) -> None:
        with contextlib.suppress(AgiHangup):
            await self.command("HANGUP")

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command(f"VERBOSE {quote(message)} {level}")


AgiHandler = Callable[[AgiCall], Awaitable[None]]
AgiHandlers = Mapping[str, AgiHandler]


async def read_env(reader: asyncio.StreamReader, timeout: float) -> dict[str, str]:
    env: dict[str, str] = {}
    for _ in range(_HEADER_LIMIT):
        raw = await asyncio.wait_for(reader.readline(), timeout)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            return env
        key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_"):
            raise AgiError(f"malformed AGI header line {line!r}")
        env[key.strip()] = value.strip()
    raise AgiError("AGI header block too long")


class AgiServer:
    """Listens for FastAGI connections and runs the handler registered for each script."""

    def __init__(self, handlers: AgiHandlers, timeout: float) -> None:
        self.handlers = handlers
        self.timeout = timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        # A large backlog: a burst of calls must not meet refused connections (Asterisk
        # retries a refused FastAGI connect only after a second or more).
        self._server = await asyncio.start_server(
            self._accept, host, port, limit=_MAX_LINE, backlog=_BACKLOG
        )
        bound_port: int = self._server.sockets[0].getsockname()[1]
        log.info("fastagi listening", host=host, port=bound_port)
        return bound_port

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            # Shutting down: this connection's task ends here, quietly.
            log.info("fastagi session cancelled at shutdown")
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env = await read_env(reader, self.timeout)
        except (AgiError, TimeoutError, ConnectionError) as exc:
            log.warning("fastagi connection refused", error=str(exc))
            return
        call = AgiCall(env, reader, writer, self.timeout)
        handler = self.handlers.get(call.script)
        with bound(uniqueid=call.uniqueid):
            if handler is None:
                log.warning("fastagi unknown script", script=call.script)
                with contextlib.suppress(AgiError, TimeoutError, ConnectionError):
                    await call.verbose(f"callcontrol: no AGI script {call.script!r}")
                return
            try:
                await handler(call)
            except AgiHangup:
                log.info("caller hung up during IVR", script=call.script)
            except (AgiError, TimeoutError, ConnectionError) as exc:
                error = str(exc) or type(exc).__name__
                log.warning("fastagi session failed", script=call.script, error=error)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # no new connections
        # Sessions first: from Python 3.12 wait_closed() waits for open connections.
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if server is not None:
            await server.wait_closed()
