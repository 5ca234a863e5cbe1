"""What the dashboard sees that no leg event carries: node links and running costs, once a second."""

from __future__ import annotations

import asyncio

from callcontrol.clock import now_ms
from callcontrol.logsetup import get_logger
from callcontrol.service.billing import Billing
from callcontrol.service.callcontrol import CallControl
from callcontrol.service.live_hub import LiveHub
from callcontrol.service.observers import publish_session
from callcontrol.tasks import OwnedTask

log = get_logger(__name__)
_PERIOD_S = 1.0


class LivePublisher:
    def __init__(self, hub: LiveHub, cc: CallControl, billing: Billing) -> None:
        self.hub = hub
        self.cc = cc
        self.billing = billing
        self._task = OwnedTask("live-publisher", self._run)
        self.start = self._task.start
        self.stop = self._task.stop
        self.lockouts = 0
        self._shown_locks: dict[str, bool] = {}  # session -> locked, as last published here
        cc.hooks.lockout.append(self._lockout)

    def _lockout(self, _: str) -> None:
        self.lockouts += 1
        self.hub.publish("metric", "lockouts", {"value": self.lockouts})

    async def _run(self) -> None:
        while True:
            try:
                await self.publish_once()
            except Exception:  # the dashboard may miss a tick; calls must not notice
                log.exception("live publish failed")
            await asyncio.sleep(_PERIOD_S)

    async def publish_once(self) -> None:
        per_node: dict[str, int] = {}
        for live in self.cc.registry.legs.values():
            per_node[live.leg.node] = per_node.get(live.leg.node, 0) + 1
        for name, link in self.cc.nodes.links.items():
            self.hub.publish(
                "node",
                name,
                {
                    "name": name,
                    "connected": link.connected,
                    "detail": link.detail,
                    "latency_ms": round(link.last_ping_ms, 1) if link.last_ping_ms else None,
                    "live_channels": per_node.get(name, 0),
                    "at_ms": now_ms(),
                },
            )
        costs = self.cc.registry.session_costs
        locked = self.cc.registry.locked_sessions
        sessions = {lv.leg.session_id for lv in self.cc.registry.legs.values() if lv.leg.session_id}
        for session_id in sessions:
            cost = str(await self.billing.live_cost(session_id))
            is_locked = session_id in locked
            # A lock changes no leg (ConfBridge sends no event): it shows within a round.
            if costs.get(session_id) != cost or self._shown_locks.get(session_id) != is_locked:
                costs[session_id] = cost
                self._shown_locks[session_id] = is_locked
                publish_session(self.hub, self.cc, session_id)
        for session_id in set(self._shown_locks) - sessions:
            del self._shown_locks[session_id]  # no live leg left: nothing to show
