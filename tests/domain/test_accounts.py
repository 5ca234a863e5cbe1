"""Subscriptions: which features a plan and the add-on give (rules 1 to 3), spend limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callcontrol.domain.accounts import (
    Feature,
    Plan,
    features_for,
    spend_limit_reached,
    spend_warning_reached,
)
from callcontrol.domain.errors import InvalidValue

from .builders import account

NONE: frozenset[Feature] = frozenset()
TOLL = frozenset({Feature.TOLL_NUMBERS})
ALL = frozenset(Feature)
PAID = [p for p in Plan if p is not Plan.FREE]


@pytest.mark.parametrize(
    ("plan", "addon", "expected"),
    [
        pytest.param(Plan.FREE, False, NONE, id="rule1: free plan has no dial-in numbers"),
        pytest.param(Plan.FREE, True, NONE, id="rule3: add-on on a free plan grants nothing"),
        *[pytest.param(p, False, TOLL, id=f"rule1: paid plan {p} gets toll numbers") for p in PAID],
        *[
            pytest.param(p, True, ALL, id=f"rule2: {p} with add-on gets toll-free and call me")
            for p in PAID
        ],
    ],
)
def test_features_for(plan: Plan, addon: bool, expected: frozenset[Feature]) -> None:
    assert features_for(account(plan=plan, advanced_audio=addon)) == expected


def test_paid_plans() -> None:
    assert [p.value for p in Plan if p.is_paid] == [
        "starter",
        "pro",
        "plus",
        "business",
        "enterprise",
    ]


@pytest.mark.parametrize(
    ("limit", "spent", "reached"),
    [
        pytest.param(None, Decimal("1e9"), False, id="no limit never reached"),
        pytest.param(Decimal("100"), Decimal("99.9999"), False, id="below the limit"),
        pytest.param(Decimal("100"), Decimal("100"), True, id="at the limit"),
        pytest.param(Decimal("100"), Decimal("150"), True, id="over the limit"),
    ],
)
def test_spend_limit_and_warning(limit: Decimal | None, spent: Decimal, reached: bool) -> None:
    assert spend_limit_reached(account(spend_limit=limit), spent) is reached
    assert spend_warning_reached(account(spend_warning=limit), spent) is reached


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"billing_increment_s": 0}, id="zero increment"),
        pytest.param({"spend_limit": Decimal("-1")}, id="negative limit"),
        pytest.param({"spend_warning": Decimal("-0.01")}, id="negative warning"),
    ],
)
def test_invalid_account_raises(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        account(**changes)
