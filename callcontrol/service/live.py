"""The live picture in memory: open legs, the channels they ride on, sessions in play.

One owner (call control) mutates it from one event loop, so no locks. Every change of a leg
goes through `LiveRegistry.put`, which stages the write and tells the listeners (metrics,
the dashboard hub) — one place, so nothing is forgotten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from callcontrol.domain.legs import EndReason, Leg, LegState
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.service.ports import LiveCounts
from callcontrol.store.legs import LegDetails, LegRow, LegWriter


@dataclass
class ChannelSeen:
    """What AMI told us of a channel before (or without) a leg riding on it."""

    channel: str
    created_at_ms: int
    caller_num: str = ""
    answered_at_ms: int | None = None


@dataclass
class LiveLeg:
    """A leg while its call is up: the domain Leg plus what only the shell needs."""

    leg: Leg
    details: LegDetails = field(default_factory=LegDetails)
    # An end reason call control asked for (idle drop, kick...), applied at the Hangup.
    requested_end: EndReason | None = None
    talking: bool = False
    # Its channel hung up; the end waits for the OriginateResponse (tracker): no controls.
    channel_gone: bool = False
    hand_changed_at_ms: int | None = None  # the PBX's time of the last *9 (or lower-hand)

    @property
    def row(self) -> LegRow:
        return LegRow(self.leg, self.details)


LegListener = Callable[[LiveLeg], None]
_PROGRESS = {
    SessionState.SCHEDULED: 0,
    SessionState.ORGANIZER_JOINED: 1,
    SessionState.STARTED: 2,
    SessionState.ENDED: 3,
    SessionState.CANCELLED: 3,
}


class LiveRegistry:
    def __init__(self, writer: LegWriter) -> None:
        self.writer = writer
        self.legs: dict[str, LiveLeg] = {}
        self._by_channel: dict[tuple[str, str], str] = {}
        self.channels: dict[tuple[str, str], ChannelSeen] = {}
        self.sessions: dict[str, Session] = {}
        # The node each session's conference lives on (chosen at its first leg).
        self.session_nodes: dict[str, str] = {}
        # Running cost of live sessions (decimal strings), refreshed by the live publisher.
        self.session_costs: dict[str, str] = {}
        self.locked_sessions: set[str] = set()  # ConfbridgeLock has no event: we remember
        # When call control last locked or unlocked each session (monotonic seconds): a list
        # of rooms asked before that is older news and must not undo it.
        self.lock_changed_at: dict[str, float] = {}
        self.listeners: list[LegListener] = []
        self._session_legs: dict[str, set[str]] = {}

    def adopt(self, live: LiveLeg) -> None:
        """Index a leg loaded from the database (after a restart) without re-writing it."""
        self._index(live)

    def _index(self, live: LiveLeg) -> None:
        leg = live.leg
        self.legs[leg.leg_id] = live
        if leg.uniqueid is not None:
            self._by_channel[(leg.node, leg.uniqueid)] = leg.leg_id
        if leg.session_id is not None:
            self._session_legs.setdefault(leg.session_id, set()).add(leg.leg_id)

    def put(self, live: LiveLeg) -> None:
        """Record a new or changed leg: index it, stage its write, notify listeners."""
        leg = live.leg
        self._index(live)
        self.writer.stage(live.row)
        for listener in self.listeners:
            listener(live)
        if leg.state is LegState.ENDED:
            self._drop(live)

    def _drop(self, live: LiveLeg) -> None:
        leg = live.leg
        self.legs.pop(leg.leg_id, None)
        if leg.uniqueid is not None:
            self._by_channel.pop((leg.node, leg.uniqueid), None)
            self.channels.pop((leg.node, leg.uniqueid), None)
        if leg.session_id is not None:
            members = self._session_legs.get(leg.session_id)
            if members is not None:
                members.discard(leg.leg_id)
                if not members:
                    del self._session_legs[leg.session_id]
            self.forget_if_over(leg.session_id)

    def remember_session(self, session: Session) -> None:
        """Keep the copy of a session furthest along its life: a copy read before a
        transition must not undo it (e.g. an IVR that read "scheduled" before the start)."""
        known = self.sessions.get(session.session_id)
        if known is None or _PROGRESS[session.state] >= _PROGRESS[known.state]:
            self.sessions[session.session_id] = session

    def forget_if_over(self, session_id: str) -> None:
        """A closed session with no live leg left needs no memory here any more."""
        session = self.sessions.get(session_id)
        if session is None or not session.is_terminal or session_id in self._session_legs:
            return
        self.sessions.pop(session_id, None)
        self.session_nodes.pop(session_id, None)
        self.session_costs.pop(session_id, None)
        self.locked_sessions.discard(session_id)
        self.lock_changed_at.pop(session_id, None)

    def update(self, live: LiveLeg, leg: Leg | None = None, **details: object) -> None:
        if leg is not None:
            live.leg = leg
        if details:
            live.details = replace(live.details, **details)  # type: ignore[arg-type]
        self.put(live)

    def by_channel(self, node: str, uniqueid: str) -> LiveLeg | None:
        leg_id = self._by_channel.get((node, uniqueid))
        return self.legs.get(leg_id) if leg_id is not None else None

    def of_session(self, session_id: str) -> Iterator[LiveLeg]:
        ids = list(self._session_legs.get(session_id, ()))
        return (self.legs[i] for i in ids if i in self.legs)

    def live_of_session(self, session_id: str) -> list[LiveLeg]:
        """The session's legs still up (a leg that just ended is still indexed while the
        listeners hear of its end)."""
        return [lv for lv in self.of_session(session_id) if lv.leg.state is not LegState.ENDED]

    def counts(self, session_id: str) -> LiveCounts:
        states = Counter(lv.leg.state for lv in self.live_of_session(session_id))
        return LiveCounts(
            waiting=states[LegState.WAITING],
            in_conference=states[LegState.IN_CONFERENCE],
            ringing=states[LegState.CREATED],
        )

    def of_node(self, node: str) -> Iterator[LiveLeg]:
        return (lv for lv in list(self.legs.values()) if lv.leg.node == node)
