"""Small builders for domain objects with sensible defaults, so each test states only
what matters to it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.legs import EndReason, Leg, LegKind, LegRole, LegState
from callcontrol.domain.sessions import Session, SessionState

MINUTE_MS = 60_000
T0 = 1_700_000_000_000  # an arbitrary epoch time in ms


def account(**changes: Any) -> Account:
    base = Account(
        account_id="acc-1",
        plan=Plan.PRO,
        advanced_audio=True,
        billing_mode=BillingMode.ONLINE,
        billing_contact_user_id="user-billing",
    )
    return replace(base, **changes)


def session(**changes: Any) -> Session:
    base = Session(
        session_id="ses-1",
        account_id="acc-1",
        organizer_id="user-org",
        title="Quarterly results",
        starts_at_ms=T0,
        access_code="123456789",
        organizer_pin="4321",
        tollfree_countries=frozenset({"FR", "US"}),
    )
    return replace(base, **changes)


def started_session(**changes: Any) -> Session:
    return session(state=SessionState.STARTED, started_at_ms=T0, **changes)


def ended_session(**changes: Any) -> Session:
    return session(
        state=SessionState.ENDED, started_at_ms=T0, ended_at_ms=T0 + 60 * MINUTE_MS, **changes
    )


def cancelled_session(organizer_joined: bool = False) -> Session:
    return session(
        state=SessionState.CANCELLED,
        organizer_joined_at_ms=T0 if organizer_joined else None,
        cancelled_at_ms=T0 + MINUTE_MS,
    )


def leg(**changes: Any) -> Leg:
    base = Leg(
        leg_id="leg-1",
        kind=LegKind.TOLLFREE,
        node="node-a",
        created_at_ms=T0,
        session_id="ses-1",
        role=LegRole.ATTENDEE,
        country="FR",
        caller_e164="+33612345678",
    )
    return replace(base, **changes)


def ended_leg(
    seconds_ms: int,
    kind: LegKind = LegKind.TOLLFREE,
    reason: EndReason = EndReason.CALLER_HANGUP,
    **changes: Any,
) -> Leg:
    """An ended leg answered at T0 + 1 s and connected for ``seconds_ms`` milliseconds."""
    answered = T0 + 1_000
    fields: dict[str, Any] = {
        "kind": kind,
        "state": LegState.ENDED,
        "answered_at_ms": answered,
        "ended_at_ms": answered + seconds_ms,
        "end_reason": reason,
    }
    return leg(**(fields | changes))


ZERO = Decimal("0.0000")
