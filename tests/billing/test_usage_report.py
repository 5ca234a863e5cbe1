"""GET /v1/accounts/{id}/usage over real HTTP (JSON and CSV), and the CLI export."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from callcontrol.domain.legs import LegKind
from callcontrol.domain.sessions import SessionState
from callcontrol.service.runtime import http_served
from callcontrol.service.usage_format import CSV_HEADER
from callcontrol.store.database import Database
from callcontrol.web.api import usage as usage_api
from callcontrol.web.api.errors import errors_middleware
from callcontrol.web.keys import DATABASE

from .support import MIN, REPO, T0, billing_for, ended, leg, session, setup

_TIMEOUT = aiohttp.ClientTimeout(10)
RANGE = "from=2024-06-01&to=2024-07-01"


async def _billed(database: Database) -> None:
    legs = [
        leg("tf", ended_at_ms=T0 + 90_000),
        leg("cm", LegKind.CALLME, ended_at_ms=T0 + 45_000, caller_e164="+14155550123"),
        leg("toll", LegKind.TOLL, ended_at_ms=T0 + 30 * MIN),
        leg("us", country="US", ended_at_ms=T0 + 61_000, session_id="ses-2"),
        leg("void", ended_at_ms=T0 + MIN, session_id="ses-3"),
    ]
    cancelled = session("ses-3", state=SessionState.CANCELLED, cancelled_at_ms=T0 + 2 * MIN)
    sessions = [ended(), ended("ses-2"), cancelled]
    await setup(database, sessions=sessions, legs=legs)
    billing = await billing_for(database)
    for x in legs:
        s = {"ses-1": sessions[0], "ses-2": sessions[1], "ses-3": cancelled}[x.session_id or ""]
        await billing.on_leg_ended(x, s)


async def _get(database: Database, path: str) -> tuple[int, str, str]:
    app = web.Application(middlewares=[errors_middleware])
    app[DATABASE] = database
    app.add_routes(usage_api.routes)
    async with (
        http_served(app, "127.0.0.1", 0) as port,
        aiohttp.ClientSession(timeout=_TIMEOUT) as client,
        client.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.content_type, await response.text()


async def test_json_report_groups_per_session_with_totals(database: Database) -> None:
    await _billed(database)
    status, _, text = await _get(database, f"/v1/accounts/acc-1/usage?{RANGE}")
    assert status == 200
    body = json.loads(text)
    sessions = {s["session_id"]: s for s in body["sessions"]}
    assert sessions.keys() == {"ses-1", "ses-2", "ses-3"}
    legs = {x["leg_id"]: x for s in body["sessions"] for x in s["legs"]}
    assert legs["cm"] == {
        "leg_id": "cm",
        "revision": 1,
        "caller": "+1 4 ••• ••• •23",
        "kind": "callme",
        "country": "FR",
        "role": "attendee",
        "answered_at": "2024-06-03T10:00:00.000Z",
        "ended_at": "2024-06-03T10:00:45.000Z",
        "end_reason": "caller_hangup",
        "seconds": 45,
        "increment": "60/60",
        "billed_seconds": 60,
        "rounded_minutes": "1.0000",
        "rate_per_minute": "0.055000",
        "currency": "USD",
        "rate_version": "2024-01",
        "cost": "0.0550",
        "rule": "billed_answer_to_end",
        "estimated": False,
    }
    assert legs["toll"]["seconds"] == 1800 and legs["toll"]["cost"] == "0.0000"
    assert legs["void"]["rule"] == "void_cancelled_never_started"
    assert sessions["ses-1"]["cost"] == {"USD": "0.1750"}  # 2 min x 0.06 + 0.055
    assert body["cost"] == {"USD": "0.2450"}  # + 2 min x 0.035
    by = {(t["kind"], t["country"]): t for t in body["totals"]}
    assert by[("tollfree", "FR")]["legs"] == 2 and by[("tollfree", "FR")]["cost"] == "0.1200"
    assert by[("toll", "FR")]["seconds"] == 1800
    assert sum(Decimal(t["cost"]) for t in body["totals"]) == Decimal("0.2450")


async def test_csv_report_has_the_same_lines_and_totals(database: Database) -> None:
    await _billed(database)
    status, content_type, text = await _get(
        database, f"/v1/accounts/acc-1/usage?{RANGE}&format=csv"
    )
    assert (status, content_type) == (200, "text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == CSV_HEADER
    legs = [r for r in rows if r["record"] == "leg"]
    totals = [r for r in rows if r["record"] == "total"]
    assert sorted(r["leg_id"] for r in legs) == ["cm", "tf", "toll", "us", "void"]
    line_sum = sum(Decimal(r["cost"]) for r in legs)
    assert line_sum == sum(Decimal(r["cost"]) for r in totals) == Decimal("0.2450")


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        pytest.param("to=2024-07-01", 400, "invalid_parameter", "from", id="from missing"),
        pytest.param("from=2024-06-01&to=June", 400, "invalid_parameter", "to", id="bad to"),
        pytest.param("from=2024-06-01&to=2024-06-01", 400, "invalid_parameter", "to", id="empty"),
        pytest.param(
            "from=2024-06-01T00:00:00&to=2024-07-01", 400, "invalid_parameter", "from", id="no zone"
        ),
        pytest.param(f"{RANGE}&format=xml", 400, "invalid_parameter", "format", id="format"),
    ],
)
async def test_bad_query_gets_the_standard_error(
    database: Database, query: str, status: int, code: str, field: str
) -> None:
    await setup(database)
    got, _, text = await _get(database, f"/v1/accounts/acc-1/usage?{query}")
    assert got == status
    error = json.loads(text)["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


async def test_unknown_account_is_404(database: Database) -> None:
    await setup(database)
    status, _, text = await _get(database, f"/v1/accounts/nobody/usage?{RANGE}")
    assert status == 404 and '"account_not_found"' in text


def _export(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import argparse, sys; from callcontrol.cli_usage import add_usage_commands, "
        "run_usage_command; p = argparse.ArgumentParser(); "
        "add_usage_commands(p.add_subparsers(dest='command')); "
        "sys.exit(run_usage_command(p.parse_args(sys.argv[1:])))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "usage", "export", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **env},
    )


async def test_cli_export_writes_the_month_with_a_progress_bar(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    await _billed(database)
    out = tmp_path / "june.csv"
    env = {"CALLCONTROL_DATABASE_URL": db_url}
    result = _export("--account", "acc-1", "--month", "2024-06", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert "5 legs" in result.stdout
    assert "100%  5/5 rows" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sum(Decimal(r["cost"]) for r in rows if r["record"] == "leg") == Decimal("0.2450")
    assert not (tmp_path / "june.csv.part").exists()

    empty = _export("--account", "acc-1", "--month", "2024-05", "--out", str(out), env=env)
    assert empty.returncode == 0 and "0 legs" in empty.stdout

    bad = _export("--account", "acc-1", "--month", "2024-13", "--out", str(out), env=env)
    assert bad.returncode == 2 and "--month must be YYYY-MM" in bad.stderr
    unknown = _export("--account", "nobody", "--month", "2024-06", "--out", str(out), env=env)
    assert unknown.returncode == 1 and "no account 'nobody'" in unknown.stderr
