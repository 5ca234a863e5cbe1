"""Rates: read `config/rates.csv`, publish its rows into the `rates` table, read them back.

A published rate never changes: legs already rated name its version, and re-rating must give
the same answer. Loading a file whose row differs from the stored row of the same country,
kind and effective date is refused with the line number; a new price is a new row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import asyncpg

from callcontrol.domain.errors import DomainError
from callcontrol.domain.legs import LegKind
from callcontrol.domain.rating import Rate

COLUMNS = ("country", "kind", "per_minute", "currency", "version", "effective_from")


class RatesFileError(ValueError):
    """A rates file (or a row of it) that cannot be published; names the line."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    inserted: int
    unchanged: int


def date_to_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def parse_rates(text: str, source: str = "rates.csv") -> list[Rate]:
    """Rates from CSV text: a header naming COLUMNS, `#` lines are comments."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    lines = [(n, line) for n, line in lines if not line.lstrip().startswith("#")]
    if not lines:
        raise RatesFileError(f"{source}: no header line")
    header_no, header = lines[0]
    names = tuple(c.strip() for c in next(csv.reader([header])))
    if names != COLUMNS:
        raise RatesFileError(f"{source}:{header_no}: header must be {','.join(COLUMNS)}")
    rates: list[Rate] = []
    seen: dict[tuple[str, str, int], int] = {}
    for number, line in lines[1:]:
        cells = [c.strip() for c in next(csv.reader(io.StringIO(line)))]
        if len(cells) != len(COLUMNS):
            raise RatesFileError(f"{source}:{number}: expected {len(COLUMNS)} columns")
        rate = _rate(cells, f"{source}:{number}")
        key = (rate.country, rate.kind.value, rate.effective_from_ms)
        if key in seen:
            raise RatesFileError(
                f"{source}:{number}: same country, kind and effective_from as line {seen[key]}"
            )
        seen[key] = number
        rates.append(rate)
    return rates


def _rate(cells: list[str], where: str) -> Rate:
    country, kind, price, currency, version, effective = cells
    try:
        leg_kind = LegKind(kind)
    except ValueError:
        raise RatesFileError(f"{where}: kind must be tollfree or callme: {kind!r}") from None
    try:
        per_minute = Decimal(price)
    except InvalidOperation:
        raise RatesFileError(f"{where}: per_minute is not a number: {price!r}") from None
    exponent = per_minute.as_tuple().exponent
    if not per_minute.is_finite() or (isinstance(exponent, int) and exponent < -6):
        raise RatesFileError(f"{where}: per_minute must be a finite amount, 6 decimals at most")
    try:
        start = date_to_ms(date.fromisoformat(effective))
    except ValueError:
        raise RatesFileError(f"{where}: effective_from must be YYYY-MM-DD: {effective!r}") from None
    if not version:
        raise RatesFileError(f"{where}: version is empty")
    try:
        return Rate(country, leg_kind, per_minute, currency, version, start)
    except DomainError as exc:
        raise RatesFileError(f"{where}: {exc.message}") from None


def read_rates_file(path: Path) -> list[Rate]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise RatesFileError(f"{path}: file not found") from None
    return parse_rates(text, str(path))


async def publish(conn: asyncpg.Connection, rates: list[Rate]) -> LoadResult:
    """Insert new rates; an identical row already there is fine, a different one is refused."""
    async with conn.transaction():
        stored = {
            (r["country"], r["kind"], r["effective_from_ms"]): r
            for r in await conn.fetch("SELECT * FROM rates FOR UPDATE")
        }
        fresh = []
        for rate in rates:
            old = stored.get((rate.country, rate.kind.value, rate.effective_from_ms))
            if old is None:
                fresh.append(rate)
            elif (old["per_minute"], old["currency"], old["version"]) != (
                rate.per_minute,
                rate.currency,
                rate.version,
            ):
                raise RatesFileError(
                    f"{rate.country} {rate.kind.value} from {rate.effective_from_ms} ms is already "
                    f"published as {old['per_minute']} {old['currency']} ({old['version']}); "
                    "publish a new row with a later effective_from instead"
                )
        await conn.executemany(
            "INSERT INTO rates (country, kind, effective_from_ms, per_minute, currency, version) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (r.country, r.kind.value, r.effective_from_ms, r.per_minute, r.currency, r.version)
                for r in fresh
            ],
        )
    return LoadResult(inserted=len(fresh), unchanged=len(rates) - len(fresh))


async def all_rates(conn: asyncpg.Connection) -> list[Rate]:
    records = await conn.fetch(
        "SELECT country, kind, per_minute, currency, version, effective_from_ms FROM rates"
    )
    return [
        Rate(
            r["country"],
            LegKind(r["kind"]),
            r["per_minute"],
            r["currency"],
            r["version"],
            r["effective_from_ms"],
        )
        for r in records
    ]
