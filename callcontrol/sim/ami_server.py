"""The AMI TCP server: banner, Login/Logoff/Ping/Events, dispatch, event fan-out.

Behaviour at the protocol edges follows the ami_protocol_edges trace: anything but
Login/Logoff before login is "Permission denied"; a wrong secret is answered after
exactly one second and the socket is closed; responses echo ActionID only when the
action had one; an unknown action or a block without Action is an Error followed by
a RequestBadFormat event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from callcontrol.sim.ami_wire import BANNER, FrameReader, Headers, Message, ProtocolError, encode
from callcontrol.sim.clock import SimClock
from callcontrol.sim.event_filter import EventFilter
from callcontrol.sim.events import EventBus

log = logging.getLogger(__name__)

AUTH_TIMEOUT_S = 30.0  # manager.conf authtimeout
AUTH_FAILURE_DELAY_S = 1.0
MAX_BUFFERED_BYTES = 32 * 1024 * 1024
EVENT_BATCH_S = 0.002

# Returns the frames to write (response first), or None for an unknown action.
Handler = Callable[["Session", Message], Awaitable[list[Headers] | None]]


def response(status: str, msg: Message, *fields: tuple[str, str]) -> Headers:
    headers: Headers = [("Response", status)]
    if msg.action_id is not None:
        headers.append(("ActionID", msg.action_id))
    headers.extend(fields)
    return headers


def error(msg: Message, text: str) -> Headers:
    return response("Error", msg, ("Message", text))


def success(msg: Message, text: str) -> Headers:
    return response("Success", msg, ("Message", text))


@dataclass(eq=False)
class Session:
    writer: asyncio.StreamWriter
    session_id: str
    authenticated: bool = False
    events_on: bool = True
    username: str = ""
    login_time: float = field(default_factory=time.time)
    # Frames are written together, at most EVENT_BATCH_S after the first of them (and
    # at once after an action's answer): a system call per event would cost more than
    # building the event.
    pending: list[bytes] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = field(default=None, repr=False)

    def send(self, frame: bytes) -> None:
        if self.writer.is_closing():
            return
        self.pending.append(frame)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(EVENT_BATCH_S, self.flush)

    def send_headers(self, headers: Headers) -> None:
        self.send(encode(headers))

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.pending:
            return
        data = b"".join(self.pending)
        self.pending.clear()
        if self.writer.is_closing():
            return
        if self.writer.transport.get_write_buffer_size() > MAX_BUFFERED_BYTES:
            # A client that stops reading is dropped instead of stalling the node.
            log.warning("AMI session %s: client too slow, closing", self.session_id)
            self.writer.close()
            return
        self.writer.write(data)

    def close(self) -> None:
        """Close after writing what was already sent."""
        self.flush()
        self.writer.close()


class AmiServer:
    def __init__(
        self,
        bus: EventBus,
        clock: SimClock,
        handler: Handler,
        *,
        username: str,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 5038,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.handler = handler
        self.username = username
        self.secret = secret
        self.host = host
        self.port = port
        self.sessions: set[Session] = set()
        self.boot_time = clock.now()
        self.reload_time = self.boot_time
        self.event_delay_s = 0.0
        self.ping_silent = False
        self._server: asyncio.Server | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self._seq = 0
        self._unsubscribe: Callable[[], None] | None = None
        # manager.conf's eventfilter of the user, when the node was given one.
        self.event_filter: EventFilter | None = None
        self.attach()

    def attach(self) -> None:
        """Listen to the node's events (again, after a restart)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.bus.subscribe(self._on_event)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        tasks = list(self._conn_tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    # -- events ---------------------------------------------------------------------------

    def _on_event(self, name: str, headers: Headers, frame: bytes) -> None:
        if self.event_filter is not None and not self.event_filter.allows(name, headers):
            return
        if self.event_delay_s > 0:
            asyncio.get_running_loop().call_later(self.event_delay_s, self._fan_out, frame)
        else:
            self._fan_out(frame)

    def _fan_out(self, frame: bytes) -> None:
        for session in self.sessions:
            if session.authenticated and session.events_on:
                session.send(frame)

    def broadcast_raw(self, data: bytes) -> None:
        """Write bytes as they are to every logged-in client (malformed-frame fault)."""
        for session in self.sessions:
            if session.authenticated:
                session.send(data)

    def drop_connections(self) -> None:
        for session in list(self.sessions):
            session.close()

    # -- connections ----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        self._seq += 1
        session = Session(writer, f"0x{0x7F0000000000 + self._seq * 0x1F50:x}")
        self.sessions.add(session)
        try:
            writer.write(BANNER)
            await self._serve(session, reader)
        except (ConnectionError, ProtocolError) as exc:
            log.info("AMI session %s closed: %s", session.session_id, exc)
        except asyncio.CancelledError:
            # Server shutdown. asyncio's start_server callback would log a cancelled
            # handler task as an error, so the task ends normally instead.
            log.debug("AMI session %s cancelled by shutdown", session.session_id)
        finally:
            self.sessions.discard(session)
            session.close()
            if task is not None:
                self._conn_tasks.discard(task)

    async def _serve(self, session: Session, reader: asyncio.StreamReader) -> None:
        frames = FrameReader()
        while not session.writer.is_closing():
            timeout = None if session.authenticated else AUTH_TIMEOUT_S
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout)
            except TimeoutError:
                log.info(
                    "AMI session %s: no login within %.0f s", session.session_id, AUTH_TIMEOUT_S
                )
                return
            if not data:
                return
            for msg in frames.feed(data):
                keep = await self._dispatch(session, msg)
                session.flush()  # the answer goes out now, after the events before it
                if not keep:
                    await session.writer.drain()
                    return

    async def _dispatch(self, session: Session, msg: Message) -> bool:
        """Handle one action; False closes the connection."""
        action = (msg.action or "").strip()
        key = action.lower()
        if not action:
            session.send_headers(error(msg, "Missing action in request"))
            self._bad_format(session, "NONE")
            return True
        if not session.authenticated and key not in ("login", "logoff", "challenge"):
            session.send_headers(error(msg, "Permission denied"))
            return True
        if key == "login":
            return await self._login(session, msg)
        if key == "logoff":
            session.send_headers(response("Goodbye", msg, ("Message", "Thanks for all the fish.")))
            return False
        if key == "ping":
            if not self.ping_silent:
                session.send_headers(
                    response(
                        "Success", msg, ("Ping", "Pong"), ("Timestamp", self.clock.timestamp())
                    )
                )
            return True
        if key == "events":
            mask = (msg.get("EventMask") or "on").strip().lower()
            session.events_on = mask not in ("off", "no", "false", "0", "none")
            session.send_headers(
                response("Success", msg, ("Events", "On" if session.events_on else "Off"))
            )
            return True
        frames = await self.handler(session, msg)
        if frames is None:
            session.send_headers(
                error(
                    msg,
                    f"Invalid/unknown command: {action}. "
                    "Use Action: ListCommands to show available commands.",
                )
            )
            self._bad_format(session, action)
            return True
        for headers in frames:
            session.send_headers(headers)
        return True

    async def _login(self, session: Session, msg: Message) -> bool:
        if session.authenticated:
            session.send_headers(success(msg, "Already authenticated"))
            return True
        if msg.get("Username") != self.username or msg.get("Secret") != self.secret:
            await asyncio.sleep(AUTH_FAILURE_DELAY_S)  # real seconds, as Asterisk does
            session.send_headers(error(msg, "Authentication failed"))
            return False
        session.authenticated = True
        session.username = self.username
        events = (msg.get("Events") or "on").strip().lower()
        session.events_on = events not in ("off", "no", "false", "0", "none")
        session.send_headers(success(msg, "Authentication accepted"))
        uptime = str(int(self.clock.now() - self.boot_time))
        reload = str(int(self.clock.now() - self.reload_time))
        session.send_headers(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                *([("Timestamp", self.clock.timestamp())] if self.bus.timestamp_events else []),
                ("Uptime", uptime),
                ("LastReload", reload),
                ("Status", "Fully Booted"),
            ]
        )
        return True

    def _bad_format(self, session: Session, request: str) -> None:
        if not (session.authenticated and session.events_on):
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock.now()))
        session.send_headers(
            [
                ("Event", "RequestBadFormat"),
                ("Privilege", "security,all"),
                ("EventTV", f"{now}.000+0000"),
                ("Severity", "Error"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("SessionID", session.session_id),
                ("LocalAddress", f"IPV4/TCP/{self.host}/{self.port}"),
                ("RemoteAddress", "IPV4/TCP/127.0.0.1/0"),
                ("RequestType", f"Action: {request}"),
                ("SessionTV", f"{now}.000+0000"),
                ("AccountID", session.username),
            ]
        )
