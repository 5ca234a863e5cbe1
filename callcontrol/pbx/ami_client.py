"""One AMI link per PBX node: panoramisk underneath, with the guarantees call control needs.

- Reconnect with capped exponential backoff and jitter, forever, until stopped.
- A Ping must be answered within one ping interval; a silent TCP link is declared dead
  within two intervals and torn down (then reconnected).
- No action is ever re-sent: panoramisk re-queues actions left unanswered by a disconnect and
  sends them again on the next FullyBooted, which would place a second Originate. Here every
  pending action fails with `AmiDisconnected` instead; the caller decides (a Call Me is then
  recognised by its ChannelId during the resync, never re-sent).
- Events reach `on_message` in arrival order, OriginateResponse included (panoramisk hands it
  only to the action's future).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

from panoramisk import Manager
from panoramisk.actions import Action

from callcontrol.clock import now_ms
from callcontrol.logsetup import get_logger
from callcontrol.pbx.ami_parser import EVENT, AmiMessage
from callcontrol.pbx.ami_protocol import CallControlAMIProtocol, from_panoramisk
from callcontrol.pbx.translator import TRACKED_VARIABLES, WANTED_EVENTS
from callcontrol.settings import PbxNode

log = get_logger(__name__)

_BACKOFF_BASE_S = 0.5
_STOP_WAIT_S = 5.0


class AmiError(Exception):
    """An action failed (error response, no answer in time, or no connection)."""


class AmiDisconnected(AmiError):
    """The link went down before the action was answered; it was not re-sent."""


class AmiTimeout(AmiError):
    """No answer in time: the action may or may not have been carried out."""


class AmiLoginFailed(AmiError):
    pass


MessageHandler = Callable[[AmiMessage, int], None]
StateHandler = Callable[[str, bool, str], None]


def backoff_delay(attempt: int, cap: float, rng: random.Random) -> float:
    """Capped exponential backoff with full jitter in [50 %, 100 %] of the step."""
    step = min(cap, _BACKOFF_BASE_S * float(2 ** min(attempt, 16)))
    return step * float(rng.uniform(0.5, 1.0))


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Read a failed action's exception so a caller that gave up leaves no warning."""
    if not future.cancelled():
        future.exception()


