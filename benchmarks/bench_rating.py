"""Rating throughput in the domain, and ledger write throughput into PostgreSQL.

1. Rating: ``rate_leg`` over N ended legs (default 1,000,000: a mix of toll, toll-free and
   Call Me legs in 18 countries, 0 to 2 h long, some unanswered, some in cancelled sessions)
   with the rates of ``config/rates.csv``, one thread; best of ``--runs``.
2. Writing: the same N charges into ``ledger_lines`` through ``ledger.append_first_charges``
   (one COPY straight into the table per batch) with every constraint and trigger of the
   table on; timed from the charges in memory to the last committed line.

Uses DATABASE_URL when set (a fresh database is created there and dropped), else starts an
embedded PostgreSQL. Run from the repository root: ``python -m benchmarks.bench_rating``.
Prints one JSON line; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from callcontrol.domain.legs import EndReason, Leg, LegKind, LegRole, LegState
from callcontrol.domain.rating import Charge, Increment, RateBook, rate_leg
from callcontrol.domain.rules import session_billing_outcome
from callcontrol.domain.sessions import Session, SessionState
from callcontrol.logsetup import configure_logging
from callcontrol.store import ledger
from callcontrol.store.database import connect_kwargs
from callcontrol.store.embedded import EmbeddedPostgres
from callcontrol.store.migrations import migrate
from callcontrol.store.rates import read_rates_file

RATE_TARGET = 200_000  # legs/s
WRITE_TARGET = 50_000  # lines/s
RATES = Path(__file__).resolve().parents[1] / "config" / "rates.csv"
T0 = 1_717_408_800_000  # 2024-06-03 10:00 UTC


def make_sessions(count: int) -> list[Session]:
    sessions = []
    for i in range(count):
        state = {0: SessionState.CANCELLED}.get(i % 20, SessionState.ENDED)
        started = None if state is SessionState.CANCELLED else T0
        sessions.append(
            Session(
                f"s{i}",
                "acc-bench",
                "org",
                "bench",
                T0,
                f"{100000000 + i}",
                "1234",
                state=state,
                started_at_ms=started,
                ended_at_ms=T0 + 7_200_000 if started else None,
                cancelled_at_ms=None if started else T0,
            )
        )
    return sessions


def make_legs(count: int, sessions: list[Session], countries: list[str]) -> list[Leg]:
    rng = random.Random(42)
    kinds = [LegKind.TOLL] * 3 + [LegKind.TOLLFREE] * 5 + [LegKind.CALLME] * 2
    # About four calls per caller number: the ledger masks each number it stores.
    callers = [f"+336{n:08d}" for n in rng.sample(range(10**8), max(1, count // 4))]
    legs = []
    for i in range(count):
        answered = T0 + rng.randrange(3_600_000)
        unanswered = rng.random() < 0.05
        legs.append(
            Leg(
                f"leg-{i:07d}",
                rng.choice(kinds),
                "pbx1",
                answered - 3_000,
                sessions[i % len(sessions)].session_id,
                LegRole.ATTENDEE,
                rng.choice(countries),
                rng.choice(callers),
                state=LegState.ENDED,
                answered_at_ms=None if unanswered else answered,
                ended_at_ms=answered + rng.randrange(7_200_000),
                end_reason=EndReason.NO_ANSWER if unanswered else EndReason.CALLER_HANGUP,
            )
        )
    return legs


def rate_all(pairs: list[tuple[Leg, Session]], book: RateBook, inc: Increment) -> list[Charge]:
    return [rate_leg(leg, session, book, inc) for leg, session in pairs]


async def write_all(dsn: str, rated: list[ledger.Rated], batch: int) -> float:
    """Seconds to write every line into a fresh, migrated database."""
    admin = await asyncpg.connect(**connect_kwargs(dsn), timeout=10)  # type: ignore[arg-type]
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        conn = await asyncpg.connect(**connect_kwargs(_database(dsn, name)), timeout=10)  # type: ignore[arg-type]
        try:
            await migrate(conn)
            await conn.execute(
                "INSERT INTO accounts (account_id, plan, billing_mode, billing_contact_user_id) "
                "VALUES ('acc-bench', 'pro', 'online', 'u')"
            )
            start = time.perf_counter()
            written = 0
            for i in range(0, len(rated), batch):
                written += await ledger.append_first_charges(conn, rated[i : i + batch])
            elapsed = time.perf_counter() - start
            stored = await conn.fetchval("SELECT count(*) FROM ledger_lines")
            if written != len(rated) or stored != len(rated):
                raise RuntimeError(f"wrote {written}, stored {stored}, expected {len(rated)}")
            return elapsed
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def _database(dsn: str, name: str) -> str:
    kwargs = connect_kwargs(dsn)
    if "dsn" in kwargs:
        from urllib.parse import urlparse

        return urlparse(dsn)._replace(path=f"/{name}").geturl()
    return f"postgresql://{kwargs['user']}@/{name}?host={kwargs['host']}"


async def run_writes(rated: list[ledger.Rated], batch: int) -> float:
    dsn = os.environ.get("DATABASE_URL")
    if dsn:
        return await write_all(dsn, rated, batch)
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as data_dir:
        embedded = EmbeddedPostgres(Path(data_dir))
        dsn = await embedded.start()
        try:
            return await write_all(dsn, rated, batch)
        finally:
            await embedded.stop()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--increment", default="60/60")
    opts = parser.parse_args(argv)
    configure_logging("console", "warning")
    logging.getLogger("asyncpg").setLevel(logging.WARNING)

    load_before = os.getloadavg()[0]
    rates = read_rates_file(RATES)
    book = RateBook.of(rates)
    first, _, step = opts.increment.partition("/")
    inc = Increment(int(first), int(step))
    sessions = make_sessions(1000)
    by_id = {s.session_id: s for s in sessions}
    legs = make_legs(opts.legs, sessions, sorted({r.country for r in rates}))
    pairs = [(leg, by_id[leg.session_id or ""]) for leg in legs]

    # The million-leg fixture is long-lived: keep the collector from rescanning it, as a
    # service's own long-lived objects would be (the collector stays on).
    gc.collect()
    gc.freeze()
    times = []
    charges: list[Charge] = []
    for _ in range(opts.runs):
        charges = []
        gc.collect()
        start = time.perf_counter()
        charges = rate_all(pairs, book, inc)
        times.append(time.perf_counter() - start)
    rate_lps = opts.legs / min(times)

    outcomes = {s.session_id: session_billing_outcome(s) for s in sessions}
    rated = [
        ledger.Rated(c, leg, outcomes[c.session_id]) for c, leg in zip(charges, legs, strict=True)
    ]
    gc.collect()
    gc.freeze()
    write_s = asyncio.run(run_writes(rated, opts.batch))
    write_lps = opts.legs / write_s

    result = {
        "bench": "rating",
        "legs": opts.legs,
        "increment": opts.increment,
        "rate_legs_per_s": round(rate_lps),
        "rate_runs_s": [round(t, 3) for t in times],
        "write_lines_per_s": round(write_lps),
        "write_s": round(write_s, 3),
        "write_batch": opts.batch,
        "billed_amount": str(sum((c.amount for c in charges), start=charges[0].amount * 0)),
        "targets": {"rate_legs_per_s": RATE_TARGET, "write_lines_per_s": WRITE_TARGET},
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded",
        # Other work on the machine slows both numbers: the 1-minute load average, as seen.
        "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
    }
    print(json.dumps(result))
    return 0 if rate_lps >= RATE_TARGET and write_lps >= WRITE_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
