"""The live picture in memory: open legs, the channels they ride on, sessions in play.

One owner (call control) mutates it from one event loop, so no locks. Every change of a leg
goes through `LiveRegistry.put`, which stages the write and tells the listeners (metrics,
the dashboard hub) — one place, so nothing is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from callcontrol.domain.legs import EndReason, Leg, LegState
from callcontrol.domain.sessions import Session
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

    @property
    def row(self) -> LegRow:
        return LegRow(self.leg, self.details)


LegListener = Callable[[LiveLeg], None]


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
        self.listeners: list[LegListener] = []

    def adopt(self, live: LiveLeg) -> None:
        """Index a leg loaded from the database (after a restart) without re-writing it."""
        self.legs[live.leg.leg_id] = live
        if live.leg.uniqueid is not None:
            self._by_channel[(live.leg.node, live.leg.uniqueid)] = live.leg.leg_id

    def put(self, live: LiveLeg) -> None:
        """Record a new or changed leg: index it, stage its write, notify listeners."""
        leg = live.leg
        self.legs[leg.leg_id] = live
        if leg.uniqueid is not None:
            self._by_channel[(leg.node, leg.uniqueid)] = leg.leg_id
        self.writer.stage(live.row)
        for listener in self.listeners:
            listener(live)
        if leg.state is LegState.ENDED:
            self.legs.pop(leg.leg_id, None)
            if leg.uniqueid is not None:
                self._by_channel.pop((leg.node, leg.uniqueid), None)
                self.channels.pop((leg.node, leg.uniqueid), None)

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
        return (lv for lv in list(self.legs.values()) if lv.leg.session_id == session_id)

    def of_node(self, node: str) -> Iterator[LiveLeg]:
        return (lv for lv in list(self.legs.values()) if lv.leg.node == node)
