"""One shape for usage reports, shared by the HTTP API and the CLI export: CSV rows and JSON.

Money and minutes are exact decimal strings; times are UTC ISO 8601 with milliseconds.
CSV rows are `leg` lines first, then `total` lines (per kind, country and currency).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from callcontrol.clock import iso
from callcontrol.store.usage import UsageLine, UsageTotal

CSV_HEADER = (
    "record",
    "session_id",
    "leg_id",
    "revision",
    "caller",
    "kind",
    "country",
    "role",
    "answered_at",
    "ended_at",
    "end_reason",
    "seconds",
    "increment",
    "billed_seconds",
    "rounded_minutes",
    "rate_per_minute",
    "currency",
    "rate_version",
    "cost",
    "rule",
    "estimated",
    "legs",
)


def line_json(line: UsageLine) -> dict[str, Any]:
    return {
        "leg_id": line.leg_id,
        "revision": line.charge_seq,
        "caller": line.caller_masked,
        "kind": line.kind,
        "country": line.country,
        "role": line.role,
        "answered_at": iso(line.answered_at_ms),
        "ended_at": iso(line.ended_at_ms),
        "end_reason": line.end_reason,
        "seconds": line.seconds,
        "increment": line.increment,
        "billed_seconds": line.billed_seconds,
        "rounded_minutes": str(line.rounded_minutes),
        "rate_per_minute": str(line.per_minute),
        "currency": line.currency,
        "rate_version": line.rate_version,
        "cost": str(line.amount),
        "rule": line.rule,
        "estimated": line.estimated,
    }


def total_json(total: UsageTotal) -> dict[str, Any]:
    return {
        "kind": total.kind,
        "country": total.country,
        "currency": total.currency,
        "legs": total.legs,
        "seconds": total.seconds,
        "billed_seconds": total.billed_seconds,
        "rounded_minutes": str(total.rounded_minutes),
        "cost": str(total.amount),
    }


def cost_by_currency(amounts: Iterable[tuple[str | None, Decimal]]) -> dict[str, str]:
    """Sum amounts per currency; unpriced (free) lines have no currency and add nothing."""
    sums: dict[str, Decimal] = {}
    for currency, amount in amounts:
        if currency is not None:
            sums[currency] = sums.get(currency, Decimal("0.0000")) + amount
    return {currency: str(amount) for currency, amount in sorted(sums.items())}


def report_json(
    account_id: str,
    from_ms: int,
    to_ms: int,
    lines: list[UsageLine],
    totals: list[UsageTotal],
) -> dict[str, Any]:
    sessions: dict[str, list[UsageLine]] = {}
    for line in lines:
        sessions.setdefault(line.session_id, []).append(line)
    return {
        "account_id": account_id,
        "from": iso(from_ms),
        "to": iso(to_ms),
        "sessions": [
            {
                "session_id": session_id,
                "legs": [line_json(x) for x in legs],
                "cost": cost_by_currency((x.currency, x.amount) for x in legs),
            }
            for session_id, legs in sessions.items()
        ],
        "totals": [total_json(t) for t in totals],
        "cost": cost_by_currency((t.currency, t.amount) for t in totals),
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_line_row(line: UsageLine) -> list[str]:
    data = line_json(line) | {"record": "leg", "session_id": line.session_id, "legs": None}
    return [_cell(data[c]) for c in CSV_HEADER]


def csv_total_row(total: UsageTotal) -> list[str]:
    data = dict.fromkeys(CSV_HEADER) | total_json(total) | {"record": "total"}
    return [_cell(data[c]) for c in CSV_HEADER]
