"""What the HTTP API and the dashboard may ask of call control, and nothing more.

The web layer depends on this protocol, not on the call-control implementation, so the API can
be built and read without knowing AMI. `callcontrol.service.callcontrol.CallControl` implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from callcontrol.domain.legs import Leg, LegRole
from callcontrol.domain.sessions import Session, SessionEvent


@dataclass(frozen=True, slots=True)
class CallMeRequest:
    session: Session
    phone_e164: str  # already parsed and validated by the caller (phonenumbers, fraud rules)
    country: str  # ISO 3166 alpha-2 of phone_e164
    display_name: str
    role: LegRole
    participant_id: str | None = None


class CallControlError(Exception):
    """A refused control action; `code` is stable and becomes the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class LiveCounts:
    waiting: int
    in_conference: int
    ringing: int


class CallControlPort(Protocol):
    async def request_callme(self, request: CallMeRequest) -> Leg:
        """Create the leg (persisted first) and send exactly one Originate. Raises
        CallControlError(code='no_pbx_node' | 'node_unavailable' | ...) when it cannot."""

    async def drop_leg(self, leg_id: str) -> None:
        """Hang up a live leg (end reason operator_drop). CallControlError('leg_not_live')."""

    async def set_leg_muted(self, leg_id: str, muted: bool) -> None:
        """Mute or unmute one leg in its conference. CallControlError('leg_not_in_conference')."""

    async def lower_hand(self, leg_id: str) -> None:
        """Lower the hand the caller raised with *9. CallControlError('hand_not_raised')."""

    async def set_all_muted(self, session_id: str, muted: bool) -> None:
        """Mute or unmute every participant but the organizer."""

    async def set_locked(self, session_id: str, locked: bool) -> None:
        """Lock or unlock the conference (no new joins while locked)."""

    async def switch_to_computer_audio(self, leg_id: str) -> None:
        """The participant moved to computer audio: end the phone leg (switched_audio_mode)."""

    async def session_changed(self, session: Session, event: SessionEvent) -> None:
        """Apply a session transition to the calls: start moves waiting legs into the
        conference; end and cancel hang up every leg (session_ended)."""

    def live_counts(self, session_id: str) -> LiveCounts:
        """Live legs of a session by where they are, from memory (no database trip)."""
