"""Rating: turns an ended leg into a charge, using the rate in force when it was answered.

Pure and built for volume: seconds are integers, each rate's Decimal price is computed
once per distinct billed duration (memo on the ``RateBook``), lookups are a dict and a
bisect. Amounts are quantized to 0.0001 with ROUND_HALF_UP in a private Decimal context,
so the result never depends on the caller's thread context.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum

from callcontrol.domain.errors import (
    InvalidValue,
    LegNotEnded,
    OwnershipMismatch,
    RateNotFound,
)
from callcontrol.domain.legs import EndReason, Leg, LegKind, LegState
from callcontrol.domain.rules import BillingOutcome, billable_kind, session_billing_outcome
from callcontrol.domain.sessions import Session, require_country

_CTX = Context(prec=28, rounding=ROUND_HALF_UP)
_Q = Decimal("0.0001")
_ZERO = Decimal("0.0000")
_SIXTY = Decimal(60)
_CURRENCY = re.compile(r"[A-Z]{3}")
_INCREMENT = re.compile(r"([1-9][0-9]{0,4})/([1-9][0-9]{0,4})")
_MEMO_MAX = 4096  # distinct billed durations remembered per rate


class ChargeRule(StrEnum):
    TOLL_NOT_BILLED = "toll_not_billed"
    VOID_CANCELLED_NEVER_STARTED = "void_cancelled_never_started"
    UNANSWERED = "unanswered"
    BILLED_ANSWER_TO_END = "billed_answer_to_end"
    IDLE_DROP_BILLED_TO_DROP = "idle_drop_billed_to_drop"


@dataclass(frozen=True, slots=True)
class Rate:
    country: str
    kind: LegKind
    per_minute: Decimal
    currency: str
    version: str
    effective_from_ms: int

    def __post_init__(self) -> None:
        require_country(self.country)
        if not billable_kind(self.kind):
            raise InvalidValue("toll legs are never billed, so they have no rate")
        if not self.per_minute.is_finite() or self.per_minute < 0:
            raise InvalidValue(f"per-minute price must be a finite amount >= 0: {self.per_minute}")
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidValue(f"not an ISO 4217 currency code: {self.currency!r}")


@dataclass(frozen=True, slots=True)
class Increment:
    """Billing increment "first/next": the first ``first_s`` seconds are billed as a block,
    then blocks of ``next_s`` seconds ("60/60" per minute, "6/6", "1/1" per second)."""

    first_s: int
    next_s: int

    def __post_init__(self) -> None:
        if self.first_s < 1 or self.next_s < 1:
            raise InvalidValue(f"increment parts must be >= 1 s: {self.first_s}/{self.next_s}")

    def __str__(self) -> str:
        return f"{self.first_s}/{self.next_s}"


def parse_increment(text: str) -> Increment:
    """``"60/60"`` -> ``Increment(60, 60)``; anything else raises ``InvalidValue``."""
    match = _INCREMENT.fullmatch(text)
    if match is None:
        raise InvalidValue(f"billing increment must look like '60/60': {text!r}")
    return Increment(int(match[1]), int(match[2]))


def round_up(seconds: int, increment: Increment) -> int:
    """``seconds`` rounded up to the increment: 0 stays 0, then ``first_s``, then steps."""
    if seconds <= 0:
        return 0
    if seconds <= increment.first_s:
        return increment.first_s
    step = increment.next_s
    return increment.first_s + -(-(seconds - increment.first_s) // step) * step


@dataclass(frozen=True, slots=True, eq=False)
class _Priced:
    """A rate with its memo of (rounded minutes, amount) per billed duration."""

    rate: Rate
    memo: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def price(self, billed_seconds: int) -> tuple[Decimal, Decimal]:
        found = self.memo.get(billed_seconds)
        if found is not None:
            return found
        minutes = _CTX.divide(Decimal(billed_seconds), _SIXTY).quantize(_Q, context=_CTX)
        amount = _CTX.divide(_CTX.multiply(self.rate.per_minute, billed_seconds), _SIXTY)
        result = (minutes, amount.quantize(_Q, context=_CTX))
        if len(self.memo) < _MEMO_MAX:
            self.memo[billed_seconds] = result
        return result


@dataclass(frozen=True, slots=True, eq=False)
class RateBook:
    """All rates indexed by (country, kind), each list sorted by ``effective_from_ms``."""

    _index: dict[tuple[str, LegKind], tuple[list[int], list[_Priced]]]

    @classmethod
    def of(cls, rates: Iterable[Rate]) -> RateBook:
        grouped: dict[tuple[str, LegKind], list[Rate]] = {}
        for rate in rates:
            grouped.setdefault((rate.country, rate.kind), []).append(rate)
        index: dict[tuple[str, LegKind], tuple[list[int], list[_Priced]]] = {}
        for key, group in grouped.items():
            group.sort(key=lambda r: r.effective_from_ms)
            starts = [r.effective_from_ms for r in group]
            if len(set(starts)) != len(starts):
                raise InvalidValue(f"two {key[1].value} rates for {key[0]} start at the same time")
            index[key] = (starts, [_Priced(r) for r in group])
        return cls(index)

    def _pick(self, country: str | None, kind: LegKind, at_ms: int) -> _Priced:
        entry = self._index.get((country, kind)) if country is not None else None
        if entry is not None:
            position = bisect.bisect_right(entry[0], at_ms)
            if position:
                return entry[1][position - 1]
        raise RateNotFound(country, kind.value, at_ms)


def pick_rate(
    rates: RateBook | Iterable[Rate], country: str | None, kind: LegKind, at_ms: int
) -> Rate:
    """The rate in force at ``at_ms`` (the leg's answer time): the latest one whose
    ``effective_from_ms`` is not after it. Raises ``RateNotFound`` when there is none."""
    book = rates if isinstance(rates, RateBook) else RateBook.of(rates)
    return book._pick(country, kind, at_ms).rate


@dataclass(frozen=True, slots=True)
class Charge:
    leg_id: str
    session_id: str
    account_id: str
    kind: LegKind
    country: str | None
    rule: ChargeRule
    seconds: int  # connected time, answer to hang-up, whole seconds rounded up
    increment: Increment
    billed_seconds: int  # seconds after rounding up to the increment; 0 when not billed
    rounded_minutes: Decimal
    per_minute: Decimal
    rate_version: str | None
    currency: str | None
    amount: Decimal
    estimated: bool  # the leg's end time was inferred, not observed


def connected_seconds(leg: Leg) -> int:
    """Whole seconds from answer to end; a started second counts. 0 if never answered."""
    if leg.answered_at_ms is None or leg.ended_at_ms is None:
        return 0
    return -(-(leg.ended_at_ms - leg.answered_at_ms) // 1000)


def billable_seconds(leg: Leg, session: Session) -> int:
    """Seconds billed before rounding: answer to end (waiting included) for a billable
    leg of a billed session; 0 for toll legs, unanswered legs and void sessions (rule 5)."""
    if not billable_kind(leg.kind):
        return 0
    if session_billing_outcome(session) is BillingOutcome.VOID_ALL:
        return 0
    return connected_seconds(leg)


def rate_leg(
    leg: Leg, session: Session, rates: RateBook | Iterable[Rate], increment: Increment
) -> Charge:
    """The charge for an ended leg of ``session``. Deterministic: same inputs, same charge."""
    if leg.state is not LegState.ENDED:
        raise LegNotEnded(leg.leg_id, leg.state.value)
    if leg.session_id != session.session_id:
        raise OwnershipMismatch(f"leg {leg.leg_id} is not in session {session.session_id}")
    seconds = connected_seconds(leg)
    if not billable_kind(leg.kind):
        return _free(leg, session, ChargeRule.TOLL_NOT_BILLED, seconds, increment)
    if session_billing_outcome(session) is BillingOutcome.VOID_ALL:
        return _free(leg, session, ChargeRule.VOID_CANCELLED_NEVER_STARTED, seconds, increment)
    answered_at_ms = leg.answered_at_ms
    if answered_at_ms is None:
        return _free(leg, session, ChargeRule.UNANSWERED, 0, increment)
    book = rates if isinstance(rates, RateBook) else RateBook.of(rates)
    priced = book._pick(leg.country, leg.kind, answered_at_ms)
    billed = round_up(seconds, increment)
    minutes, amount = priced.price(billed)
    rate = priced.rate
    return Charge(
        leg.leg_id,
        session.session_id,
        session.account_id,
        leg.kind,
        leg.country,
        (
            ChargeRule.IDLE_DROP_BILLED_TO_DROP
            if leg.end_reason is EndReason.IDLE_DROP
            else ChargeRule.BILLED_ANSWER_TO_END
        ),
        seconds,
        increment,
        billed,
        minutes,
        rate.per_minute,
        rate.version,
        rate.currency,
        amount,
        leg.estimated,
    )


def _free(
    leg: Leg, session: Session, rule: ChargeRule, seconds: int, increment: Increment
) -> Charge:
    return Charge(
        leg.leg_id,
        session.session_id,
        session.account_id,
        leg.kind,
        leg.country,
        rule,
        seconds,
        increment,
        0,
        _ZERO,
        _ZERO,
        None,
        None,
        _ZERO,
        leg.estimated,
    )


def live_amount(
    leg: Leg,
    session: Session,
    rates: RateBook | Iterable[Rate],
    increment: Increment,
    now_ms: int,
) -> Decimal:
    """What a leg has cost so far at ``now_ms``: an ended leg its charge; an open leg from
    answer to ``now_ms`` (a started second counts), rounded up to the increment, at the rate
    in force at answer. 0 for toll and unanswered legs and void sessions (rule 5)."""
    if leg.state is LegState.ENDED:
        return rate_leg(leg, session, rates, increment).amount
    answered_at_ms = leg.answered_at_ms
    if (
        answered_at_ms is None
        or not billable_kind(leg.kind)
        or session_billing_outcome(session) is BillingOutcome.VOID_ALL
    ):
        return _ZERO
    book = rates if isinstance(rates, RateBook) else RateBook.of(rates)
    seconds = -(-max(now_ms - answered_at_ms, 0) // 1000)
    return book._pick(leg.country, leg.kind, answered_at_ms).price(round_up(seconds, increment))[1]
