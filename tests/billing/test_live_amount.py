"""domain.rating.live_amount: what a leg has cost so far, pure (the shell passes now)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callcontrol.domain.legs import Leg, LegKind
from callcontrol.domain.rating import Increment, Rate, RateBook, live_amount, rate_leg
from callcontrol.domain.sessions import Session, SessionState

from .support import MIN, T0, ended, leg, session, started

BOOK = RateBook.of(
    [
        Rate("FR", LegKind.TOLLFREE, Decimal("0.06"), "USD", "old", 0),
        Rate("FR", LegKind.TOLLFREE, Decimal("0.60"), "USD", "new", T0 + MIN),
        Rate("FR", LegKind.CALLME, Decimal("0.055"), "USD", "v", 0),
    ]
)
PER_MINUTE = Increment(60, 60)
_VOID = session(state=SessionState.CANCELLED, cancelled_at_ms=T0 + MIN)


@pytest.mark.parametrize(
    ("x", "s", "now_ms", "amount"),
    [
        pytest.param(leg("a"), started(), T0 + 90_000, "0.1200", id="open leg: started minutes"),
        pytest.param(leg("a"), started(), T0 + 120_001, "0.1800", id="a started second counts"),
        pytest.param(leg("a"), started(), T0, "0.0000", id="answered just now"),
        pytest.param(leg("a"), started(), T0 - 5_000, "0.0000", id="clock behind: never negative"),
        pytest.param(
            leg("a"), session(), T0 + 5 * MIN, "0.3000", id="rule5: waiting before start counts"
        ),
        pytest.param(leg("a"), _VOID, T0 + 5 * MIN, "0.0000", id="rule5: void session"),
        pytest.param(
            leg("t", LegKind.TOLL),
            started(),
            T0 + 5 * MIN,
            "0.0000",
            id="rule1: toll free of charge",
        ),
        pytest.param(
            leg("r", LegKind.CALLME, answered_at_ms=None),
            started(),
            T0 + 5 * MIN,
            "0.0000",
            id="call me still ringing",
        ),
        pytest.param(
            leg("late", answered_at_ms=T0 + 2 * MIN),
            started(),
            T0 + 3 * MIN,
            "0.6000",
            id="rate in force at answer",
        ),
    ],
)
def test_live_amount(x: Leg, s: Session, now_ms: int, amount: str) -> None:
    assert live_amount(x, s, BOOK, PER_MINUTE, now_ms) == Decimal(amount)


def test_an_ended_leg_costs_its_charge_whatever_the_clock() -> None:
    x = leg("e", ended_at_ms=T0 + 61_000)
    expected = rate_leg(x, ended(), BOOK, PER_MINUTE).amount
    assert live_amount(x, ended(), BOOK, PER_MINUTE, T0 + 99 * MIN) == expected == Decimal("0.12")


def test_live_amount_is_the_charge_of_a_leg_ending_now() -> None:
    for ms in range(0, 200_000, 7_777):
        live = live_amount(leg("a"), started(), BOOK, PER_MINUTE, T0 + ms)
        final = rate_leg(leg("a", ended_at_ms=T0 + ms), started(), BOOK, PER_MINUTE).amount
        assert live == final
