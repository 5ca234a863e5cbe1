"""Fault injection: what a real node does to callcontrol on a bad day.

- drop the AMI connections (callcontrol must reconnect and resynchronise);
- delay every event by N ms (responses stay prompt, events lag);
- stop answering Ping (a hung manager thread);
- restart: a Shutdown event, every channel vanishes without a Hangup event, the
  port is closed for a moment, and the next login sees FullyBooted with a small Uptime;
- write a malformed frame to every client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from callcontrol.sim.channels import ChannelIds
from callcontrol.sim.events import SYSTEM

if TYPE_CHECKING:
    from callcontrol.sim.node import SimNode

log = logging.getLogger(__name__)

# A header line without a colon, a lone "Response" and bytes that are not UTF-8.
MALFORMED_FRAME = b"Event: Newchannel\r\nthis line has no colon\r\nChannel: \xff\xfe\r\n\r\n"


def drop_connections(node: SimNode) -> int:
    server = node.server
    if server is None:
        return 0
    count = len(server.sessions)
    server.drop_connections()
    log.info("fault: dropped %d AMI connection(s) on %s", count, node.config.name)
    return count


def delay_events(node: SimNode, ms: float) -> None:
    if node.server is not None:
        node.server.event_delay_s = max(0.0, ms) / 1000
    log.info("fault: events on %s delayed by %s ms", node.config.name, ms)


def silent_ping(node: SimNode, silent: bool = True) -> None:
    if node.server is not None:
        node.server.ping_silent = silent
    log.info("fault: Ping on %s %s", node.config.name, "unanswered" if silent else "answered")


def malformed_frame(node: SimNode, data: bytes | None = None) -> None:
    if node.server is not None:
        node.server.broadcast_raw(data if data is not None else MALFORMED_FRAME)
    log.info("fault: malformed frame written on %s", node.config.name)


async def restart(node: SimNode, downtime_s: float = 0.2, crash: bool = False) -> None:
    """A clean restart (Shutdown event first) or, with `crash`, a killed process: every
    channel and the AMI link vanish without a word, then a new process boots."""
    server, rt = node.server, node.runtime
    if server is None or rt is None:
        raise RuntimeError("node not started")
    how = "crashing" if crash else "restarting"
    log.info("fault: %s %s (down %.2f s)", how, node.config.name, downtime_s)
    if not crash:
        node.bus.emit("Shutdown", SYSTEM, [("Shutdown", "Cleanly"), ("Restart", "True")])
    rt.restart()
    rt.ids = ChannelIds()  # a new process numbers its channels from 1 again
    port = server.port
    await server.stop()
    await asyncio.sleep(downtime_s)
    server.port = port
    server.boot_time = server.reload_time = node.clock.now()
    server.event_delay_s = 0.0
    server.ping_silent = False
    server.attach()
    await server.start()
