"""Rebuilding the live picture of a node after a (re)connect, and closing legs a restart killed.

After every login Asterisk sends FullyBooted; we then ask CoreShowChannels, ConfbridgeListRooms
and ConfbridgeList. A leg whose channel is gone ended while we were away: it is closed at the
last moment we heard from the node and flagged `estimated`. A node whose Uptime says it booted
after a leg began lost that leg in the restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from callcontrol.clock import now_ms
from callcontrol.domain import callflow
from callcontrol.domain import legs as L
from callcontrol.domain import pbx_events as ev
from callcontrol.domain import routing as R
from callcontrol.domain.sessions import SessionState
from callcontrol.logsetup import bound, get_logger
from callcontrol.pbx import commands
from callcontrol.pbx.ami_client import AmiError
from callcontrol.pbx.snapshot import list_rooms, take_snapshot
from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.service.nodes import LinkStateChanged, NodeSet
from callcontrol.service.tracker import LegTracker

log = get_logger(__name__)
CHANNEL_UP = 6  # Asterisk's channel state "Up": answered


class Resync:
    def __init__(
        self,
        registry: LiveRegistry,
        nodes: NodeSet,
        tracker: LegTracker,
        schedule: Callable[[LiveLeg], None],
    ) -> None:
        self.registry = registry
        self.nodes = nodes
        self.tracker = tracker
        self.schedule = schedule
        self.last_heard_ms: dict[str, int] = {}
        self.unfinished_drops: list[LiveLeg] = []
        self.unmoved: list[LiveLeg] = []

    def heard(self, node: str, at_ms: int) -> None:
        if at_ms > self.last_heard_ms.get(node, 0):
            self.last_heard_ms[node] = at_ms

    def link_changed(self, change: LinkStateChanged) -> None:
        log.info("ami link", node=change.node, connected=change.connected, detail=change.detail)
        if change.connected:
            return
        # Down: the node's last sign of life (an event, a Ping answer) is the best end time
        # for legs that die meanwhile.
        if change.alive_at_ms is not None:
            self.heard(change.node, change.alive_at_ms)
        else:
            self.last_heard_ms.setdefault(change.node, now_ms())

    def node_booted(self, booted: ev.NodeBooted) -> None:
        boot_ms = callflow.booted_at_ms(booted.at_ms, booted.uptime_s)
        # Its legs died with the old process: after we last heard from it, by the boot.
        end_ms = min(boot_ms, self.last_heard_ms.get(booted.node, boot_ms))
        dead = [
            lv
            for lv in self.registry.of_node(booted.node)
            if callflow.died_in_restart(lv.leg, boot_ms)
        ]
        if dead:
            log.warning("node restarted; closing its legs", node=booted.node, legs=len(dead))
        for live in dead:
            self._close(live, end_ms, L.EndReason.NODE_RESTART, estimated=True)

    def close_node(self, node: str, at_ms: int, estimated: bool) -> None:
        """Asterisk is shutting down: every open leg of the node ends now."""
        for live in list(self.registry.of_node(node)):
            self._close(live, at_ms, L.EndReason.NODE_RESTART, estimated)

    def _close(self, live: LiveLeg, at_ms: int, reason: L.EndReason, estimated: bool) -> None:
        with bound(leg_id=live.leg.leg_id, session_id=live.leg.session_id):
            self.tracker.end(live, at_ms, live.requested_end or reason, None, estimated)

    async def run(self, node: str) -> None:
        """Compare what the node has with what we believe, and settle the differences."""
        started, asked_at = now_ms(), time.monotonic()
        try:
            snapshot = await take_snapshot(self.nodes.links[node], node)
        except AmiError as exc:
            log.warning("resync failed; will retry on the next connect", node=node, error=str(exc))
            return
        alive = snapshot.channels
        self._note_locks(node, snapshot.locked_rooms, asked_at)
        gone_at = self.last_heard_ms.pop(node, started)
        # Channels seen before the outage whose Hangup we never read are forgotten.
        seen = self.registry.channels
        for key in [k for k in seen if k[0] == node and k[1] not in alive]:
            if seen[key].created_at_ms < started:
                del seen[key]
        closed = adjusted = 0
        for live in list(self.registry.of_node(node)):
            leg = live.leg
            if leg.created_at_ms >= started or leg.state is L.LegState.ENDED:
                continue
            channel = alive.get(leg.uniqueid or "")
            if channel is None:
                reason = callflow.end_reason_for_hangup(leg, live.requested_end, 0)
                self._close(live, max(gone_at, leg.created_at_ms), reason, estimated=True)
                closed += 1
            elif self._catch_up(live, channel, snapshot.members.get(leg.uniqueid or ""), started):
                adjusted += 1
        log.info("resync done", node=node, channels=len(alive), closed=closed, adjusted=adjusted)

    async def refresh_locks(self, node: str) -> None:
        """List the node's conferences again, for locks made from the keypad meanwhile."""
        asked_at = time.monotonic()
        try:
            rooms = await list_rooms(self.nodes.links[node], node)
        except AmiError as exc:
            log.info("conference locks not refreshed", node=node, error=str(exc))
            return
        self._note_locks(node, frozenset(r.conference for r in rooms if r.locked), asked_at)

    def _note_locks(self, node: str, locked_rooms: frozenset[str], asked_at: float) -> None:
        """ConfBridge sends no event for a lock: one made from the keypad (*5), or before
        callcontrol restarted, is learnt here, for the node's own sessions, unless call
        control changed that session's lock after the list was asked for."""
        changed = self.registry.lock_changed_at
        on_node = {
            sid
            for sid, n in self.registry.session_nodes.items()
            if n == node and changed.get(sid, float("-inf")) < asked_at
        }
        locked = {sid for room in locked_rooms if (sid := R.session_of_conference(room))}
        self.registry.locked_sessions.difference_update(on_node - locked)
        self.registry.locked_sessions.update(on_node & locked)

    def _catch_up(
        self,
        live: LiveLeg,
        channel: ev.ChannelListed,
        member: ev.ConferenceMemberListed | None,
        at_ms: int,
    ) -> bool:
        """Move a surviving leg to where its channel is now; True when something changed."""
        leg = live.leg
        if leg.state is L.LegState.CREATED and channel.state == CHANNEL_UP:
            leg = L.answer(leg, at_ms)
        if member is not None and leg.state in (L.LegState.ANSWERED, L.LegState.WAITING):
            leg = L.enter_conference(leg, at_ms)
        if member is not None:
            leg = L.set_muted(leg, member.muted)
        if leg.session_id is not None and member is not None:
            self.registry.session_nodes.setdefault(leg.session_id, leg.node)
        changed = leg != live.leg
        if changed:
            self.registry.update(live, leg)
        # The tracker sets its deadline, or moves it in at once if its session has started.
        handed_to_tracker = (
            channel.context == commands.WAITING_CONTEXT and live.leg.state is L.LegState.ANSWERED
        )
        if handed_to_tracker:
            self.tracker.wait(live.leg.node, live.leg.uniqueid or "", at_ms)
            changed = True
        session = self.registry.sessions.get(live.leg.session_id or "")
        started = session is not None and session.state is SessionState.STARTED
        if started and live.leg.state is L.LegState.WAITING and not handed_to_tracker:
            self.unmoved.append(live)  # the start's Redirect was lost with the link
        if live.requested_end is L.EndReason.IDLE_DROP:
            # Its drop was recorded before a restart but the caller is still there.
            self.unfinished_drops.append(live)
        else:
            self.schedule(live)
        return changed
