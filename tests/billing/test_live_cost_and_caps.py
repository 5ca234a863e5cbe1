"""Live cost from open legs at "now", and spend caps: a warning webhook once, then refusal."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from callcontrol.domain.legs import LegKind
from callcontrol.service.billing import UnknownAccount, UnknownSession
from callcontrol.store import usage
from callcontrol.store.database import Database

from .support import MIN, T0, Clock, billing_for, ended, leg, setup, started
from .support import account as make_account


async def test_live_cost_of_a_session_runs_with_the_clock(database: Database) -> None:
    open_tf = leg("open-tf")  # answered at T0, still up
    done_cm = leg("done-cm", LegKind.CALLME, ended_at_ms=T0 + 45_000)
    toll = leg("toll", LegKind.TOLL)
    ringing = leg("ringing", LegKind.CALLME, answered_at_ms=None)
    await setup(database, sessions=[started()], legs=[open_tf, done_cm, toll, ringing])
    clock = Clock(T0 + 90_000)
    billing = await billing_for(database, clock)
    await billing.on_leg_ended(done_cm, started())
    assert await billing.live_cost("ses-1") == Decimal("0.1750")  # 2 min x 0.06 + 0.055
    clock.now_ms = T0 + 181_000
    assert await billing.live_cost("ses-1") == Decimal("0.2950")  # 4 min x 0.06 + 0.055


async def test_an_ended_leg_not_rated_yet_still_counts(database: Database) -> None:
    done = leg("done", ended_at_ms=T0 + MIN)
    await setup(database, sessions=[started()], legs=[done])
    billing = await billing_for(database, Clock(T0 + 10 * MIN))
    assert await billing.live_cost("ses-1") == Decimal("0.0600")


async def test_live_cost_of_an_account_adds_its_live_sessions(database: Database) -> None:
    legs = [
        leg("a", session_id="live-1"),
        leg("b", session_id="live-2", country="US"),
        leg("c", session_id="over", ended_at_ms=T0 + MIN),
    ]
    sessions = [started("live-1"), started("live-2"), ended("over")]
    await setup(database, sessions=sessions, legs=legs)
    billing = await billing_for(database, Clock(T0 + 2 * MIN))
    assert await billing.live_cost_for_account("acc-1") == Decimal("0.1900")  # 0.12 + 0.07
    with pytest.raises(UnknownAccount):
        await billing.live_cost_for_account("nobody")
    with pytest.raises(UnknownSession):
        await billing.live_cost("nothing")


async def _outbox(database: Database) -> list[tuple[str, str, dict]]:
    async with database.connection() as conn:
        rows = await conn.fetch("SELECT event_id, kind, payload FROM webhook_outbox ORDER BY id")
    return [(r["event_id"], r["kind"], json.loads(r["payload"])) for r in rows]


async def test_spend_warning_once_then_limit_refuses_new_legs(database: Database) -> None:
    capped = make_account(spend_warning=Decimal("1.00"), spend_limit=Decimal("2.00"))
    earlier = leg("earlier", ended_at_ms=T0 + 10 * MIN, session_id="done")
    live = leg("live", answered_at_ms=T0 + 10 * MIN)
    await setup(database, [capped], [ended("done"), started()], [earlier, live])
    clock = Clock(T0 + 10 * MIN)
    billing = await billing_for(database, clock)

    await billing.on_leg_ended(earlier, ended("done"))  # 0.60 billed: under the warning
    assert await _outbox(database) == []
    assert not await billing.spend_limit_reached("acc-1")

    clock.now_ms = T0 + 20 * MIN  # the live leg has cost 0.60 more: 1.20 >= warning
    status = await billing.check_spend("acc-1")
    assert (status.billed, status.live, status.warning_reached) == (
        Decimal("0.6000"),
        Decimal("0.6000"),
        True,
    )
    assert not await billing.spend_limit_reached("acc-1")
    assert await billing.spent("acc-1") == Decimal("1.2000")  # what call control asks
    assert await _outbox(database) == [
        (
            "spend.warning:acc-1:2024-06",
            "spend.warning",
            {
                "account_id": "acc-1",
                "period": "2024-06",
                "spent": "1.2000",
                "warning": "1.0000",
                "limit": "2.0000",
            },
        )
    ]

    clock.now_ms = T0 + 40 * MIN  # 0.60 + 1.80 = 2.40 >= limit
    assert await billing.spend_limit_reached("acc-1")
    alerts = await billing.spend_alerts()
    assert [(a.level, a.spent) for a in alerts] == [
        ("warning", Decimal("1.2000")),
        ("limit", Decimal("2.4000")),
    ]
    assert len(await _outbox(database)) == 1  # the limit is a dashboard alert, no webhook


async def test_no_caps_never_refuse(database: Database) -> None:
    await setup(database, sessions=[started()], legs=[leg("live")])
    billing = await billing_for(database, Clock(T0 + 600 * MIN))
    assert not await billing.spend_limit_reached("acc-1")
    assert await billing.spend_alerts() == []


async def test_caps_can_be_set_and_cleared(database: Database) -> None:
    await setup(database)
    async with database.connection() as conn:
        assert await usage.set_spend_caps(conn, "acc-1", Decimal("5"), None)
        assert not await usage.set_spend_caps(conn, "nobody", None, None)
        billing_row = await usage.account_billing(conn, "acc-1")
    assert billing_row is not None
    assert (billing_row.spend_warning, billing_row.spend_limit) == (Decimal("5.0000"), None)
