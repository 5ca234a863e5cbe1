"""Rates: the shipped config/rates.csv, refusals that name the line, publishing once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from callcontrol.domain.legs import LegKind
from callcontrol.domain.rating import RateBook, pick_rate
from callcontrol.store import rates
from callcontrol.store.database import Database

from .support import RATES_CSV, T0

HEADER = "country,kind,per_minute,currency,version,effective_from\n"


def test_shipped_rates_parse_and_cover_both_kinds() -> None:
    parsed = rates.read_rates_file(RATES_CSV)
    book = RateBook.of(parsed)
    assert {r.kind for r in parsed} == {LegKind.TOLLFREE, LegKind.CALLME}
    assert pick_rate(book, "FR", LegKind.TOLLFREE, T0).per_minute == Decimal("0.0600")
    assert pick_rate(book, "FR", LegKind.TOLLFREE, T0 + 400 * 86_400_000).version == "2025-01"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            "FR,toll,0.01,USD,v1,2024-01-01\n", ":2: toll legs are never billed", id="toll"
        ),
        pytest.param("FR,tollfree,abc,USD,v1,2024-01-01\n", ":2: per_minute", id="not a number"),
        pytest.param("FR,tollfree,NaN,USD,v1,2024-01-01\n", ":2: per_minute", id="NaN"),
        pytest.param(
            "FR,tollfree,0.0000001,USD,v1,2024-01-01\n", ":2: per_minute", id="7 decimals"
        ),
        pytest.param("FR,tollfree,-1,USD,v1,2024-01-01\n", ":2: per-minute price", id="negative"),
        pytest.param("FR,tollfree,0.01,usd,v1,2024-01-01\n", ":2: not an ISO 4217", id="currency"),
        pytest.param("FR,tollfree,0.01,USD,v1,01/01/2024\n", ":2: effective_from", id="date"),
        pytest.param("FR,tollfree,0.01,USD,,2024-01-01\n", ":2: version is empty", id="no version"),
        pytest.param("FR,tollfree,0.01,USD\n", ":2: expected 6 columns", id="short row"),
        pytest.param("Fr,tollfree,0.01,USD,v1,2024-01-01\n", ":2: not an ISO 3166", id="country"),
        pytest.param(
            "FR,tollfree,0.01,USD,v1,2024-01-01\nFR,tollfree,0.02,USD,v2,2024-01-01\n",
            ":3: same country, kind and effective_from as line 2",
            id="duplicate",
        ),
    ],
)
def test_bad_rows_are_refused_naming_the_line(body: str, message: str) -> None:
    with pytest.raises(rates.RatesFileError, match=re.escape(message)):
        rates.parse_rates(HEADER + body, "r.csv")


def test_bad_header_is_refused() -> None:
    with pytest.raises(rates.RatesFileError, match=r"r\.csv:2: header must be"):
        rates.parse_rates("# comment\ncountry,kind,price\n", "r.csv")


async def test_publishing_twice_inserts_once(database: Database) -> None:
    parsed = rates.read_rates_file(RATES_CSV)
    async with database.connection() as conn:
        first = await rates.publish(conn, parsed)
        second = await rates.publish(conn, parsed)
        stored = await rates.all_rates(conn)
    assert (first.inserted, first.unchanged) == (len(parsed), 0)
    assert (second.inserted, second.unchanged) == (0, len(parsed))
    assert RateBook.of(stored)._index.keys() == RateBook.of(parsed)._index.keys()


async def test_a_published_rate_cannot_change(database: Database) -> None:
    original = rates.parse_rates(HEADER + "FR,tollfree,0.06,USD,v1,2024-01-01\n")
    changed = rates.parse_rates(HEADER + "FR,tollfree,0.07,USD,v1,2024-01-01\n")
    later = rates.parse_rates(HEADER + "FR,tollfree,0.07,USD,v2,2024-06-01\n")
    async with database.connection() as conn:
        await rates.publish(conn, original)
        with pytest.raises(rates.RatesFileError, match=r"already published as 0\.060000 USD"):
            await rates.publish(conn, changed)
        assert (await rates.publish(conn, original + later)).inserted == 1
        assert len(await rates.all_rates(conn)) == 2
