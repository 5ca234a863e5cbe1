"""Accounts and their subscription: plan, add-on, billing mode and the features they give.

``features_for`` is the one place that turns a subscription into features (rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from callcontrol.domain.errors import InvalidValue
from callcontrol.domain.sessions import AudioOptions


class Plan(StrEnum):
    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    PLUS = "plus"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"

    @property
    def is_paid(self) -> bool:
        return self is not Plan.FREE


class BillingMode(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    INVOICE = "invoice"


class Feature(StrEnum):
    TOLL_NUMBERS = "toll_numbers"
    TOLL_FREE = "toll_free"
    CALL_ME = "call_me"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    plan: Plan
    advanced_audio: bool
    billing_mode: BillingMode
    billing_contact_user_id: str
    default_audio_options: AudioOptions = field(default_factory=AudioOptions)
    billing_increment_s: int = 60
    spend_warning: Decimal | None = None
    spend_limit: Decimal | None = None

    def __post_init__(self) -> None:
        if self.billing_increment_s < 1:
            raise InvalidValue(f"billing increment must be >= 1 s: {self.billing_increment_s}")
        for name, amount in (
            ("spend_warning", self.spend_warning),
            ("spend_limit", self.spend_limit),
        ):
            if amount is not None and amount < 0:
                raise InvalidValue(f"{name} must not be negative: {amount}")


_NOTHING: frozenset[Feature] = frozenset()
_PAID = frozenset({Feature.TOLL_NUMBERS})
_PAID_ADVANCED = frozenset({Feature.TOLL_NUMBERS, Feature.TOLL_FREE, Feature.CALL_ME})


def features_for(account: Account) -> frozenset[Feature]:
    """The features the subscription gives (rules 1, 2 and 3).

    Rule 1: every paid plan includes toll dial-in numbers.
    Rule 2: the advanced audio add-on adds toll-free numbers and Call Me.
    Rule 3: nothing else grants a feature.

    A free plan gets no phone feature at all (computer audio only): rule 1 grants toll
    numbers to paid plans only, and the add-on extends a paid plan, so an
    ``advanced_audio`` flag on a free account grants nothing either.
    """
    if not account.plan.is_paid:
        return _NOTHING
    return _PAID_ADVANCED if account.advanced_audio else _PAID


def spend_limit_reached(account: Account, spent: Decimal) -> bool:
    """True when billed usage ``spent`` has reached the account's spend limit (if any)."""
    return account.spend_limit is not None and spent >= account.spend_limit


def spend_warning_reached(account: Account, spent: Decimal) -> bool:
    """True when billed usage ``spent`` has reached the account's warning threshold (if any)."""
    return account.spend_warning is not None and spent >= account.spend_warning
