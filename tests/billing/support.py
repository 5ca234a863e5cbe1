"""Builders for billing tests: real rows in a real database, domain objects in and out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.legs import EndReason, Leg, LegKind, LegRole, LegState
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.service.billing import Billing
from callcontrol.store.accounts import save_account
from callcontrol.store.database import Database
from callcontrol.store.legs import LegDetails, LegRepository, LegRow
from callcontrol.store.sessions import save_session

REPO = Path(__file__).resolve().parents[2]
RATES_CSV = REPO / "config" / "rates.csv"
# 2024-06-03 10:00 UTC: the 2024-01 rates of config/rates.csv are in force.
T0 = int(datetime(2024, 6, 3, 10, 0, tzinfo=UTC).timestamp()) * 1000
MIN = 60_000
FR_TOLLFREE = Decimal("0.0600")
FR_CALLME = Decimal("0.0550")
US_TOLLFREE = Decimal("0.0350")


class Clock:
    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def account(account_id: str = "acc-1", increment_s: int = 60, **changes: Any) -> Account:
    base = Account(
        account_id=account_id,
        plan=Plan.PRO,
        advanced_audio=True,
        billing_mode=BillingMode.ONLINE,
        billing_contact_user_id="user-billing",
        billing_increment_s=increment_s,
    )
    return replace(base, **changes)


_codes = iter(range(100_000_000, 999_999_999, 7919))


def session(session_id: str = "ses-1", account_id: str = "acc-1", **changes: Any) -> Session:
    base = Session(
        session_id=session_id,
        account_id=account_id,
        organizer_id="user-org",
        title="Quarterly results",
        starts_at_ms=T0,
        access_code=str(next(_codes)),
        organizer_pin="4321",
        tollfree_countries=frozenset({"FR", "US"}),
    )
    return replace(base, **changes)


def started(session_id: str = "ses-1", **changes: Any) -> Session:
    return session(session_id, state=SessionState.STARTED, started_at_ms=T0, **changes)


def ended(session_id: str = "ses-1", **changes: Any) -> Session:
    return session(
        session_id,
        state=SessionState.ENDED,
        started_at_ms=T0,
        ended_at_ms=T0 + 90 * MIN,
        **changes,
    )


def leg(
    leg_id: str,
    kind: LegKind = LegKind.TOLLFREE,
    *,
    answered_at_ms: int | None = T0,
    ended_at_ms: int | None = None,
    session_id: str = "ses-1",
    role: LegRole = LegRole.ATTENDEE,
    country: str = "FR",
    reason: EndReason = EndReason.CALLER_HANGUP,
    **changes: Any,
) -> Leg:
    """A leg answered at ``answered_at_ms``; ended at ``ended_at_ms`` when given, else live."""
    state = LegState.IN_CONFERENCE if answered_at_ms is not None else LegState.CREATED
    values: dict[str, Any] = {
        "state": state,
        "answered_at_ms": answered_at_ms,
        "conference_at_ms": answered_at_ms,
    }
    if ended_at_ms is not None:
        values |= {"state": LegState.ENDED, "ended_at_ms": ended_at_ms, "end_reason": reason}
    base = Leg(
        leg_id=leg_id,
        kind=kind,
        node="pbx1",
        created_at_ms=(answered_at_ms or ended_at_ms or T0) - 2_000,
        session_id=session_id,
        role=role,
        country=country,
        caller_e164="+33612345678",
    )
    return replace(base, **(values | changes))


async def setup(
    database: Database,
    accounts: list[Account] | None = None,
    sessions: list[Session] | None = None,
    legs: list[Leg] | None = None,
) -> None:
    async with database.connection() as conn:
        for a in accounts if accounts is not None else [account()]:
            await save_account(conn, a)
        for s in sessions or []:
            await save_session(conn, s)
    await LegRepository(database).write_now(LegRow(x, LegDetails()) for x in legs or [])


async def save_legs(database: Database, *legs: Leg) -> None:
    await LegRepository(database).write_now(LegRow(x, LegDetails()) for x in legs)


async def save_sessions(database: Database, *sessions: Session) -> None:
    async with database.connection() as conn:
        for s in sessions:
            await save_session(conn, s)


async def billing_for(database: Database, clock: Clock | None = None) -> Billing:
    billing = Billing(database, now_ms=clock or Clock())
    await billing.load_rates_file(RATES_CSV)
    return billing
