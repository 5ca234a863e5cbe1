"""The DID inventory and the country list, loaded from config CSV files at start."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from callcontrol.domain.errors import DomainError
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.sessions import require_country
from callcontrol.logsetup import get_logger
from callcontrol.store.database import Database

log = get_logger(__name__)


class InventoryError(Exception):
    """A line of numbers.csv or countries.csv is wrong; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Country:
    country: str
    name: str
    callme_allowed: bool
    notes: str = ""


@dataclass(frozen=True, slots=True)
class CountryNumbers:
    """A country with its active dial-in numbers of each kind."""

    country: Country
    toll: tuple[str, ...]
    toll_free: tuple[str, ...]


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(line for line in fh if not line.lstrip().startswith("#"))
        if tuple(reader.fieldnames or ()) != columns:
            raise InventoryError(f"{path}: header must be {','.join(columns)}")
        return [
            (i + 2, {k: (v or "").strip() for k, v in row.items()}) for i, row in enumerate(reader)
        ]


def read_countries(path: Path) -> list[Country]:
    countries = []
    for line, row in _rows(path, ("country", "name", "callme_allowed", "notes")):
        allowed = row["callme_allowed"].lower()
        if allowed not in ("true", "false"):
            raise InventoryError(f"{path}:{line}: callme_allowed must be true or false")
        try:
            code = require_country(row["country"])
        except DomainError as exc:
            raise InventoryError(f"{path}:{line}: {exc.message}") from None
        countries.append(Country(code, row["name"], allowed == "true", row["notes"]))
    return countries


def read_numbers(path: Path) -> list[Did]:
    dids = []
    for line, row in _rows(path, ("e164", "country", "kind")):
        try:
            dids.append(Did(row["e164"], row["country"], NumberKind(row["kind"])))
        except (DomainError, ValueError) as exc:
            raise InventoryError(f"{path}:{line}: {exc}") from None
    return dids


async def sync_inventory(database: Database, numbers_csv: Path, countries_csv: Path) -> None:
    """Make the dids and countries tables say what the files say (idempotent).

    Numbers no longer in the file are deactivated rather than deleted: legs refer to them.
    """
    countries = read_countries(countries_csv)
    dids = read_numbers(numbers_csv)
    known = {c.country for c in countries}
    for did in dids:
        if did.country not in known:
            raise InventoryError(f"{numbers_csv}: {did.e164} is in {did.country}, not listed")
    async with database.connection() as conn, conn.transaction():
        await conn.executemany(
            """INSERT INTO countries (country, name, callme_allowed, notes) VALUES ($1, $2, $3, $4)
               ON CONFLICT (country) DO UPDATE SET name = EXCLUDED.name,
                   callme_allowed = EXCLUDED.callme_allowed, notes = EXCLUDED.notes""",
            [(c.country, c.name, c.callme_allowed, c.notes) for c in countries],
        )
        await conn.executemany(
            """INSERT INTO dids (e164, country, kind, active) VALUES ($1, $2, $3, true)
               ON CONFLICT (e164) DO UPDATE SET country = EXCLUDED.country,
                   kind = EXCLUDED.kind, active = true""",
            [(d.e164, d.country, d.kind.value) for d in dids],
        )
        await conn.execute(
            "UPDATE dids SET active = false WHERE active AND NOT (e164 = ANY($1))",
            [d.e164 for d in dids],
        )
    log.info("inventory synchronised", numbers=len(dids), countries=len(countries))


class DidRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, e164: str) -> Did | None:
        """An active DID by its number."""
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                "SELECT e164, country, kind FROM dids WHERE e164 = $1 AND active", e164
            )
        return Did(r["e164"], r["country"], NumberKind(r["kind"])) if r else None

    async def for_country(self, country: str) -> list[Did]:
        async with self.database.connection() as conn:
            records = await conn.fetch(
                "SELECT e164, country, kind FROM dids WHERE country = $1 AND active"
                " ORDER BY kind, e164",
                country,
            )
        return [Did(r["e164"], r["country"], NumberKind(r["kind"])) for r in records]

    async def country(self, country: str) -> Country | None:
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                "SELECT country, name, callme_allowed, notes FROM countries WHERE country = $1",
                country,
            )
        return Country(r["country"], r["name"], r["callme_allowed"], r["notes"]) if r else None

    async def countries(self) -> list[CountryNumbers]:
        """Every listed country with its active numbers, by country code."""
        async with self.database.connection() as conn:
            records = await conn.fetch(
                """SELECT c.country, c.name, c.callme_allowed, c.notes,
                       coalesce(array_agg(d.e164 ORDER BY d.e164)
                           FILTER (WHERE d.kind = 'toll'), '{}') AS toll,
                       coalesce(array_agg(d.e164 ORDER BY d.e164)
                           FILTER (WHERE d.kind = 'toll_free'), '{}') AS toll_free
                   FROM countries c LEFT JOIN dids d ON d.country = c.country AND d.active
                   GROUP BY c.country ORDER BY c.country"""
            )
        return [
            CountryNumbers(
                Country(r["country"], r["name"], r["callme_allowed"], r["notes"]),
                tuple(r["toll"]),
                tuple(r["toll_free"]),
            )
            for r in records
        ]

    async def tollfree_countries(self) -> frozenset[str]:
        """Countries where at least one active toll-free number exists (rule 7)."""
        async with self.database.connection() as conn:
            records = await conn.fetch(
                "SELECT DISTINCT country FROM dids WHERE kind = 'toll_free' AND active"
            )
        return frozenset(r["country"] for r in records)

    async def numbers(self, countries: frozenset[str] | None, kind: NumberKind) -> list[Did]:
        """Active numbers of ``kind``, in ``countries`` (every country when None)."""
        async with self.database.connection() as conn:
            records = await conn.fetch(
                "SELECT e164, country, kind FROM dids WHERE kind = $1 AND active"
                " AND ($2::text[] IS NULL OR country = ANY($2)) ORDER BY country, e164",
                kind.value,
                None if countries is None else sorted(countries),
            )
        return [Did(r["e164"], r["country"], NumberKind(r["kind"])) for r in records]
