"""Rating: increments, rate choice, charges per rule, and properties of rounding."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol.domain.errors import (
    InvalidValue,
    LegNotEnded,
    OwnershipMismatch,
    RateNotFound,
)
from callcontrol.domain.legs import EndReason, Leg, LegKind, LegState
from callcontrol.domain.rating import (
    ChargeRule,
    Increment,
    Rate,
    RateBook,
    billable_seconds,
    connected_seconds,
    parse_increment,
    pick_rate,
    rate_leg,
    round_up,
)
from callcontrol.domain.sessions import Session

from .builders import (
    T0,
    ZERO,
    cancelled_session,
    ended_leg,
    ended_session,
    leg,
    started_session,
)

DAY_MS = 86_400_000
RATES = [
    Rate("FR", LegKind.TOLLFREE, Decimal("0.0450"), "EUR", "2024-01", T0 - 10 * DAY_MS),
    Rate("FR", LegKind.TOLLFREE, Decimal("0.0600"), "EUR", "2024-07", T0 + DAY_MS),
    Rate("FR", LegKind.CALLME, Decimal("0.1200"), "EUR", "2024-01", T0 - 10 * DAY_MS),
    Rate("US", LegKind.TOLLFREE, Decimal("0.0333"), "USD", "2024-01", T0 - 10 * DAY_MS),
]
BOOK = RateBook.of(RATES)
PER_MINUTE = Increment(60, 60)

# Increments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("60/60", Increment(60, 60), id="per minute"),
        pytest.param("6/6", Increment(6, 6), id="six seconds"),
        pytest.param("1/1", Increment(1, 1), id="per second"),
        pytest.param("30/6", Increment(30, 6), id="first block then steps"),
    ],
)
def test_parse_increment(text: str, expected: Increment) -> None:
    assert parse_increment(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["60", "0/60", "60/0", "a/b", "60/60/60", " 60/60", "-1/1"])
def test_parse_increment_rejects(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_increment(text)


def test_increment_parts_must_be_positive() -> None:
    with pytest.raises(InvalidValue):
        Increment(0, 60)


@pytest.mark.parametrize(
    ("seconds", "increment", "rounded"),
    [
        pytest.param(0, "60/60", 0, id="nothing stays nothing"),
        pytest.param(1, "60/60", 60, id="one second is a minute"),
        pytest.param(60, "60/60", 60, id="exact minute"),
        pytest.param(61, "60/60", 120, id="a second over"),
        pytest.param(7, "6/6", 12, id="six-second steps"),
        pytest.param(7, "1/1", 7, id="per second"),
        pytest.param(31, "30/6", 36, id="first block then six"),
        pytest.param(12, "30/6", 30, id="inside the first block"),
    ],
)
def test_round_up(seconds: int, increment: str, rounded: int) -> None:
    assert round_up(seconds, parse_increment(increment)) == rounded


# Rates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "kind", "at_ms", "version"),
    [
        pytest.param("FR", LegKind.TOLLFREE, T0, "2024-01", id="old rate before the change"),
        pytest.param("FR", LegKind.TOLLFREE, T0 + DAY_MS, "2024-07", id="new rate from its start"),
        pytest.param("FR", LegKind.TOLLFREE, T0 + 9 * DAY_MS, "2024-07", id="new rate after"),
        pytest.param("FR", LegKind.CALLME, T0, "2024-01", id="call me rate"),
    ],
)
def test_pick_rate(country: str, kind: LegKind, at_ms: int, version: str) -> None:
    assert pick_rate(BOOK, country, kind, at_ms).version == version
    assert pick_rate(RATES, country, kind, at_ms).version == version


@pytest.mark.parametrize(
    ("country", "kind", "at_ms"),
    [
        pytest.param("DE", LegKind.TOLLFREE, T0, id="unknown country"),
        pytest.param("US", LegKind.CALLME, T0, id="no rate of that kind"),
        pytest.param("FR", LegKind.TOLLFREE, T0 - 11 * DAY_MS, id="before the first rate"),
        pytest.param(None, LegKind.CALLME, T0, id="no country"),
    ],
)
def test_pick_rate_not_found(country: str | None, kind: LegKind, at_ms: int) -> None:
    with pytest.raises(RateNotFound) as caught:
        pick_rate(BOOK, country, kind, at_ms)
    assert caught.value.code == "rate_not_found"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("FR", LegKind.TOLL, Decimal(0), "EUR"), id="toll has no rate"),
        pytest.param(("FR", LegKind.CALLME, Decimal("-0.01"), "EUR"), id="negative price"),
        pytest.param(("FR", LegKind.CALLME, Decimal("NaN"), "EUR"), id="NaN price"),
        pytest.param(("FR", LegKind.CALLME, Decimal("0.1"), "eur"), id="bad currency"),
        pytest.param(("France", LegKind.CALLME, Decimal("0.1"), "EUR"), id="bad country"),
    ],
)
def test_invalid_rate(args: tuple[str, LegKind, Decimal, str]) -> None:
    with pytest.raises(InvalidValue):
        Rate(*args, "v", 0)


def test_duplicate_rate_start_rejected() -> None:
    with pytest.raises(InvalidValue):
        RateBook.of([RATES[0], RATES[0]])


# Charges ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "s", "rule", "seconds", "billed", "minutes", "amount"),
    [
        pytest.param(
            ended_leg(90_000),
            ended_session(),
            ChargeRule.BILLED_ANSWER_TO_END,
            90,
            120,
            Decimal("2.0000"),
            Decimal("0.0900"),
            id="rule2: toll-free billed per started minute",
        ),
        pytest.param(
            ended_leg(60_001, kind=LegKind.CALLME),
            ended_session(),
            ChargeRule.BILLED_ANSWER_TO_END,
            61,
            120,
            Decimal("2.0000"),
            Decimal("0.2400"),
            id="rule2: call me billed, a started second counts",
        ),
        pytest.param(
            ended_leg(300_000, reason=EndReason.IDLE_DROP),
            cancelled_session(organizer_joined=True),
            ChargeRule.IDLE_DROP_BILLED_TO_DROP,
            300,
            300,
            Decimal("5.0000"),
            Decimal("0.2250"),
            id="rule4+5: idle-dropped waiter billed up to the drop",
        ),
        pytest.param(
            ended_leg(90_000, kind=LegKind.TOLL),
            ended_session(),
            ChargeRule.TOLL_NOT_BILLED,
            90,
            0,
            ZERO,
            ZERO,
            id="rule1: toll not billed",
        ),
        pytest.param(
            ended_leg(600_000),
            cancelled_session(),
            ChargeRule.VOID_CANCELLED_NEVER_STARTED,
            600,
            0,
            ZERO,
            ZERO,
            id="rule5: cancelled never started bills nothing",
        ),
        pytest.param(
            leg(state=LegState.ENDED, ended_at_ms=T0 + 30_000, end_reason=EndReason.NO_ANSWER),
            ended_session(),
            ChargeRule.UNANSWERED,
            0,
            0,
            ZERO,
            ZERO,
            id="unanswered call me bills nothing",
        ),
        pytest.param(
            ended_leg(0),
            ended_session(),
            ChargeRule.BILLED_ANSWER_TO_END,
            0,
            0,
            ZERO,
            ZERO,
            id="answered and gone in the same ms: zero seconds",
        ),
    ],
)
def test_rate_leg(
    x: Leg,
    s: Session,
    rule: ChargeRule,
    seconds: int,
    billed: int,
    minutes: Decimal,
    amount: Decimal,
) -> None:
    charge = rate_leg(x, s, BOOK, PER_MINUTE)
    assert charge.rule is rule
    assert (charge.seconds, charge.billed_seconds) == (seconds, billed)
    assert charge.rounded_minutes == minutes
    assert charge.amount == amount
    assert charge.amount.as_tuple().exponent == -4
    assert (charge.leg_id, charge.session_id, charge.account_id) == ("leg-1", "ses-1", "acc-1")
    assert charge.increment == PER_MINUTE


def test_charge_carries_the_rate_in_force_at_answer() -> None:
    answered_before_change = ended_leg(DAY_MS, answered_at_ms=T0, ended_at_ms=T0 + DAY_MS + 5)
    charge = rate_leg(answered_before_change, ended_session(), BOOK, PER_MINUTE)
    assert (charge.rate_version, charge.per_minute, charge.currency) == (
        "2024-01",
        Decimal("0.0450"),
        "EUR",
    )


def test_not_billed_charge_has_no_rate() -> None:
    charge = rate_leg(ended_leg(5_000, kind=LegKind.TOLL), ended_session(), [], PER_MINUTE)
    assert (charge.rate_version, charge.currency, charge.per_minute) == (None, None, ZERO)


def test_estimated_end_is_carried() -> None:
    charge = rate_leg(ended_leg(5_000, estimated=True), ended_session(), BOOK, PER_MINUTE)
    assert charge.estimated


def test_amount_rounds_half_up_in_any_context() -> None:
    rate = Rate("US", LegKind.TOLLFREE, Decimal("0.00015"), "USD", "odd", 0)
    x = ended_leg(60_000, country="US")
    with localcontext() as ctx:
        ctx.prec = 3  # the caller's context must not leak into the amount
        charge = rate_leg(x, ended_session(), [rate], PER_MINUTE)
    assert charge.amount == Decimal("0.0002")


def test_rating_a_leg_still_up_raises() -> None:
    x = leg(state=LegState.IN_CONFERENCE, answered_at_ms=T0, conference_at_ms=T0)
    with pytest.raises(LegNotEnded) as caught:
        rate_leg(x, started_session(), BOOK, PER_MINUTE)
    assert caught.value.code == "leg_not_ended"


def test_rating_a_leg_of_another_session_raises() -> None:
    with pytest.raises(OwnershipMismatch):
        rate_leg(ended_leg(1_000, session_id="ses-2"), ended_session(), BOOK, PER_MINUTE)


def test_billable_leg_without_rate_raises() -> None:
    with pytest.raises(RateNotFound):
        rate_leg(ended_leg(1_000, country="DE"), ended_session(), BOOK, PER_MINUTE)


@pytest.mark.parametrize(
    ("x", "s", "seconds"),
    [
        pytest.param(ended_leg(1_500), ended_session(), 2, id="partial second rounds up"),
        pytest.param(ended_leg(1_500, kind=LegKind.TOLL), ended_session(), 0, id="rule1: toll"),
        pytest.param(ended_leg(1_500), cancelled_session(), 0, id="rule5: void session"),
        pytest.param(
            leg(state=LegState.ENDED, ended_at_ms=T0), ended_session(), 0, id="unanswered"
        ),
    ],
)
def test_billable_seconds(x: Leg, s: Session, seconds: int) -> None:
    assert billable_seconds(x, s) == seconds


# Properties ---------------------------------------------------------------------------

increments = st.builds(Increment, st.integers(1, 120), st.integers(1, 120))
durations_ms = st.integers(0, 6 * 3_600_000)
kinds = st.sampled_from([LegKind.TOLLFREE, LegKind.CALLME])


@given(st.integers(1, 10**7), increments)
def test_round_up_is_at_least_seconds_and_less_than_one_more_block(
    seconds: int, inc: Increment
) -> None:
    rounded = round_up(seconds, inc)
    assert seconds <= rounded < seconds + max(inc.first_s, inc.next_s)
    if seconds > inc.first_s:
        assert (rounded - inc.first_s) % inc.next_s == 0


@given(st.integers(1, 10**7), st.integers(1, 120))
def test_round_up_with_equal_blocks_is_under_seconds_plus_increment(seconds: int, n: int) -> None:
    rounded = round_up(seconds, Increment(n, n))
    assert seconds <= rounded < seconds + n
    assert rounded % n == 0


@given(durations_ms, increments, kinds)
def test_rating_twice_gives_the_same_charge(ms: int, inc: Increment, kind: LegKind) -> None:
    x = ended_leg(ms, kind=kind)
    first = rate_leg(x, ended_session(), BOOK, inc)
    assert rate_leg(x, ended_session(), BOOK, inc) == first
    assert rate_leg(x, ended_session(), RATES, inc) == first  # fresh book, same answer


@given(durations_ms, increments, kinds)
def test_void_sessions_bill_zero(ms: int, inc: Increment, kind: LegKind) -> None:
    charge = rate_leg(ended_leg(ms, kind=kind), cancelled_session(), BOOK, inc)
    assert charge.amount == 0 and charge.billed_seconds == 0
    assert charge.rule is ChargeRule.VOID_CANCELLED_NEVER_STARTED


@given(durations_ms, increments)
def test_amount_matches_the_billed_seconds(ms: int, inc: Increment) -> None:
    charge = rate_leg(ended_leg(ms), ended_session(), BOOK, inc)
    assert charge.seconds == connected_seconds(ended_leg(ms))
    exact = Decimal("0.0450") * charge.billed_seconds / 60
    assert abs(charge.amount - exact) <= Decimal("0.00005")
    assert charge.amount >= 0
