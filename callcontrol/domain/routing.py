"""Routing decisions for a caller who typed an access code, and the ConfBridge names.

``route_dialin`` / ``route_callme`` decide conference, waiting or reject with a stable
reason code; the shell turns that into CC_ROUTE (``reject`` -> ``goodbye``). The profile
functions return the names defined in dialplan/confbridge.conf (docs/asterisk.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from callcontrol.domain.accounts import Account, spend_limit_reached
from callcontrol.domain.errors import OwnershipMismatch
from callcontrol.domain.legs import LegKind, LegRole
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.rules import billable_kind, may_take_leg
from callcontrol.domain.sessions import AudioMode, AudioOptions, Session, SessionState

_ZERO = Decimal(0)


class RouteKind(StrEnum):
    CONFERENCE = "conference"
    WAITING = "waiting"
    REJECT = "reject"


class RouteReason(StrEnum):
    SESSION_STARTED = "session_started"
    SESSION_NOT_STARTED = "session_not_started"
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_ACCOUNT = "unknown_account"
    SESSION_ENDED = "session_ended"
    SESSION_CANCELLED = "session_cancelled"
    CUSTOM_AUDIO = "custom_audio"
    COMPUTER_ONLY = "computer_only"
    PLAN_WITHOUT_PHONE = "plan_without_phone"
    ADDON_MISSING = "addon_missing"
    TOLLFREE_NOT_ALLOWED = "tollfree_not_allowed"
    SPEND_LIMIT_REACHED = "spend_limit_reached"


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    reason: RouteReason
    # True when this caller is the organizer arriving first: the shell applies the
    # session's organizer_joined event (rule 5 then bills the session even if cancelled).
    marks_organizer_joined: bool = False


_LEG_KIND_FOR = {NumberKind.TOLL: LegKind.TOLL, NumberKind.TOLL_FREE: LegKind.TOLLFREE}
_REJECT_FOR_STATE = {
    SessionState.CANCELLED: RouteReason.SESSION_CANCELLED,
    SessionState.ENDED: RouteReason.SESSION_ENDED,
}
_REJECT_FOR_AUDIO = {
    AudioMode.CUSTOM: RouteReason.CUSTOM_AUDIO,
    AudioMode.COMPUTER_ONLY: RouteReason.COMPUTER_ONLY,
}


def route_dialin(
    did: Did,
    session: Session | None,
    account: Account | None,
    as_organizer: bool = False,
    spent: Decimal = _ZERO,
) -> Route:
    """Where a caller on ``did`` goes after typing a code that found ``session`` (or None).

    A toll-free DID serves only sessions whose account has the add-on (rule 3) and whose
    toll-free countries include the DID's country (rule 7). ``spent`` is the account's
    billed usage so far, checked against its spend limit for billed kinds only.
    """
    kind = _LEG_KIND_FOR[did.kind]
    return _route(kind, did.country, session, account, as_organizer, spent)


def route_callme(
    session: Session | None,
    account: Account | None,
    as_organizer: bool = False,
    spent: Decimal = _ZERO,
) -> Route:
    """Where a Call Me callee goes once they confirm (same checks as dial-in, kind callme)."""
    return _route(LegKind.CALLME, None, session, account, as_organizer, spent)


def _route(
    kind: LegKind,
    did_country: str | None,
    session: Session | None,
    account: Account | None,
    as_organizer: bool,
    spent: Decimal,
) -> Route:
    if session is None:
        return Route(RouteKind.REJECT, RouteReason.UNKNOWN_CODE)
    if account is None:
        return Route(RouteKind.REJECT, RouteReason.UNKNOWN_ACCOUNT)
    if account.account_id != session.account_id:
        raise OwnershipMismatch(
            f"session {session.session_id} belongs to {session.account_id}, "
            f"not {account.account_id}"
        )
    state_reject = _REJECT_FOR_STATE.get(session.state)
    if state_reject is not None:
        return Route(RouteKind.REJECT, state_reject)
    audio_reject = _REJECT_FOR_AUDIO.get(session.audio.audio_mode)
    if audio_reject is not None:
        return Route(RouteKind.REJECT, audio_reject)
    refusal = may_take_leg(account, kind)
    if refusal is not None:
        return Route(RouteKind.REJECT, RouteReason(refusal.code.value))
    if kind is LegKind.TOLLFREE and did_country not in session.tollfree_countries:
        return Route(RouteKind.REJECT, RouteReason.TOLLFREE_NOT_ALLOWED)
    if billable_kind(kind) and spend_limit_reached(account, spent):
        return Route(RouteKind.REJECT, RouteReason.SPEND_LIMIT_REACHED)
    if session.state is SessionState.STARTED:
        return Route(RouteKind.CONFERENCE, RouteReason.SESSION_STARTED)
    marks = as_organizer and session.state is SessionState.SCHEDULED
    return Route(RouteKind.WAITING, RouteReason.SESSION_NOT_STARTED, marks_organizer_joined=marks)


_CONFERENCE_PREFIX = "cc-"


def conference_name(session_id: str) -> str:
    """The ConfBridge conference of a session (CC_CONF)."""
    return f"{_CONFERENCE_PREFIX}{session_id}"


def session_of_conference(conference: str) -> str | None:
    """The session whose conference this is, or None for a conference not ours."""
    if conference.startswith(_CONFERENCE_PREFIX) and len(conference) > len(_CONFERENCE_PREFIX):
        return conference[len(_CONFERENCE_PREFIX) :]
    return None


def user_profile(role: LegRole, audio: AudioOptions) -> str:
    """The ConfBridge user profile (CC_USER_PROFILE).

    The organizer and panelists speak, so they always join unmuted; ``join_muted``
    applies to attendees. ``_quiet`` when entry/exit chimes are off.
    """
    if role is LegRole.ORGANIZER:
        base = "cc_organizer"
    elif role is LegRole.ATTENDEE and audio.join_muted:
        base = "cc_attendee_muted"
    else:
        base = "cc_attendee"
    return base if audio.entry_exit_chimes else f"{base}_quiet"


def bridge_profile(audio: AudioOptions) -> str:
    """The ConfBridge bridge profile (CC_BRIDGE_PROFILE); one for every session today."""
    del audio  # every option lives in the user profile or the MOH class
    return "cc_bridge"


def menu(role: LegRole) -> str:
    """The ConfBridge keypad menu (CC_MENU): admin commands for the organizer only."""
    return "cc_organizer_menu" if role is LegRole.ORGANIZER else "cc_attendee_menu"


def moh_class(audio: AudioOptions) -> str:
    """The music-on-hold class while waiting (CC_MOH_CLASS): beeps or plain."""
    return "cc_hold_beeps" if audio.hold_beeps else "cc_hold"
