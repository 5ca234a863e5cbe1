"""The billing rules end to end at the service level: legs and sessions in a real database,
Billing rates them into the ledger, the usage report adds them up. One case per rule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from callcontrol.domain.legs import EndReason, Leg, LegKind, LegRole
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.store import ledger, usage
from callcontrol.store.database import Database

from .support import MIN, T0, billing_for, ended, leg, save_legs, save_sessions, session, setup
from .support import account as make_account
from .support import started as started_session


@dataclass(frozen=True)
class Expect:
    leg: Leg
    rule: str
    seconds: int
    billed_seconds: int
    amount: str


@dataclass(frozen=True)
class Scenario:
    while_ended: Session  # the session when its legs end
    final: Session | None  # a later outcome that re-rates them, if any
    legs: tuple[Expect, ...]
    total: str
    increment_s: int = 60


def _cancelled(joined: bool) -> Session:
    return session(
        state=SessionState.CANCELLED,
        organizer_joined_at_ms=T0 if joined else None,
        cancelled_at_ms=T0 + 20 * MIN,
    )


_JOINED = session(state=SessionState.ORGANIZER_JOINED, organizer_joined_at_ms=T0)
_WAITER = leg("waiter", answered_at_ms=T0, ended_at_ms=T0 + 270_000)  # 4 min 30 s
_IDLE = leg(
    "idle",
    LegKind.CALLME,
    answered_at_ms=T0,
    waiting_at_ms=T0 + 20_000,
    ended_at_ms=T0 + 320_000,  # five minutes after it started waiting
    reason=EndReason.IDLE_DROP,
)
_ORGANIZER = leg("org", role=LegRole.ORGANIZER, answered_at_ms=T0, ended_at_ms=T0 + 10 * MIN)

SCENARIOS = [
    pytest.param(
        Scenario(
            while_ended=session(),
            final=_cancelled(joined=False),
            legs=(
                Expect(_WAITER, "void_cancelled_never_started", 270, 0, "0.0000"),
                Expect(_IDLE, "void_cancelled_never_started", 320, 0, "0.0000"),
            ),
            total="0.0000",
        ),
        id="rule5: cancelled before start, organizer never joined: every leg voided",
    ),
    pytest.param(
        Scenario(
            while_ended=_cancelled(joined=False),
            final=None,
            legs=(Expect(_WAITER, "void_cancelled_never_started", 270, 0, "0.0000"),),
            total="0.0000",
        ),
        id="rule5: a leg ending after the cancel is void from the start",
    ),
    pytest.param(
        Scenario(
            while_ended=_JOINED,
            final=_cancelled(joined=True),
            legs=(
                Expect(_ORGANIZER, "billed_answer_to_end", 600, 600, "0.6000"),
                Expect(_WAITER, "billed_answer_to_end", 270, 300, "0.3000"),
                Expect(_IDLE, "idle_drop_billed_to_drop", 320, 360, "0.3300"),
            ),
            total="1.2300",
        ),
        id="rule5: organizer joined, never started: organizer and waiters billed",
    ),
    pytest.param(
        Scenario(
            while_ended=started_session(),
            final=ended(),
            legs=(
                Expect(
                    leg("toll", LegKind.TOLL, ended_at_ms=T0 + 30 * MIN),
                    "toll_not_billed",
                    1800,
                    0,
                    "0.0000",
                ),
                Expect(
                    leg("tf-us", country="US", ended_at_ms=T0 + 12 * MIN + 1_000),
                    "billed_answer_to_end",
                    721,
                    780,
                    "0.4550",
                ),
                Expect(
                    leg("cm", LegKind.CALLME, ended_at_ms=T0 + 45_000),
                    "billed_answer_to_end",
                    45,
                    60,
                    "0.0550",
                ),
                Expect(
                    leg(
                        "cm-noanswer",
                        LegKind.CALLME,
                        answered_at_ms=None,
                        ended_at_ms=T0 + 30_000,
                        reason=EndReason.NO_ANSWER,
                    ),
                    "unanswered",
                    0,
                    0,
                    "0.0000",
                ),
            ),
            total="0.5100",
        ),
        id="rules1+2: started session: toll free, toll-free and call me billed, unanswered free",
    ),
    pytest.param(
        Scenario(
            while_ended=session(),
            final=ended(),
            legs=(Expect(_IDLE, "idle_drop_billed_to_drop", 320, 360, "0.3300"),),
            total="0.3300",
        ),
        id="rule4: idle-dropped before a start that came later: billed up to the drop",
    ),
    pytest.param(
        Scenario(
            while_ended=started_session(),
            final=None,
            legs=(
                Expect(
                    leg("six", ended_at_ms=T0 + 61_000), "billed_answer_to_end", 61, 66, "0.0660"
                ),
            ),
            total="0.0660",
            increment_s=6,
        ),
        id="increment 6/6: rounded up to six seconds",
    ),
    pytest.param(
        Scenario(
            while_ended=started_session(),
            final=None,
            legs=(
                Expect(
                    leg("one", ended_at_ms=T0 + 60_001), "billed_answer_to_end", 61, 61, "0.0610"
                ),
            ),
            total="0.0610",
            increment_s=1,
        ),
        id="increment 1/1: a started second counts",
    ),
]


@pytest.mark.parametrize("case", SCENARIOS)
async def test_billing_scenario(database: Database, case: Scenario) -> None:
    legs = [e.leg for e in case.legs]
    await setup(
        database,
        [make_account(increment_s=case.increment_s)],
        [case.while_ended],
        legs,
    )
    billing = await billing_for(database)
    for x in legs:
        await billing.on_leg_ended(x, case.while_ended)
    if case.final is not None:
        await save_sessions(database, case.final)
        await billing.on_session_outcome(case.final)

    async with database.connection() as conn:
        for expect in case.legs:
            lines = await ledger.lines_for_leg(conn, expect.leg.leg_id)
            live = lines[-1]
            assert live.entry is ledger.Entry.CHARGE
            assert (live.rule, live.seconds, live.billed_seconds, live.amount) == (
                expect.rule,
                expect.seconds,
                expect.billed_seconds,
                Decimal(expect.amount),
            ), expect.leg.leg_id
            assert sum(x.amount for x in lines) == Decimal(expect.amount)
        report = await usage.usage_lines(conn, "acc-1", T0 - MIN, T0 + 24 * 60 * MIN)
        totals = await usage.usage_totals(conn, "acc-1", T0 - MIN, T0 + 24 * 60 * MIN)
    assert sorted(x.leg_id for x in report) == sorted(x.leg_id for x in legs)
    assert sum(x.amount for x in report) == Decimal(case.total)
    assert sum(t.amount for t in totals) == Decimal(case.total)


async def test_cancel_voids_earlier_charges_with_the_reason(database: Database) -> None:
    await setup(database, sessions=[session()], legs=[_WAITER])
    billing = await billing_for(database)
    assert await billing.on_leg_ended(_WAITER, session()) is ledger.Recorded.CHARGED
    cancelled = _cancelled(joined=False)
    await save_sessions(database, cancelled)
    counts = await billing.on_session_outcome(cancelled)
    assert counts[ledger.Recorded.CORRECTED] == 1
    async with database.connection() as conn:
        lines = await ledger.lines_for_leg(conn, "waiter")
    assert [(x.entry.value, x.charge_seq, x.amount) for x in lines] == [
        ("charge", 1, Decimal("0.3000")),
        ("void", 1, Decimal("-0.3000")),
        ("charge", 2, Decimal("0.0000")),
    ]
    void = lines[1]
    assert void.reason == "rule changed to void_cancelled_never_started"
    assert (void.billed_seconds, void.rule) == (-300, "billed_answer_to_end")
    assert lines[2].outcome == "void_all"


async def test_rate_in_force_at_answer_is_used_and_named(database: Database) -> None:
    from datetime import UTC, datetime

    answered = int(datetime(2025, 2, 1, 9, 0, tzinfo=UTC).timestamp()) * 1000
    late = leg("late", answered_at_ms=answered, ended_at_ms=answered + MIN)
    s = replace(ended(), starts_at_ms=answered)
    await setup(database, sessions=[s], legs=[late])
    billing = await billing_for(database)
    await billing.on_leg_ended(late, s)
    async with database.connection() as conn:
        (line,) = await ledger.lines_for_leg(conn, "late")
    assert (line.rate_version, line.per_minute, line.currency) == (
        "2025-01",
        Decimal("0.065"),
        "USD",
    )
    assert (line.amount, line.increment, line.rounded_minutes) == (
        Decimal("0.0650"),
        "60/60",
        Decimal("1.0000"),
    )


async def test_leg_without_a_rate_is_not_billed_as_zero_and_caught_up_later(
    database: Database,
) -> None:
    nowhere = leg("nz", country="NZ", ended_at_ms=T0 + MIN)
    await setup(database, sessions=[ended()], legs=[nowhere])
    billing = await billing_for(database)
    assert await billing.on_leg_ended(nowhere, ended()) is None
    async with database.connection() as conn:
        assert await ledger.lines_for_leg(conn, "nz") == []
        await conn.execute(
            "INSERT INTO rates (country, kind, effective_from_ms, per_minute, currency, version)"
            " VALUES ('NZ', 'tollfree', 0, 0.1, 'USD', 'nz-1')"
        )
    await billing.reload_rates()
    assert await billing.catch_up() == 1
    assert await billing.catch_up() == 0
    async with database.connection() as conn:
        (line,) = await ledger.lines_for_leg(conn, "nz")
    assert line.amount == Decimal("0.1000")


async def test_leg_outside_any_session_bills_nobody(database: Database) -> None:
    await setup(database, sessions=[ended()])
    billing = await billing_for(database)
    stray = replace(leg("stray", ended_at_ms=T0 + MIN), session_id=None)
    await save_legs(database, stray)
    assert await billing.on_leg_ended(stray, ended()) is None
