"""Properties over random legs and outcomes, against the real ledger: a report adds up,
re-rating changes nothing, and every second of a billable leg is charged exactly once."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcontrol.domain.legs import EndReason, Leg, LegKind
from callcontrol.domain.rating import connected_seconds, parse_increment, round_up
from callcontrol.domain.rules import billable_window
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.service.billing import Billing
from callcontrol.store import ledger, usage
from callcontrol.store.database import Database

from .support import MIN, T0, billing_for, ended, leg, save_legs, save_sessions, session, setup

DAY = 24 * 60 * MIN
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_ids = itertools.count()

legs_st = st.lists(
    st.tuples(
        st.sampled_from(list(LegKind)),
        st.sampled_from(["FR", "US"]),
        st.integers(0, 40 * DAY),  # answered at T0 + this: spans report boundaries
        st.integers(0, 3 * 3_600_000),  # connected ms
        st.booleans(),  # answered at all
        st.sampled_from([EndReason.CALLER_HANGUP, EndReason.IDLE_DROP]),
    ),
    min_size=1,
    max_size=8,
)
outcomes = st.sampled_from(["ended", "cancelled", "cancelled_after_join", "scheduled"])


def _session(session_id: str, outcome: str) -> Session:
    if outcome == "ended":
        return ended(session_id)
    if outcome == "scheduled":
        return session(session_id)
    joined = T0 if outcome == "cancelled_after_join" else None
    return session(
        session_id,
        state=SessionState.CANCELLED,
        organizer_joined_at_ms=joined,
        cancelled_at_ms=T0 + MIN,
    )


def _legs(session_id: str, specs: list[tuple]) -> list[Leg]:
    out = []
    for kind, country, offset, ms, answered, reason in specs:
        start = T0 + offset
        out.append(
            leg(
                f"{session_id}-l{len(out)}",
                kind,
                answered_at_ms=start if answered else None,
                ended_at_ms=start + ms,
                session_id=session_id,
                country=country,
                reason=reason if answered else EndReason.NO_ANSWER,
            )
        )
    return out


async def _prepared(database: Database) -> Billing:
    async with database.connection() as conn:
        if not await usage.account_exists(conn, "acc-1"):
            await setup(database)
    return await billing_for(database)


@PROPERTY
@given(legs_st, legs_st, outcomes, outcomes, st.integers(0, 40 * DAY), st.integers(1, 40 * DAY))
async def test_report_total_is_the_sum_of_its_lines(
    database: Database, a: list, b: list, outcome_a: str, outcome_b: str, start: int, span: int
) -> None:
    billing = await _prepared(database)
    n = next(_ids)
    for sid, specs, outcome in ((f"r{n}a", a, outcome_a), (f"r{n}b", b, outcome_b)):
        s = _session(sid, outcome)
        legs = _legs(sid, specs)
        await save_sessions(database, s)
        await save_legs(database, *legs)
        for x in legs:
            await billing.on_leg_ended(x, session(sid))  # rated before the outcome...
        await billing.on_session_outcome(s)  # ...and again when it is known
    lo, hi = T0 + start, T0 + start + span
    async with database.connection() as conn:
        lines = await usage.usage_lines(conn, "acc-1", lo, hi)
        totals = await usage.usage_totals(conn, "acc-1", lo, hi)
        net = await ledger.net_for_account(conn, "acc-1", lo, hi)
        streamed = [x async for x in usage.stream_usage_lines(conn, "acc-1", lo, hi, prefetch=3)]
    line_sum = sum((x.amount for x in lines), Decimal(0))
    assert line_sum == sum((t.amount for t in totals), Decimal(0)) == net
    assert sum(t.legs for t in totals) == len(lines) == len({x.leg_id for x in lines})
    assert sum(x.billed_seconds for x in lines) == sum(t.billed_seconds for t in totals)
    assert streamed == lines


@PROPERTY
@given(legs_st, outcomes)
async def test_rerating_is_idempotent(database: Database, specs: list, outcome: str) -> None:
    billing = await _prepared(database)
    sid = f"i{next(_ids)}"
    s = _session(sid, outcome)
    legs = _legs(sid, specs)
    await save_sessions(database, s)
    await save_legs(database, *legs)
    for x in legs:
        await billing.on_leg_ended(x, s)
    async with database.connection() as conn:
        before = await ledger.lines_for_session(conn, sid)
    await billing.on_session_outcome(s)
    for x in reversed(legs):
        assert await billing.on_leg_ended(x, s) is ledger.Recorded.UNCHANGED
    await billing.on_session_outcome(s)
    async with database.connection() as conn:
        assert await ledger.lines_for_session(conn, sid) == before
    assert len(before) == len(legs)


@PROPERTY
@given(
    st.sampled_from([LegKind.TOLLFREE, LegKind.CALLME]),
    st.lists(st.tuples(st.integers(0, 7_200_000), outcomes), min_size=1, max_size=5),
    st.sampled_from(["60/60", "6/6", "1/1"]),
)
async def test_every_billable_second_is_charged_exactly_once(
    database: Database, kind: LegKind, versions: list, increment: str
) -> None:
    billing = await _prepared(database)
    async with database.connection() as conn:
        await conn.execute("UPDATE accounts SET billing_increment = $1", increment)
    sid = f"c{next(_ids)}"
    x = leg(f"{sid}-leg", kind, ended_at_ms=T0, session_id=sid)
    for ms, outcome in versions:  # the leg's end and the session's outcome keep changing
        s = _session(sid, outcome)
        x = replace(x, ended_at_ms=T0 + ms)
        await save_sessions(database, s)
        await save_legs(database, x)
        await billing.on_leg_ended(x, s)
        await billing.on_session_outcome(s)
        async with database.connection() as conn:
            lines = await ledger.lines_for_leg(conn, x.leg_id)
        charges = [c for c in lines if c.entry is ledger.Entry.CHARGE]
        voids = [c for c in lines if c.entry is ledger.Entry.VOID]
        assert len(charges) == len(voids) + 1  # exactly one live charge
        window = billable_window(x, s)
        expected = round_up(connected_seconds(x), parse_increment(increment)) if window else 0
        assert sum(c.billed_seconds for c in lines) == expected
        assert sum(c.seconds for c in lines) == connected_seconds(x)
        live = charges[-1]
        assert (live.answered_at_ms, live.ended_at_ms) == (x.answered_at_ms, x.ended_at_ms)
        assert (live.billed_seconds > 0) == (window is not None and expected > 0)
