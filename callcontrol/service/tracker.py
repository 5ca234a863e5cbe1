"""Times every leg from the PBX's own events: the one consumer of typed events, in order.

Each handler looks the leg up by (node, Uniqueid), moves it through the domain's leg state
machine with the event's own time, and hands the result to the registry (which persists it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace

from callcontrol.domain import callflow
from callcontrol.domain import legs as L
from callcontrol.domain import pbx_events as ev
from callcontrol.domain.errors import DomainError
from callcontrol.domain.rules import idle_drop_deadline_ms
from callcontrol.domain.sessions import SessionState
from callcontrol.logsetup import bound, get_logger
from callcontrol.service.live import ChannelSeen, LiveLeg, LiveRegistry

log = get_logger(__name__)

LegEnded = Callable[[LiveLeg], None]

# How long an unexplained Call Me Hangup waits for its OriginateResponse (sent by another
# Asterisk thread, milliseconds apart) before the leg ends as failed.
ORIGINATE_RESULT_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class _ParkedHangup:
    at_ms: int
    cause: int
    fallback: asyncio.TimerHandle


class LegTracker:
    def __init__(
        self,
        registry: LiveRegistry,
        idle_timeout_s: int,
        on_deadline: Callable[[LiveLeg], None],
        on_ended: LegEnded,
        on_joined: LegEnded,
        on_late_waiter: LegEnded,
    ) -> None:
        self.registry = registry
        self.idle_timeout_s = idle_timeout_s
        self.on_deadline = on_deadline
        self.on_ended = on_ended
        self.on_joined = on_joined
        self.on_late_waiter = on_late_waiter
        self._handlers: dict[type, Callable[[object], None]] = {
            ev.ChannelCreated: self._created,  # type: ignore[dict-item]
            ev.ChannelAnswered: self._answered,  # type: ignore[dict-item]
            ev.ChannelHungUp: self._hung_up,  # type: ignore[dict-item]
            ev.MusicOnHoldStarted: self._moh_started,  # type: ignore[dict-item]
            ev.ConferenceJoined: self._joined,  # type: ignore[dict-item]
            ev.ConferenceLeft: self._left,  # type: ignore[dict-item]
            ev.ConferenceMuted: self._muted,  # type: ignore[dict-item]
            ev.ConferenceUnmuted: self._unmuted,  # type: ignore[dict-item]
            ev.ConferenceTalking: self._talking,  # type: ignore[dict-item]
            ev.OriginateResult: self._originate_result,  # type: ignore[dict-item]
            ev.VariableSet: self._variable_set,  # type: ignore[dict-item]
        }
        self._parked: dict[str, _ParkedHangup] = {}
        self._stopped = False
        self.on_hand: LegEnded = lambda live: None  # a hand went up or down

    def stop(self) -> None:
        """End the legs still waiting for an OriginateResponse: none will be read now (the
        links are stopped first; a Hangup still read ends its leg at once)."""
        self._stopped = True
        for leg_id in list(self._parked):
            self._settle(leg_id, None)

    def handle(self, event: object) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        uniqueid = getattr(event, "uniqueid", None)
        with bound(node=getattr(event, "node", None), uniqueid=uniqueid):
            try:
                handler(event)
            except DomainError as exc:
                # An event that does not fit the leg's state (e.g. a duplicate) is logged, not fatal.
                log.warning("event ignored", pbx_event=type(event).__name__, error=exc.message)

    # -- channels ----------------------------------------------------------------------------
    def _created(self, e: ev.ChannelCreated) -> None:
        self.registry.channels[(e.node, e.uniqueid)] = ChannelSeen(e.channel, e.at_ms, e.caller_num)
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is not None:
            # The IVR may have opened the leg before this event was read: the PBX's time wins.
            self.registry.update(live, _backdated(live.leg, e.at_ms), channel=e.channel)

    def _answered(self, e: ev.ChannelAnswered) -> None:
        seen = self.registry.channels.get((e.node, e.uniqueid))
        if seen is not None and seen.answered_at_ms is None:
            seen.answered_at_ms = e.at_ms
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is not None and live.leg.state is L.LegState.CREATED:
            leg = _backdated(live.leg, seen.created_at_ms if seen else e.at_ms)
            self.registry.update(live, L.answer(leg, e.at_ms))

    def _hung_up(self, e: ev.ChannelHungUp) -> None:
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is None:
            self.registry.channels.pop((e.node, e.uniqueid), None)
            return
        if not self._stopped and callflow.awaits_originate_result(
            live.leg, live.requested_end, e.cause
        ):
            self._park(live, e)
            return
        reason = callflow.end_reason_for_hangup(live.leg, live.requested_end, e.cause)
        with bound(leg_id=live.leg.leg_id, session_id=live.leg.session_id):
            self.end(live, e.at_ms, reason, e.cause)

    def _park(self, live: LiveLeg, e: ev.ChannelHungUp) -> None:
        """Hold the leg's end (at the Hangup's time) until its OriginateResponse says why."""
        self.registry.channels.pop((e.node, e.uniqueid), None)
        live.channel_gone = True
        leg_id = live.leg.leg_id
        fallback = asyncio.get_running_loop().call_later(
            ORIGINATE_RESULT_WAIT_S, self._settle, leg_id, None
        )
        self._parked[leg_id] = _ParkedHangup(e.at_ms, e.cause, fallback)

    def _settle(self, leg_id: str, reason: L.EndReason | None) -> None:
        parked = self._parked.pop(leg_id)
        parked.fallback.cancel()
        live = self.registry.legs.get(leg_id)
        if live is None or live.leg.state is L.LegState.ENDED:  # e.g. closed by a resync
            return
        if reason is None:
            reason = callflow.end_reason_for_hangup(live.leg, live.requested_end, parked.cause)
        with bound(leg_id=leg_id, session_id=live.leg.session_id):
            self.end(live, parked.at_ms, reason, parked.cause)

    def end(
        self,
        live: LiveLeg,
        at_ms: int,
        reason: L.EndReason,
        cause: int | None,
        estimated: bool = False,
    ) -> None:
        at_ms = max(at_ms, latest_stamp(live.leg))
        ended = L.end(live.leg, at_ms, reason, cause, estimated)
        self.registry.update(live, ended, idle_deadline_ms=None, hand_raised=False)
        log.info(
            "leg ended",
            leg_id=ended.leg_id,
            reason=reason.value,
            cause=cause,
            seconds=round((at_ms - ended.created_at_ms) / 1000, 3),
            estimated=estimated,
        )
        self.on_ended(live)

    # -- waiting room and conference -------------------------------------------------------------
    def _moh_started(self, e: ev.MusicOnHoldStarted) -> None:
        self.wait(e.node, e.uniqueid, e.at_ms)

    def wait(self, node: str, uniqueid: str, at_ms: int) -> None:
        """The caller entered the waiting room: when the IVR routed it there (CC_ROUTE) or,
        failing that event, when its hold music started."""
        live = self.registry.by_channel(node, uniqueid)
        if live is None or live.leg.state is not L.LegState.ANSWERED:
            return
        leg = L.enter_waiting(live.leg, at_ms)
        session = self.registry.sessions.get(leg.session_id or "")
        if session is not None and session.state is SessionState.STARTED:
            # Routed to the waiting room just as the session started: take it in now.
            self.registry.update(live, leg)
            self.on_late_waiter(live)
            return
        deadline = (
            idle_drop_deadline_ms(leg, session, self.idle_timeout_s)
            if session is not None
            else None
        )
        self.registry.update(live, leg, idle_deadline_ms=deadline)
        log.info("leg waiting", leg_id=leg.leg_id, idle_drop_at_ms=deadline)
        if deadline is not None:
            self.on_deadline(live)

    def _joined(self, e: ev.ConferenceJoined) -> None:
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is None:
            return
        leg = live.leg
        if leg.state is L.LegState.CREATED:  # answered and joined in the same instant
            leg = L.answer(leg, e.at_ms)
        leg = L.set_muted(L.enter_conference(leg, e.at_ms), e.muted)
        self.registry.update(live, leg, idle_deadline_ms=None)
        log.info("leg in conference", leg_id=leg.leg_id, conference=e.conference, muted=e.muted)
        self.on_joined(live)

    def _left(self, e: ev.ConferenceLeft) -> None:
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is not None and live.leg.state is L.LegState.IN_CONFERENCE:
            self.registry.update(live, L.leave(live.leg, e.at_ms))

    def _muted(self, e: ev.ConferenceMuted) -> None:
        self._set_muted(e.node, e.uniqueid, True)

    def _unmuted(self, e: ev.ConferenceUnmuted) -> None:
        self._set_muted(e.node, e.uniqueid, False)

    def _set_muted(self, node: str, uniqueid: str, muted: bool) -> None:
        live = self.registry.by_channel(node, uniqueid)
        if live is not None and live.leg.muted != muted and live.leg.state is not L.LegState.ENDED:
            self.registry.update(live, L.set_muted(live.leg, muted))

    def _talking(self, e: ev.ConferenceTalking) -> None:
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is not None and live.talking != e.talking:
            live.talking = e.talking
            for listener in self.registry.listeners:
                listener(live)

    # -- Call Me -------------------------------------------------------------------------------
    def _originate_result(self, e: ev.OriginateResult) -> None:
        if e.success or e.uniqueid is None:
            return
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is None:  # the Hangup came first with its cause and ended the leg
            return
        reason = callflow.end_reason_for_originate(e.reason)
        if live.leg.leg_id in self._parked:  # its Hangup came first, without a cause
            self._settle(live.leg.leg_id, reason)
            return
        if (e.node, e.uniqueid) in self.registry.channels:
            # The channel exists (busy: the response precedes the Hangup): its Hangup ends
            # the leg, with the Q.850 cause.
            live.requested_end = live.requested_end or reason
            return
        with bound(leg_id=live.leg.leg_id, session_id=live.leg.session_id):
            self.end(live, e.at_ms, reason, None)

    def _variable_set(self, e: ev.VariableSet) -> None:
        if e.name == "CC_ROUTE" and e.value == "waiting":
            self.wait(e.node, e.uniqueid, e.at_ms)
            return
        if e.name == "CC_CONF_RESULT":
            self._conference_result(e)
            return
        if e.name == "CC_HAND":  # keypad *9 ([cc-keypad] hand toggles it up/down)
            self._hand(e)
            return
        if e.name == "CC_END_REASON":
            # The dialplan's own backstop ended the wait (e.g. hold music failed to start).
            live = self.registry.by_channel(e.node, e.uniqueid)
            if live is not None and live.requested_end is None:
                live.requested_end = L.EndReason.IDLE_DROP
                self.registry.update(live, end_detail=f"dialplan:{e.value}")
            return
        # The IVR binds legs itself; this catches a leg whose binding we lost (restart).
        if e.name != "CC_LEG_ID" or self.registry.by_channel(e.node, e.uniqueid) is not None:
            return
        live = self.registry.legs.get(e.value)
        if live is not None and live.leg.node == e.node and live.leg.uniqueid is None:
            self.registry.update(live, replace(live.leg, uniqueid=e.uniqueid))

    def _hand(self, e: ev.VariableSet) -> None:
        live = self.registry.by_channel(e.node, e.uniqueid)
        raised = e.value == "up"
        if live is None or live.leg.state is L.LegState.ENDED:
            return
        if live.details.hand_raised != raised:
            live.hand_changed_at_ms = e.at_ms
            self.registry.update(live, hand_raised=raised)
            log.info("hand raised" if raised else "hand lowered", leg_id=live.leg.leg_id)
            self.on_hand(live)

    def _conference_result(self, e: ev.VariableSet) -> None:
        """ConfBridge returned (the dialplan copies CONFBRIDGE_RESULT): a refused join or a
        kick we did not ask for is why the coming Hangup ends the leg."""
        live = self.registry.by_channel(e.node, e.uniqueid)
        if live is None or live.requested_end is not None:
            return
        if e.value == "FAILED":  # locked, full or a bad profile: the caller hears conf-locked
            locked = live.leg.session_id in self.registry.locked_sessions
            live.requested_end = L.EndReason.REJECTED
            detail = "conference_locked" if locked else "conference_refused"
            self.registry.update(live, end_detail=detail)
            log.info("conference refused the caller", leg_id=live.leg.leg_id, detail=detail)
        elif e.value == "KICKED":  # by someone else than call control (CLI, another client)
            live.requested_end = L.EndReason.KICKED


def latest_stamp(leg: L.Leg) -> int:
    """The time of the leg's newest event so far."""
    stamps = (
        leg.created_at_ms,
        leg.answered_at_ms,
        leg.waiting_at_ms,
        leg.conference_at_ms,
        leg.left_at_ms,
    )
    return max(s for s in stamps if s is not None)


def _backdated(leg: L.Leg, created_at_ms: int) -> L.Leg:
    """A leg created at the channel's own creation time when that is earlier than ours."""
    if created_at_ms < leg.created_at_ms and leg.state is L.LegState.CREATED:
        return replace(leg, created_at_ms=created_at_ms)
    return leg
