"""Call legs: one phone call of one person, its state table, timestamps and end reason.

States follow an explicit table (``TRANSITIONS``). Decisions taken here:

- a leg that left the conference (``left``: kicked, channel still up) cannot join again;
  only ``end`` follows. A caller who comes back is a new leg, so each leg has one
  conference interval and billing stays simple.
- ``end`` is allowed from every state but ``ended``; ending twice raises.
- event times never go backwards within a leg (``TimeWentBackwards``), so durations are
  never negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from callcontrol.domain.errors import (
    IllegalLegTransition,
    InvalidValue,
    LegAlreadyBound,
    TimeWentBackwards,
)
from callcontrol.domain.numbers import calling_code, require_e164
from callcontrol.domain.sessions import require_country


class LegKind(StrEnum):
    TOLL = "toll"
    TOLLFREE = "tollfree"
    CALLME = "callme"


class LegRole(StrEnum):
    ORGANIZER = "organizer"
    PANELIST = "panelist"
    ATTENDEE = "attendee"


class LegState(StrEnum):
    CREATED = "created"
    ANSWERED = "answered"
    WAITING = "waiting"
    IN_CONFERENCE = "in_conference"
    # Out of the conference but the channel is still up (kicked, before the hangup).
    LEFT = "left"
    ENDED = "ended"


class EndReason(StrEnum):
    CALLER_HANGUP = "caller_hangup"
    IDLE_DROP = "idle_drop"
    KICKED = "kicked"
    SESSION_ENDED = "session_ended"
    SWITCHED_AUDIO_MODE = "switched_audio_mode"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    REJECTED = "rejected"
    NOT_CONFIRMED = "not_confirmed"
    CONGESTION = "congestion"
    NODE_RESTART = "node_restart"
    OPERATOR_DROP = "operator_drop"


class LegEvent(StrEnum):
    ANSWER = "answer"
    WAIT = "wait"
    JOIN = "join"
    LEAVE = "leave"
    END = "end"


L, V = LegState, LegEvent

TRANSITIONS: dict[tuple[LegState, LegEvent], LegState] = {
    (L.CREATED, V.ANSWER): L.ANSWERED,
    (L.ANSWERED, V.WAIT): L.WAITING,
    (L.ANSWERED, V.JOIN): L.IN_CONFERENCE,
    (L.WAITING, V.JOIN): L.IN_CONFERENCE,
    (L.IN_CONFERENCE, V.LEAVE): L.LEFT,
    (L.CREATED, V.END): L.ENDED,
    (L.ANSWERED, V.END): L.ENDED,
    (L.WAITING, V.END): L.ENDED,
    (L.IN_CONFERENCE, V.END): L.ENDED,
    (L.LEFT, V.END): L.ENDED,
}


def next_state(state: LegState, event: LegEvent) -> LegState:
    """The state after ``event``; raises ``IllegalLegTransition`` if the table has no row."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalLegTransition(state.value, event.value) from None


@dataclass(frozen=True, slots=True)
class Leg:
    leg_id: str
    kind: LegKind
    node: str
    created_at_ms: int
    session_id: str | None = None  # unknown until the access code is entered
    role: LegRole = LegRole.ATTENDEE
    country: str | None = None
    caller_e164: str | None = None
    uniqueid: str | None = None
    state: LegState = LegState.CREATED
    answered_at_ms: int | None = None
    waiting_at_ms: int | None = None
    conference_at_ms: int | None = None
    left_at_ms: int | None = None
    ended_at_ms: int | None = None
    end_reason: EndReason | None = None
    hangup_cause: int | None = None
    estimated: bool = False  # end time inferred (e.g. node restart), not observed
    muted: bool = False

    def __post_init__(self) -> None:
        if self.country is not None:
            require_country(self.country)
        if self.caller_e164 is not None:
            require_e164(self.caller_e164)
        if self.created_at_ms < 0:
            raise InvalidValue(f"negative created_at_ms: {self.created_at_ms}")


# The timestamp each state sets; the newest one is always the current state's.
_STAMP = {
    L.CREATED: "created_at_ms",
    L.ANSWERED: "answered_at_ms",
    L.WAITING: "waiting_at_ms",
    L.IN_CONFERENCE: "conference_at_ms",
    L.LEFT: "left_at_ms",
    L.ENDED: "ended_at_ms",
}


def _step(leg: Leg, event: LegEvent, at_ms: int) -> LegState:
    state = next_state(leg.state, event)
    previous: int = getattr(leg, _STAMP[leg.state])
    if at_ms < previous:
        raise TimeWentBackwards(at_ms, previous)
    return state


def answer(leg: Leg, at_ms: int) -> Leg:
    """The channel was answered (dial-in picked up by us, or the Call Me callee answered)."""
    return replace(leg, state=_step(leg, LegEvent.ANSWER, at_ms), answered_at_ms=at_ms)


def enter_waiting(leg: Leg, at_ms: int) -> Leg:
    """The caller is on hold waiting for the session to start."""
    return replace(leg, state=_step(leg, LegEvent.WAIT, at_ms), waiting_at_ms=at_ms)


def enter_conference(leg: Leg, at_ms: int) -> Leg:
    """The caller joined the conference bridge (straight after answer or from waiting)."""
    return replace(leg, state=_step(leg, LegEvent.JOIN, at_ms), conference_at_ms=at_ms)


def leave(leg: Leg, at_ms: int) -> Leg:
    """The caller left the bridge (kicked, bridge ended) while the channel is still up."""
    return replace(leg, state=_step(leg, LegEvent.LEAVE, at_ms), left_at_ms=at_ms)


def end(
    leg: Leg,
    at_ms: int,
    reason: EndReason,
    cause: int | None = None,
    estimated: bool = False,
) -> Leg:
    """The channel is gone; ``cause`` is the Q.850 hangup cause when known."""
    return replace(
        leg,
        state=_step(leg, LegEvent.END, at_ms),
        ended_at_ms=at_ms,
        end_reason=reason,
        hangup_cause=cause,
        estimated=estimated,
    )


def bind(leg: Leg, session_id: str, role: LegRole) -> Leg:
    """Attach the leg to the session whose access code the caller entered, with a role.

    Re-binding to the same session may change the role (organizer PIN entered later);
    moving a leg to another session raises ``LegAlreadyBound``.
    """
    if leg.session_id is not None and leg.session_id != session_id:
        raise LegAlreadyBound(leg.leg_id, leg.session_id)
    if leg.state is LegState.ENDED:
        raise IllegalLegTransition(leg.state.value, "bind")
    return replace(leg, session_id=session_id, role=role)


def set_muted(leg: Leg, muted: bool) -> Leg:
    """The leg's mute flag; an ended leg cannot be muted or unmuted."""
    if leg.state is LegState.ENDED:
        raise IllegalLegTransition(leg.state.value, "mute" if muted else "unmute")
    return replace(leg, muted=muted)


def masked_number(e164: str) -> str:
    """A caller number safe to show operators: "+33612345678" -> "+33 6•• ••• •78".

    Keeps the country calling code, the first national digit and the last two digits;
    the national part is grouped by three from the right.
    """
    code = calling_code(e164)
    national = e164[1 + len(code) :]
    shown = national[0] + "•" * (len(national) - 3) + national[-2:]
    head = len(shown) % 3
    groups = ([shown[:head]] if head else []) + [
        shown[i : i + 3] for i in range(head, len(shown), 3)
    ]
    return f"+{code} {' '.join(groups)}"
