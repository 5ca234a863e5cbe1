"""Commands to the PBX: Call Me, conference controls, moves between waiting and conference.

Each command names the node the leg lives on and is sent once (non-idempotent actions are
never re-sent: see pbx/ami_client). A refused command becomes a CallControlError with a
stable code for the API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from callcontrol.clock import now_ms
from callcontrol.domain import legs as L
from callcontrol.domain import routing as R
from callcontrol.domain.errors import DomainError
from callcontrol.domain.rules import is_idle_drop_due
from callcontrol.domain.sessions import Session, SessionEvent, SessionState
from callcontrol.logsetup import bound, get_logger
from callcontrol.pbx import commands
from callcontrol.pbx.ami_client import AmiDisconnected, AmiError, AmiTimeout
from callcontrol.service.ivr import new_leg_id
from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.service.nodes import NodeSet
from callcontrol.service.ports import CallControlError, CallMeRequest, LiveCounts
from callcontrol.settings import CallSettings
from callcontrol.store.database import DATABASE_ERRORS

log = get_logger(__name__)

_REDIRECT_CONCURRENCY = 200
OUTCOME_UNKNOWN = "outcome_unknown"
_DROP_RETRY_MS = 5_000
_LIVE_STATES = (L.LegState.ANSWERED, L.LegState.WAITING, L.LegState.IN_CONFERENCE)


class Controls:
    def __init__(
        self,
        registry: LiveRegistry,
        nodes: NodeSet,
        calls: CallSettings,
        caller_id_for: Callable[[str], Awaitable[str | None]],
        place_session: Callable[[Session, str], Awaitable[None]],
        cancel_deadline: Callable[[str], None],
        end_leg: Callable[[LiveLeg, int, L.EndReason], None],
        reschedule: Callable[[LiveLeg], None],
    ) -> None:
        self.registry = registry
        self.nodes = nodes
        self.calls = calls
        self.caller_id_for = caller_id_for
        self.place_session = place_session
        self.cancel_deadline = cancel_deadline
        self.end_leg = end_leg
        self.reschedule = reschedule

    async def _send(self, node: str, fields: dict[str, Any]) -> Any:
        """Send one action. Codes: node_unavailable (nothing was sent), outcome_unknown (sent,
        but the link dropped or no answer came in time), pbx_refused (Asterisk said no)."""
        link = self.nodes.links.get(node)
        if link is None or not link.connected:
            raise CallControlError("node_unavailable", f"PBX node {node!r} is not connected")
        try:
            return await link.send(fields, as_list=False)
        except (AmiDisconnected, AmiTimeout) as exc:
            raise CallControlError(OUTCOME_UNKNOWN, str(exc)) from exc
        except AmiError as exc:
            raise CallControlError("pbx_refused", str(exc)) from exc

    # -- Call Me -----------------------------------------------------------------------------
    def pick_node(self, session: Session) -> str:
        """The session's node when it has one; else the least-loaded connected node."""
        node = self.registry.session_nodes.get(session.session_id)
        if node is not None:
            if not self.nodes.connected(node):
                raise CallControlError("node_unavailable", f"the session's node {node} is down")
            return node
        loads = {n: 0 for n in self.nodes.links if self.nodes.connected(n)}
        if not loads:
            raise CallControlError("node_unavailable", "no PBX node is connected")
        for live in self.registry.legs.values():
            if live.leg.node in loads:
                loads[live.leg.node] += 1
        return min(sorted(loads), key=loads.__getitem__)

    async def request_callme(self, request: CallMeRequest) -> L.Leg:
        session = request.session
        node = self.pick_node(session)
        leg_id = new_leg_id()
        leg = L.Leg(
            leg_id=leg_id,
            kind=L.LegKind.CALLME,
            node=node,
            created_at_ms=now_ms(),
            session_id=session.session_id,
            role=request.role,
            country=request.country,
            caller_e164=request.phone_e164,
            uniqueid=leg_id,  # Originate ChannelId: the channel's Uniqueid is the leg id
        )
        live = LiveLeg(leg)
        self.registry.remember_session(session)
        self.registry.update(
            live, participant_id=request.participant_id, display_name=request.display_name
        )
        # Persisted before the Originate: a crash after it must find the leg, never re-dial.
        await self.registry.writer.flush()
        await self.place_session(session, node)
        settings = self.nodes.settings[node]
        caller_id = await self.caller_id_for(request.country) or ""
        try:
            fields = commands.originate_callme(
                settings.dial_template,
                request.phone_e164,
                leg_id,
                caller_id,
                self.calls.callme_ring_timeout_ms,
            )
        except DomainError as exc:  # not an E.164 number: never dialled
            await self._end_now(live, L.EndReason.REJECTED, exc.message)
            raise CallControlError("invalid_number", exc.message) from exc
        with bound(leg_id=leg_id, session_id=session.session_id, node=node):
            try:
                await self._send(node, fields)
            except CallControlError as exc:
                if exc.code != OUTCOME_UNKNOWN:  # surely not placed: the leg fails now
                    await self._end_now(live, L.EndReason.FAILED, f"originate: {exc.message}")
                    raise
                # Maybe placed: never re-sent; the resync (or the call's own events) settle it.
                self.registry.update(live, end_detail="originate_unconfirmed")
                log.warning("originate outcome unknown", error=exc.message)
                return live.leg
            log.info("call me originated", to=L.masked_number(request.phone_e164))
        return live.leg

    async def _end_now(self, live: LiveLeg, reason: L.EndReason, detail: str) -> None:
        if live.leg.state is L.LegState.ENDED:  # its Hangup came first
            return
        self.registry.update(live, end_detail=detail)
        self.end_leg(live, now_ms(), reason)
        await self.registry.writer.flush()

    # -- one leg -------------------------------------------------------------------------------
    def _live(self, leg_id: str) -> LiveLeg:
        live = self.registry.legs.get(leg_id)
        if live is None or live.leg.state is L.LegState.ENDED or live.channel_gone:
            raise CallControlError("leg_not_live", f"leg {leg_id} is not live")
        return live

    async def hang_up(self, live: LiveLeg, reason: L.EndReason) -> None:
        channel = live.details.channel
        if channel is None:
            raise CallControlError("leg_not_live", "the leg has no channel yet")
        before, live.requested_end = live.requested_end, reason
        try:
            await self._send(live.leg.node, commands.hangup(channel))
        except CallControlError as exc:
            if exc.code != OUTCOME_UNKNOWN:  # not hung up: its end will have another reason
                live.requested_end = before
            raise

    async def drop_leg(self, leg_id: str) -> None:
        await self.hang_up(self._live(leg_id), L.EndReason.OPERATOR_DROP)

    async def switch_to_computer_audio(self, leg_id: str) -> None:
        await self.hang_up(self._live(leg_id), L.EndReason.SWITCHED_AUDIO_MODE)

    async def set_leg_muted(self, leg_id: str, muted: bool) -> None:
        live = self._live(leg_id)
        if live.leg.state is not L.LegState.IN_CONFERENCE or live.leg.session_id is None:
            raise CallControlError("leg_not_in_conference", f"leg {leg_id} is not in conference")
        conference = R.conference_name(live.leg.session_id)
        channel = live.details.channel or ""
        await self._send(live.leg.node, commands.mute(conference, channel, muted))

    async def lower_hand(self, leg_id: str) -> None:
        live = self._live(leg_id)
        if not live.details.hand_raised:
            raise CallControlError("hand_not_raised", f"leg {leg_id} has no raised hand")
        if live.details.channel is None:  # Setvar without a channel would set a global
            raise CallControlError("leg_not_live", "the leg has no channel yet")
        await self._send(live.leg.node, commands.lower_hand(live.details.channel))

    # -- a whole conference ----------------------------------------------------------------------
    def _session_node(self, session_id: str) -> str:
        node = self.registry.session_nodes.get(session_id)
        if node is None:
            raise CallControlError("no_conference", f"session {session_id} has no live conference")
        return node

    async def set_all_muted(self, session_id: str, muted: bool) -> None:
        # "participants": every member but the admins (the organizer).
        action = commands.mute(R.conference_name(session_id), "participants", muted)
        await self._send(self._session_node(session_id), action)

    async def set_locked(self, session_id: str, locked: bool) -> None:
        action = commands.lock(R.conference_name(session_id), locked)
        await self._send(self._session_node(session_id), action)
        self.registry.lock_changed_at[session_id] = time.monotonic()
        if locked:
            self.registry.locked_sessions.add(session_id)
        else:
            self.registry.locked_sessions.discard(session_id)

    async def session_changed(self, session: Session, event: SessionEvent) -> None:
        self.registry.sessions[session.session_id] = session
        members = list(self.registry.of_session(session.session_id))
        if event is SessionEvent.START:
            waiting = [lv for lv in members if lv.leg.state is L.LegState.WAITING]
            await self.move_to_conference(waiting)
            log.info("session started", session_id=session.session_id, moved=len(waiting))
        elif session.state in (SessionState.ENDED, SessionState.CANCELLED):
            await self._gather(self._end_for_session, members)
            self.registry.forget_if_over(session.session_id)

    async def move_to_conference(self, waiting: list[LiveLeg]) -> None:
        """The session started: every waiting caller goes into the conference."""
        for live in waiting:
            self.cancel_deadline(live.leg.leg_id)
            if live.requested_end is L.EndReason.IDLE_DROP:
                live.requested_end = None  # a drop that lost the race with the start
            self.registry.update(live, idle_deadline_ms=None, end_detail=None)
        await self._gather(self._move_to_conference, waiting)

    async def _move_to_conference(self, live: LiveLeg) -> None:
        channel = live.details.channel or ""
        await self._send(live.leg.node, commands.redirect(channel, commands.CONFERENCE_CONTEXT))

    async def _end_for_session(self, live: LiveLeg) -> None:
        if live.details.channel is not None:
            await self.hang_up(live, L.EndReason.SESSION_ENDED)

    async def _gather(
        self, action: Callable[[LiveLeg], Awaitable[None]], legs: list[LiveLeg]
    ) -> None:
        """Run one command per leg with bounded concurrency; a failure is logged per leg."""
        limit = asyncio.Semaphore(_REDIRECT_CONCURRENCY)

        async def one(live: LiveLeg) -> None:
            async with limit:
                try:
                    await action(live)
                except CallControlError as exc:
                    log.warning("command failed", leg_id=live.leg.leg_id, error=exc.message)

        await asyncio.gather(*(one(lv) for lv in legs))

    # -- the five-minute rule --------------------------------------------------------------------
    def _drop_due(self, live: LiveLeg | None, timeout_s: int) -> bool:
        if live is None or live.leg.session_id is None:
            return False
        session = self.registry.sessions.get(live.leg.session_id)
        return session is not None and is_idle_drop_due(live.leg, session, now_ms(), timeout_s)

    async def idle_drop(self, leg_id: str, deadline_ms: int) -> None:
        live = self.registry.legs.get(leg_id)
        timeout_s = self.calls.prestart_idle_timeout
        if live is None or not self._drop_due(live, timeout_s):
            return
        live.requested_end = L.EndReason.IDLE_DROP
        self.registry.update(live, idle_deadline_ms=None, end_detail="idle_drop_requested")
        try:
            await self.registry.writer.flush()  # recorded before the PBX is told: fires once
        except DATABASE_ERRORS as exc:
            live.requested_end = None
            self.registry.update(live, idle_deadline_ms=now_ms() + _DROP_RETRY_MS, end_detail=None)
            self.reschedule(live)
            log.error("idle drop not recorded; retrying", leg_id=leg_id, error=str(exc))
            return
        if not self._drop_due(live, timeout_s):  # the session started during the write
            live.requested_end = None
            self.registry.update(live, end_detail=None)
            return
        log.info("idle drop", leg_id=leg_id, late_ms=now_ms() - deadline_ms)
        fields = commands.redirect(live.details.channel or "", commands.IDLE_DROP_CONTEXT)
        try:
            await self._send(live.leg.node, fields)
        except CallControlError as exc:
            log.warning("idle drop redirect failed; hanging up", error=exc.message)
            await self.hang_up(live, L.EndReason.IDLE_DROP)

    async def finish_idle_drop(self, live: LiveLeg) -> None:
        """A drop recorded before a restart whose caller still waits: hang up, once more."""
        if live.leg.state is not L.LegState.WAITING:
            live.requested_end = None  # moved into the conference meanwhile: no drop
            self.registry.update(live, end_detail=None)
            return
        try:
            await self.hang_up(live, L.EndReason.IDLE_DROP)
        except CallControlError as exc:
            log.warning("idle drop hang-up failed", leg_id=live.leg.leg_id, error=exc.message)

    def live_counts(self, session_id: str) -> LiveCounts:
        return self.registry.counts(session_id)
