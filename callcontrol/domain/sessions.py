"""Webinar sessions: their state machine, audio options and timestamps.

A session moves through an explicit table (``TRANSITIONS``). ``apply`` returns a new
session; an event the table does not list raises ``IllegalSessionTransition`` and the
caller keeps the old, unchanged object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from callcontrol.domain.errors import IllegalSessionTransition, InvalidValue, TimeWentBackwards

_DIGITS = re.compile(r"[0-9]+")
_COUNTRY = re.compile(r"[A-Z]{2}")


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    ORGANIZER_JOINED = "organizer_joined"
    STARTED = "started"
    ENDED = "ended"
    CANCELLED = "cancelled"


class SessionEvent(StrEnum):
    ORGANIZER_JOINED = "organizer_joined"
    START = "start"
    END = "end"
    CANCEL = "cancel"


S, E = SessionState, SessionEvent

TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (S.SCHEDULED, E.ORGANIZER_JOINED): S.ORGANIZER_JOINED,
    # The organizer may start from the app without dialling in first.
    (S.SCHEDULED, E.START): S.STARTED,
    (S.ORGANIZER_JOINED, E.START): S.STARTED,
    (S.STARTED, E.END): S.ENDED,
    (S.SCHEDULED, E.CANCEL): S.CANCELLED,
    # Cancelling after the organizer joined is allowed; rule 5 then still bills.
    (S.ORGANIZER_JOINED, E.CANCEL): S.CANCELLED,
}

TERMINAL_STATES = frozenset({S.ENDED, S.CANCELLED})
NOT_STARTED_STATES = frozenset({S.SCHEDULED, S.ORGANIZER_JOINED})


def next_state(state: SessionState, event: SessionEvent) -> SessionState:
    """The state after ``event``; raises ``IllegalSessionTransition`` if the table has no row."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalSessionTransition(state.value, event.value) from None


class AudioMode(StrEnum):
    PHONE_AND_COMPUTER = "phone_and_computer"
    COMPUTER_ONLY = "computer_only"
    # Third-party audio: the organizer gives out their own conference line.
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class AudioOptions:
    join_muted: bool = False
    entry_exit_chimes: bool = True
    hold_beeps: bool = True
    audio_mode: AudioMode = AudioMode.PHONE_AND_COMPUTER


@dataclass(frozen=True, slots=True)
class AudioOverrides:
    """What a session changes from the organizer's defaults; ``None`` keeps the default."""

    join_muted: bool | None = None
    entry_exit_chimes: bool | None = None
    hold_beeps: bool | None = None
    audio_mode: AudioMode | None = None


def options_for(organizer_defaults: AudioOptions, overrides: AudioOverrides) -> AudioOptions:
    """The session's audio options: the organizer's defaults with the overrides applied."""
    return AudioOptions(
        join_muted=_pick(overrides.join_muted, organizer_defaults.join_muted),
        entry_exit_chimes=_pick(overrides.entry_exit_chimes, organizer_defaults.entry_exit_chimes),
        hold_beeps=_pick(overrides.hold_beeps, organizer_defaults.hold_beeps),
        audio_mode=(
            organizer_defaults.audio_mode if overrides.audio_mode is None else overrides.audio_mode
        ),
    )


def _pick(override: bool | None, default: bool) -> bool:
    return default if override is None else override


def require_country(country: str) -> str:
    """``country`` if it is an upper-case ISO 3166 alpha-2 code, else ``InvalidValue``."""
    if not _COUNTRY.fullmatch(country):
        raise InvalidValue(f"not an ISO 3166 alpha-2 country code: {country!r}")
    return country


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    account_id: str
    organizer_id: str
    title: str
    starts_at_ms: int
    access_code: str
    organizer_pin: str
    state: SessionState = SessionState.SCHEDULED
    tollfree_countries: frozenset[str] = field(default_factory=frozenset)
    audio: AudioOptions = field(default_factory=AudioOptions)
    organizer_joined_at_ms: int | None = None
    started_at_ms: int | None = None
    ended_at_ms: int | None = None
    cancelled_at_ms: int | None = None

    def __post_init__(self) -> None:
        if not _DIGITS.fullmatch(self.access_code):
            raise InvalidValue(f"access code must be digits: {self.access_code!r}")
        if not _DIGITS.fullmatch(self.organizer_pin):
            raise InvalidValue(f"organizer PIN must be digits: {self.organizer_pin!r}")
        for country in self.tollfree_countries:
            require_country(country)

    @property
    def ever_started(self) -> bool:
        return self.started_at_ms is not None

    @property
    def ever_organizer_joined(self) -> bool:
        return self.organizer_joined_at_ms is not None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


def apply(session: Session, event: SessionEvent, at_ms: int) -> Session:
    """The session after ``event`` at ``at_ms``: new state and the event's timestamp set."""
    state = next_state(session.state, event)
    latest = _latest_stamp(session)
    if latest is not None and at_ms < latest:
        raise TimeWentBackwards(at_ms, latest)
    if event is SessionEvent.ORGANIZER_JOINED:
        return replace(session, state=state, organizer_joined_at_ms=at_ms)
    if event is SessionEvent.START:
        return replace(session, state=state, started_at_ms=at_ms)
    if event is SessionEvent.END:
        return replace(session, state=state, ended_at_ms=at_ms)
    return replace(session, state=state, cancelled_at_ms=at_ms)


def _latest_stamp(session: Session) -> int | None:
    stamps = [
        s
        for s in (
            session.organizer_joined_at_ms,
            session.started_at_ms,
            session.ended_at_ms,
            session.cancelled_at_ms,
        )
        if s is not None
    ]
    return max(stamps) if stamps else None
