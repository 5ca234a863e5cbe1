"""Call control: the PBX links, the IVR, the leg tracker, the idle timer and the controls,
wired together and started and stopped as one. Implements service.ports.CallControlPort.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from callcontrol.domain import legs as L
from callcontrol.domain import pbx_events as ev
from callcontrol.domain.sessions import Session, SessionEvent
from callcontrol.logsetup import bound, get_logger
from callcontrol.pbx.agi_server import AgiServer
from callcontrol.service.controls import Controls
from callcontrol.service.idle import IdleDropTimer
from callcontrol.service.ivr import Ivr, IvrPorts
from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.service.nodes import LinkStateChanged, NodeSet
from callcontrol.service.ports import CallMeRequest, LiveCounts
from callcontrol.service.resync import Resync
from callcontrol.service.tracker import LegTracker, latest_stamp
from callcontrol.settings import Settings
from callcontrol.store.database import Database
from callcontrol.store.legs import LegRepository, LegWriter
from callcontrol.tasks import OwnedTask

log = get_logger(__name__)

LegHook = Callable[[LiveLeg], None]


@dataclass
class Hooks:
    """What happens outside call control when legs change (webhooks, billing, dashboard)."""

    leg_changed: list[LegHook] = field(default_factory=list)
    leg_joined: list[LegHook] = field(default_factory=list)
    leg_ended: list[LegHook] = field(default_factory=list)
    hand_changed: list[LegHook] = field(default_factory=list)
    lockout: list[Callable[[str], None]] = field(default_factory=list)
    session_changed: list[Callable[[Session], None]] = field(default_factory=list)
    ivr_decision: list[Callable[[float], None]] = field(default_factory=list)


class CallControl:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        ivr_ports: IvrPorts,
        caller_id_for: Callable[[str], Awaitable[str | None]],
        load_session: Callable[[str], Awaitable[Session | None]],
        hooks: Hooks | None = None,
    ) -> None:
        self.settings = settings
        self.hooks = hooks or Hooks()
        self.load_session = load_session
        self.legs = LegRepository(database)
        self.writer = LegWriter(self.legs, settings.database.flush_interval)
        self.registry = LiveRegistry(self.writer)
        self.registry.listeners = self.hooks.leg_changed  # hooks added later are heard too
        self.timer = IdleDropTimer(self._idle_fire)
        self.tracker = LegTracker(
            self.registry,
            settings.calls.prestart_idle_timeout,
            self._schedule,
            self._on_ended,
            self._on_joined,
            self._late_waiter,
        )
        self.tracker.on_hand = self._on_hand
        self.nodes = NodeSet(settings.nodes, self.on_event)
        self.ivr = Ivr(self.registry, ivr_ports, settings.calls, settings.lockout)
        self.ivr.guard.on_lockout = self._on_lockout
        self.ivr.on_decision = self._on_decision
        self.controls = Controls(
            self.registry,
            self.nodes,
            settings.calls,
            caller_id_for,
            ivr_ports.place_session,
            self.timer.cancel,
            self._end_leg,
            self._schedule,
        )
        self.resync = Resync(self.registry, self.nodes, self.tracker, self._schedule)
        scripts = {"dialin": self.ivr.dialin, "callme": self.ivr.callme}
        self.agi = AgiServer(scripts, settings.agi.command_timeout)
        self.agi_port: int | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._lock_poll = OwnedTask("conference-locks", self._poll_locks)
        self.ivr.end_leg = self._end_leg

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._reload()
        self.writer.start()
        self.timer.start()
        self.nodes.start()
        self._lock_poll.start()
        self.agi_port = await self.agi.start(self.settings.agi.host, self.settings.agi.port)

    async def stop(self) -> None:
        """Stop every part, in order; a part that fails to stop does not keep the others up."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        async with contextlib.AsyncExitStack() as parts:  # unwinds last-pushed first
            parts.push_async_callback(self.writer.stop)
            parts.callback(self.tracker.stop)  # after the links, so no Hangup is parked again
            parts.push_async_callback(self.timer.stop)
            parts.push_async_callback(self.nodes.stop)
            parts.push_async_callback(self._lock_poll.stop)
            await self.agi.stop()

    async def _poll_locks(self) -> None:
        """Nodes with live conferences are asked for their locks (a keypad *5 has no event)."""
        while True:
            await asyncio.sleep(self.settings.calls.lock_poll_s)
            for node in sorted(set(self.registry.session_nodes.values())):
                if not self.nodes.connected(node):
                    continue
                try:
                    await self.resync.refresh_locks(node)
                except Exception:  # the poll must outlive one bad answer (logged)
                    log.exception("conference lock poll failed", node=node)

    async def _reload(self) -> None:
        """After a restart: the open legs, their sessions and their pending idle drops."""
        rows = await self.legs.open_legs()
        for row in rows:
            live = LiveLeg(row.leg, row.details)
            if row.details.end_detail == "idle_drop_requested":
                live.requested_end = L.EndReason.IDLE_DROP
            self.registry.adopt(live)
            sid = row.leg.session_id
            if sid is not None and sid not in self.registry.sessions:
                session = await self.load_session(sid)
                if session is not None:
                    self.registry.sessions[sid] = session
                    self.registry.session_nodes.setdefault(sid, row.leg.node)
            self._schedule(live)
            # Until the node is heard again, a leg's last event is the best end time known.
            self.resync.heard(row.leg.node, latest_stamp(row.leg))
        log.info("live legs reloaded", legs=len(rows), idle_deadlines=self.timer.pending())

    def _schedule(self, live: LiveLeg) -> None:
        deadline = live.details.idle_deadline_ms
        if deadline is not None and live.requested_end is None:
            self.timer.schedule(live.leg.leg_id, deadline)

    async def _idle_fire(self, leg_id: str, deadline_ms: int) -> None:
        live = self.registry.legs.get(leg_id)
        with bound(leg_id=leg_id, session_id=live.leg.session_id if live else None):
            await self.controls.idle_drop(leg_id, deadline_ms)

    def _late_waiter(self, live: LiveLeg) -> None:
        task = asyncio.create_task(self.controls.move_to_conference([live]), name="late-waiter")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _end_leg(self, live: LiveLeg, at_ms: int, reason: L.EndReason) -> None:
        with bound(leg_id=live.leg.leg_id, session_id=live.leg.session_id):
            self.tracker.end(live, at_ms, reason, None)

    def _on_lockout(self, kind: str) -> None:
        for hook in self.hooks.lockout:
            hook(kind)

    def _on_decision(self, seconds: float) -> None:
        for hook in self.hooks.ivr_decision:
            hook(seconds)

    def _on_joined(self, live: LiveLeg) -> None:
        for hook in self.hooks.leg_joined:
            hook(live)

    def _on_hand(self, live: LiveLeg) -> None:
        for hook in self.hooks.hand_changed:
            hook(live)

    def _on_ended(self, live: LiveLeg) -> None:
        self.timer.cancel(live.leg.leg_id)
        for hook in self.hooks.leg_ended:
            hook(live)

    # -- events ----------------------------------------------------------------------------------
    async def on_event(self, event: object) -> None:
        if isinstance(event, LinkStateChanged):
            self.resync.link_changed(event)
        elif isinstance(event, ev.NodeBooted):
            self.resync.node_booted(event)
            await self.resync.run(event.node)
            drops, self.resync.unfinished_drops = self.resync.unfinished_drops, []
            for live in drops:
                await self.controls.finish_idle_drop(live)
            unmoved, self.resync.unmoved = self.resync.unmoved, []
            if unmoved:
                log.info("moving callers the start missed", legs=len(unmoved))
                await self.controls.move_to_conference(unmoved)
        elif isinstance(event, ev.NodeShutdown):
            self.resync.close_node(event.node, event.at_ms, estimated=False)
        else:
            self.resync.heard(getattr(event, "node", ""), getattr(event, "at_ms", 0))
            self.tracker.handle(event)

    # -- the port --------------------------------------------------------------------------------
    async def request_callme(self, request: CallMeRequest) -> L.Leg:
        return await self.controls.request_callme(request)

    async def drop_leg(self, leg_id: str) -> None:
        await self.controls.drop_leg(leg_id)

    async def set_leg_muted(self, leg_id: str, muted: bool) -> None:
        await self.controls.set_leg_muted(leg_id, muted)

    async def lower_hand(self, leg_id: str) -> None:
        await self.controls.lower_hand(leg_id)

    async def set_all_muted(self, session_id: str, muted: bool) -> None:
        await self.controls.set_all_muted(session_id, muted)

    async def set_locked(self, session_id: str, locked: bool) -> None:
        await self.controls.set_locked(session_id, locked)

    async def switch_to_computer_audio(self, leg_id: str) -> None:
        await self.controls.switch_to_computer_audio(leg_id)

    async def session_changed(self, session: Session, event: SessionEvent) -> None:
        for hook in self.hooks.session_changed:
            hook(session)
        await self.controls.session_changed(session, event)

    def live_counts(self, session_id: str) -> LiveCounts:
        return self.controls.live_counts(session_id)
