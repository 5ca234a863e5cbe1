"""Call-flow decisions that need no I/O: why a leg ended, whether a node restarted.

The shell feeds these functions what Asterisk reported (Q.850 causes, Originate reasons,
FullyBooted uptime) and what call control asked for (a pending end reason).
"""

from __future__ import annotations

from callcontrol.domain.legs import EndReason, Leg, LegKind
from callcontrol.domain.pbx_events import OriginateReason

# Q.850 causes seen on unanswered outbound calls (traces: busy 17, no answer 19, congestion 34).
_BUSY = frozenset({17})
_NO_ANSWER = frozenset({18, 19, 20})
_CONGESTION = frozenset({34, 38, 41, 42, 44})
_UNKNOWN_CAUSE = 0  # AST_CAUSE_NOTDEFINED

_ORIGINATE_FAILURE = {
    OriginateReason.BUSY: EndReason.BUSY,
    OriginateReason.RINGING: EndReason.NO_ANSWER,
    OriginateReason.CONGESTION: EndReason.CONGESTION,
    OriginateReason.HANGUP: EndReason.NO_ANSWER,
    OriginateReason.FAILED: EndReason.FAILED,
}


def end_reason_for_hangup(leg: Leg, requested: EndReason | None, cause: int) -> EndReason:
    """Why a leg ended when its channel hung up with Q.850 `cause`.

    A reason call control asked for (idle drop, kick, session end...) wins; otherwise an
    unanswered Call Me leg ends by what the network said, and anything else is the caller's
    own hang-up.
    """
    if requested is not None:
        return requested
    if leg.kind is LegKind.CALLME and leg.answered_at_ms is None:
        if cause in _BUSY:
            return EndReason.BUSY
        if cause in _NO_ANSWER:
            return EndReason.NO_ANSWER
        if cause in _CONGESTION:
            return EndReason.CONGESTION
        return EndReason.FAILED
    return EndReason.CALLER_HANGUP


def awaits_originate_result(leg: Leg, requested: EndReason | None, cause: int) -> bool:
    """True when an unanswered Call Me leg hangs up without saying why (cause 0, as the
    near half of a Local channel does: the network's cause is on the far half). Its failed
    OriginateResponse says why, and Asterisk may send it just after the Hangup."""
    return (
        requested is None
        and leg.kind is LegKind.CALLME
        and leg.answered_at_ms is None
        and cause == _UNKNOWN_CAUSE
    )


def end_reason_for_originate(reason: int) -> EndReason:
    """Why a Call Me leg failed, from a failed OriginateResponse's `Reason` code."""
    try:
        return _ORIGINATE_FAILURE.get(OriginateReason(reason), EndReason.FAILED)
    except ValueError:
        return EndReason.FAILED


def booted_at_ms(event_at_ms: int, uptime_s: int) -> int:
    """When the node (re)started, from a FullyBooted event's time and its Uptime."""
    return event_at_ms - uptime_s * 1000


def died_in_restart(leg: Leg, boot_ms: int) -> bool:
    """A leg created before the node's last boot cannot have survived it.

    One second of slack covers the Uptime field's whole-second resolution.
    """
    return leg.created_at_ms < boot_ms - 1000
