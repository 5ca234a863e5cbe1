"""The PBX nodes: one AMI link each, and ONE consumer that handles every event in arrival order.

Raw AMI messages from every link are queued as they arrive; the consumer translates them into
typed events (the translator is the only place that reads AMI headers) and hands them to call
control. Unknown events are counted; malformed ones are logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from callcontrol.logsetup import get_logger
from callcontrol.metrics import AMI_EVENTS, AMI_RECONNECTS
from callcontrol.pbx.ami_client import AmiLink
from callcontrol.pbx.ami_parser import AmiMessage
from callcontrol.pbx.translator import TranslationError, Translator, UnknownEvent
from callcontrol.settings import PbxNode

log = get_logger(__name__)

EventSink = Callable[[object], Awaitable[None] | None]
_QUEUE_BOUND = 100_000


@dataclass
class _Item:
    node: str
    message: AmiMessage | None  # None: a link state change
    received_at_ms: int
    connected: bool = False
    detail: str = ""
    alive_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class LinkStateChanged:
    """Not an AMI event: our own link to a node came up or went down."""

    node: str
    connected: bool
    detail: str
    alive_at_ms: int | None = None  # the node's last sign of life on this link


class NodeSet:
    def __init__(self, nodes: tuple[PbxNode, ...], sink: EventSink) -> None:
        self.settings = {n.name: n for n in nodes}
        self.sink = sink
        self.queue: asyncio.Queue[_Item] = asyncio.Queue(_QUEUE_BOUND)
        self.translators = {n.name: Translator(n.name) for n in nodes}
        self.links = {n.name: AmiLink(n, self._receiver(n.name), self._on_state) for n in nodes}
        self._consumer: asyncio.Task[None] | None = None

    def _receiver(self, node: str) -> Callable[[AmiMessage, int], None]:
        def receive(message: AmiMessage, received_at_ms: int) -> None:
            try:
                self.queue.put_nowait(_Item(node, message, received_at_ms))
            except asyncio.QueueFull:
                log.error("event queue full; event dropped", node=node, event=message.name)

        return receive

    def _on_state(self, node: str, connected: bool, detail: str) -> None:
        if not connected:
            AMI_RECONNECTS.labels(node=node).inc()
        try:
            alive = self.links[node].alive_at_ms
            self.queue.put_nowait(_Item(node, None, 0, connected, detail, alive))
        except asyncio.QueueFull:
            log.error("event queue full; link state change not queued", node=node)

    def start(self) -> None:
        self._consumer = asyncio.create_task(self._consume(), name="ami-consumer")
        for link in self.links.values():
            link.start()

    async def stop(self) -> None:
        for link in self.links.values():
            await link.stop()
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None

    async def _consume(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                await self._handle(item)
            except Exception:  # one bad event must not stop the consumer
                log.exception("event handling failed", node=item.node)
            finally:
                self.queue.task_done()

    async def _handle(self, item: _Item) -> None:
        if item.message is None:
            result: object = LinkStateChanged(
                item.node, item.connected, item.detail, item.alive_at_ms
            )
        else:
            message = item.message
            AMI_EVENTS.labels(node=item.node, event=message.name).inc()
            result = self.translators[item.node](message, item.received_at_ms)
            if result is None:
                return
            if isinstance(result, UnknownEvent):
                return
            if isinstance(result, TranslationError):
                log.warning(
                    "malformed event skipped",
                    node=item.node,
                    event=result.name,
                    reason=result.reason,
                )
                return
        outcome = self.sink(result)
        if outcome is not None:
            await outcome

    def connected(self, node: str) -> bool:
        link = self.links.get(node)
        return link is not None and link.connected

    def probes(self) -> dict[str, Callable[[], Awaitable[tuple[bool, str]]]]:
        def probe_for(link: AmiLink) -> Callable[[], Awaitable[tuple[bool, str]]]:
            async def probe() -> tuple[bool, str]:
                return link.connected, link.detail

            return probe

        return {f"node:{name}": probe_for(link) for name, link in self.links.items()}
