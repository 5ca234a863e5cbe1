"""`callcontrol usage export --account ID --month YYYY-MM --out FILE.csv`.

Rows stream from a server-side cursor into FILE.csv.part, renamed to FILE.csv only when the
export is complete; a text progress bar goes to stderr. Wire with
``add_usage_commands(subparsers)`` and dispatch ``"usage"`` to ``run_usage_command``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from callcontrol.logsetup import configure_logging
from callcontrol.settings import ConfigError, DatabaseSettings, load_settings

EXIT_USAGE = 2
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_BAR_WIDTH = 30


def add_usage_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    usage = subparsers.add_parser("usage", help="usage reports (billing)")
    usage_sub = usage.add_subparsers(dest="usage_command", required=True, metavar="ACTION")
    export = usage_sub.add_parser("export", help="export an account's usage of a month to CSV")
    export.add_argument("--account", required=True, help="account id")
    export.add_argument("--month", required=True, help="UTC month, YYYY-MM")
    export.add_argument("--out", type=Path, required=True, help="CSV file to write")
    export.add_argument("--config", type=Path, help="TOML settings file (default: embedded)")


def month_range(text: str) -> tuple[int, int]:
    """[first ms, first ms of the next month) of a UTC month given as YYYY-MM."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValueError(f"--month must be YYYY-MM: {text!r}")
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) * 1000, int(end.timestamp()) * 1000


class ProgressBar:
    """`export [#####.....]  50%  500/1000 rows` on a terminal; on a pipe, a line per 10%."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out = total, out
        self.tty = out.isatty()
        self._shown = -1

    def update(self, done: int) -> None:
        percent = 100 if self.total == 0 else done * 100 // self.total
        step = percent if self.tty else percent // 10 * 10
        if step == self._shown:
            return
        self._shown = step
        filled = _BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        text = f"export [{bar}] {percent:3d}%  {done}/{self.total} rows"
        self.out.write(f"\r{text}" if self.tty else f"{text}\n")
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


async def export_csv(
    settings: DatabaseSettings, account_id: str, month: str, out: Path, progress: TextIO
) -> int:
    """Write the month's usage of an account to ``out``; returns the number of leg rows."""
    from callcontrol.service import usage_format as fmt
    from callcontrol.store import usage
    from callcontrol.store.database import Database

    from_ms, to_ms = month_range(month)
    database = Database(settings)
    await database.start()
    part = out.with_name(out.name + ".part")
    try:
        async with database.connection() as conn:
            if not await usage.account_exists(conn, account_id):
                raise LookupError(f"no account {account_id!r}")
            rows = 0
            with part.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\r\n")
                writer.writerow(fmt.CSV_HEADER)
                async with conn.transaction(readonly=True, isolation="repeatable_read"):
                    bar = ProgressBar(
                        await usage.count_usage_lines(conn, account_id, from_ms, to_ms), progress
                    )
                    bar.update(0)
                    async for line in usage.stream_usage_lines(conn, account_id, from_ms, to_ms):
                        writer.writerow(fmt.csv_line_row(line))
                        rows += 1
                        bar.update(rows)
                    for total in await usage.usage_totals(conn, account_id, from_ms, to_ms):
                        writer.writerow(fmt.csv_total_row(total))
                    bar.update(rows)
                    bar.close()
            part.replace(out)
            return rows
    finally:
        part.unlink(missing_ok=True)
        await database.close()


def run_usage_command(args: argparse.Namespace) -> int:
    """Handler for `callcontrol usage ...`; returns the exit code."""
    try:
        settings = load_settings(args.config)
        month_range(args.month)
    except (ConfigError, ValueError) as exc:
        print(f"usage export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Warnings and errors only: the progress bar shares stderr.
    configure_logging(settings.logging.format, "warning")
    try:
        rows = asyncio.run(
            export_csv(settings.database, args.account, args.month, args.out, sys.stderr)
        )
    except LookupError as exc:
        print(f"usage export: {exc.args[0]}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"usage export: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: {rows} legs of account {args.account} for {args.month}")
    return 0
