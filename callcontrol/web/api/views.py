"""How domain objects look in JSON, and the response schemas that say so."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import phonenumbers

from callcontrol.clock import iso
from callcontrol.domain.accounts import Account, features_for
from callcontrol.domain.legs import masked_number
from callcontrol.domain.numbers import Did
from callcontrol.domain.sessions import AudioOptions, Session
from callcontrol.service.ports import LiveCounts
from callcontrol.store.legs import LegRow


def _t(nullable: bool = False, **schema: Any) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def obj(**properties: dict[str, Any]) -> dict[str, Any]:
    """A response object schema: every property always present, nothing else."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


STR = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
TIME = {"type": "string", "format": "date-time"}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}

AUDIO = obj(
    join_muted=BOOL,
    entry_exit_chimes=BOOL,
    hold_beeps=BOOL,
    audio_mode={"type": "string", "enum": ["phone_and_computer", "computer_only", "custom"]},
)
NUMBER = obj(
    country=COUNTRY,
    kind={"type": "string", "enum": ["toll", "toll_free"]},
    e164=STR,
    international=STR,
)
ACCOUNT = obj(
    account_id=STR,
    plan=STR,
    billing_mode={"type": "string", "enum": ["online", "offline", "invoice"]},
    billing_contact_user_id=STR,
    advanced_audio=BOOL,
    default_audio=AUDIO,
    features={"type": "array", "items": STR},
)
LIVE = obj(waiting=INT, in_conference=INT, ringing=INT)
SESSION = obj(
    session_id=STR,
    account_id=STR,
    organizer_id=STR,
    title=STR,
    starts_at=TIME,
    state={
        "type": "string",
        "enum": ["scheduled", "organizer_joined", "started", "ended", "cancelled"],
    },
    access_code={"type": "string", "pattern": "^[0-9]{9}$"},
    organizer_pin={"type": "string", "pattern": "^[0-9]{6}$"},
    tollfree_countries={"type": "array", "items": COUNTRY},
    audio=AUDIO,
    dial_in={"type": "array", "items": NUMBER},
    organizer_joined_at=_t(True, **TIME),
    started_at=_t(True, **TIME),
    ended_at=_t(True, **TIME),
    cancelled_at=_t(True, **TIME),
    live=_t(True, **LIVE),
)
LEG = obj(
    leg_id=STR,
    session_id=_t(True, **STR),
    kind={"type": "string", "enum": ["toll", "tollfree", "callme"]},
    role={"type": "string", "enum": ["organizer", "panelist", "attendee"]},
    state={
        "type": "string",
        "enum": ["created", "answered", "waiting", "in_conference", "left", "ended"],
    },
    country=_t(True, **COUNTRY),
    number=_t(True, **STR),
    display_name=_t(True, **STR),
    participant_id=_t(True, **STR),
    muted=BOOL,
    hand_raised=BOOL,
    created_at=TIME,
    answered_at=_t(True, **TIME),
    waiting_at=_t(True, **TIME),
    joined_at=_t(True, **TIME),
    left_at=_t(True, **TIME),
    ended_at=_t(True, **TIME),
    end_reason=_t(True, **STR),
    end_detail=_t(True, **STR),
    hangup_cause=_t(True, **INT),
    estimated=BOOL,
    cost=_t(True, type="string", description="decimal amount; null until billing rates it"),
)


def audio_view(audio: AudioOptions) -> dict[str, Any]:
    return {
        "join_muted": audio.join_muted,
        "entry_exit_chimes": audio.entry_exit_chimes,
        "hold_beeps": audio.hold_beeps,
        "audio_mode": audio.audio_mode.value,
    }


def account_view(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "plan": account.plan.value,
        "billing_mode": account.billing_mode.value,
        "billing_contact_user_id": account.billing_contact_user_id,
        "advanced_audio": account.advanced_audio,
        "default_audio": audio_view(account.default_audio_options),
        "features": sorted(f.value for f in features_for(account)),
    }


def international(e164: str) -> str:
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def number_view(did: Did) -> dict[str, Any]:
    return {
        "country": did.country,
        "kind": did.kind.value,
        "e164": did.e164,
        "international": international(did.e164),
    }


def session_view(session: Session, dial_in: list[Did], live: LiveCounts | None) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "account_id": session.account_id,
        "organizer_id": session.organizer_id,
        "title": session.title,
        "starts_at": iso(session.starts_at_ms),
        "state": session.state.value,
        "access_code": session.access_code,
        "organizer_pin": session.organizer_pin,
        "tollfree_countries": sorted(session.tollfree_countries),
        "audio": audio_view(session.audio),
        "dial_in": [number_view(d) for d in dial_in],
        "organizer_joined_at": iso(session.organizer_joined_at_ms),
        "started_at": iso(session.started_at_ms),
        "ended_at": iso(session.ended_at_ms),
        "cancelled_at": iso(session.cancelled_at_ms),
        "live": None
        if live is None
        else {
            "waiting": live.waiting,
            "in_conference": live.in_conference,
            "ringing": live.ringing,
        },
    }


def leg_view(row: LegRow, cost: Decimal | None = None) -> dict[str, Any]:
    leg, details = row.leg, row.details
    return {
        "leg_id": leg.leg_id,
        "session_id": leg.session_id,
        "kind": leg.kind.value,
        "role": leg.role.value,
        "state": leg.state.value,
        "country": leg.country,
        "number": masked_number(leg.caller_e164) if leg.caller_e164 else None,
        "display_name": details.display_name,
        "participant_id": details.participant_id,
        "muted": leg.muted,
        "hand_raised": details.hand_raised,
        "created_at": iso(leg.created_at_ms),
        "answered_at": iso(leg.answered_at_ms),
        "waiting_at": iso(leg.waiting_at_ms),
        "joined_at": iso(leg.conference_at_ms),
        "left_at": iso(leg.left_at_ms),
        "ended_at": iso(leg.ended_at_ms),
        "end_reason": leg.end_reason.value if leg.end_reason else None,
        "end_detail": details.end_detail,
        "hangup_cause": leg.hangup_cause,
        "estimated": leg.estimated,
        "cost": None if cost is None else str(cost),
    }