class _Protocol(CallControlAMIProtocol):
    def handle_message(self, message: AmiMessage) -> None:
        # OriginateResponse also goes to the event stream, in order, before its future settles.
        if (
            message.kind == EVENT
            and message.name == "OriginateResponse"
            and self.factory is not None
            and message.action_id in self.responses
        ):
            self.factory.dispatch(message)
        super().handle_message(message)

    def close(self) -> None:
        # Fail what is pending instead of letting panoramisk queue it for a re-send.
        for action in list(self.responses.values()):
            if not action.future.done():
                action.future.set_exception(AmiDisconnected(f"{action['action']} unanswered"))
        self.responses.clear()
        super().close()


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager, but the link (not panoramisk) decides when to reconnect."""

    link: AmiLink
    pinger: asyncio.TimerHandle | None

    def connection_lost(self, exc: Any) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        self.link._lost(exc)


class AmiLink:
    def __init__(
        self,
        node: PbxNode,
        on_message: MessageHandler,
        on_state: StateHandler | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.node = node
        self.on_message = on_message
        self.on_state = on_state
        self.rng = rng or random.Random()
        self.connected = False
        self.detail = "not connected yet"
        self.reconnects = 0
        self.last_ping_ms: float | None = None
        # Wall-clock time of the node's last sign of life (login, a message, a Ping answer):
        # a call seen up then was still up then, whatever the link does next.
        self.alive_at_ms: int | None = None
        self._manager: _Manager | None = None
        self._lost_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"ami-{self.node.name}")

    async def stop(self) -> None:
        # The flag ends the loop even if a cancellation is swallowed by a wait that completed
        # at the same instant (asyncio.wait_for on Python 3.11); the wait is bounded too.
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, _STOP_WAIT_S)
        self._teardown()

    def _set_state(self, connected: bool, detail: str) -> None:
        changed = connected != self.connected
        self.connected, self.detail = connected, detail
        if changed and self.on_state is not None:
            self.on_state(self.node.name, connected, detail)

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                await self._connect_once()
                attempt = 0
                self._set_state(True, "connected")
                await self._ping_until_lost()
            except (OSError, TimeoutError, AmiError) as exc:
                log.warning("ami link down", node=self.node.name, error=str(exc) or repr(exc))
            self._teardown()
            self._set_state(False, self.detail if not self.connected else "connection lost")
            delay = backoff_delay(attempt, self.node.reconnect_max, self.rng)
            attempt += 1
            self.reconnects += 1
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost_event = asyncio.Event()
        manager = _Manager(
            host=self.node.host,
            port=self.node.port,
            username=self.node.username,
            secret=self.node.secret.value,
            loop=loop,
            ping_delay=10**9,  # our own pinger below has a deadline; panoramisk's has none
            protocol_factory=_Protocol,
            forgetable_actions=(),
        )
        manager.link = self
        manager.register_event("*", self._dispatch)
        self.detail = f"connecting to {self.node.host}:{self.node.port}"
        transport, protocol = await asyncio.wait_for(
            loop.create_connection(self._protocol_factory, self.node.host, self.node.port),
            self.node.connect_timeout,
        )
        self._manager = manager
        done: asyncio.Future[Any] = loop.create_future()
        done.set_result((transport, protocol))
        manager.connection_made(done)  # sets the protocol up and sends Login
        login = manager.authenticated_future
        try:
            response = await asyncio.wait_for(asyncio.shield(login), self.node.connect_timeout)
        except AmiDisconnected as exc:
            raise AmiLoginFailed("connection closed during login") from exc
        if not response.success:
            self.detail = f"login refused: {response.get('Message', '')}"
            raise AmiLoginFailed(self.detail)
        self.alive_at_ms = now_ms()
        log.info("ami connected", node=self.node.name)

    @staticmethod
    def _protocol_factory() -> _Protocol:
        protocol = _Protocol()
        protocol.wanted_events = WANTED_EVENTS | {"OriginateResponse"}
        protocol.wanted_variables = TRACKED_VARIABLES
        return protocol

    def _dispatch(self, _: Any, message: AmiMessage) -> None:
        self.alive_at_ms = now_ms()
        self.on_message(message, self.alive_at_ms)

    def _lost(self, exc: Any) -> None:
        self.detail = "connection lost" if exc is None else f"connection lost: {exc}"
        self._lost_event.set()

    def _teardown(self) -> None:
        manager, self._manager = self._manager, None
        if manager is not None:
            manager.close()

    async def _ping_until_lost(self) -> None:
        interval = self.node.ping_interval
        while True:
            lost = asyncio.ensure_future(self._lost_event.wait())
            try:
                done, _ = await asyncio.wait({lost}, timeout=interval)
            finally:
                lost.cancel()
            if done:
                raise AmiDisconnected(self.detail)
            started = time.monotonic()
            try:
                await self.send({"Action": "Ping"}, timeout=interval)
            except AmiError as exc:
                self.detail = f"ping unanswered within {interval:g} s"
                raise AmiDisconnected(self.detail) from exc
            self.last_ping_ms = (time.monotonic() - started) * 1000
            self.alive_at_ms = now_ms()

    # -- actions ---------------------------------------------------------------------------
    async def send(
        self, fields: dict[str, Any], timeout: float | None = None, as_list: bool | None = None
    ) -> Any:
        """Send one action once and wait for its answer (a panoramisk Message or a list)."""
        manager = self._manager
        if manager is None or manager.protocol is None or manager.protocol.closed:
            raise AmiDisconnected(f"node {self.node.name} is not connected")
        action = Action(fields, as_list=as_list)
        future = manager.send_action(action, as_list=as_list)
        future.add_done_callback(_retrieve)
        try:
            result = await asyncio.wait_for(
                asyncio.shield(future), timeout or self.node.action_timeout
            )
        except TimeoutError as exc:
            raise AmiTimeout(f"{fields.get('Action')} unanswered within timeout") from exc
        first = result[0] if isinstance(result, list) else result
        if first.get("Response") == "Error":
            raise AmiError(f"{fields.get('Action')} refused: {first.get('Message', '')}")
        return result

    async def send_list(
        self, fields: dict[str, Any], timeout: float | None = None
    ) -> list[AmiMessage]:
        """A list action (CoreShowChannels, ConfbridgeList...): its entries as AmiMessages."""
        # as_list stays None: panoramisk then reads EventList: start, and a lone Error
        # ("No active conferences") settles the action instead of waiting for more.
        result = await self.send(fields, timeout=timeout)
        items = result if isinstance(result, list) else [result]
        return [from_panoramisk(m) for m in items]
