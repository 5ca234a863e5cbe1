"""The command line, run as a user runs it: a real process, real exit codes, a real database."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcontrol.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "demo", "migrate", "config"):
        assert command in result.stdout


def test_config_check_accepts_the_example() -> None:
    result = run_cli("config", "check", "config/callcontrol.toml")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_config_check_broken_file_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[http]\nport = "eighty"\n[database]\nurl = "postgresql://u:hunter2@h/db"\n')
    result = run_cli("config", "check", str(bad))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["config error: http.port: must be a whole number (got 'eighty')"]
    assert "hunter2" not in result.stdout + result.stderr


def test_migrate_twice_changes_nothing_the_second_time(db_url: str) -> None:
    env = {"CALLCONTROL_DATABASE_URL": db_url}
    # The test database is already migrated from the template: reset it to empty first.
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert "applied" not in second.stdout


def test_migrate_applies_to_an_empty_database(pg_server: str) -> None:
    import asyncio
    import uuid

    import asyncpg

    from callcontrol.store.database import connect_kwargs
    from tests.conftest import _with_database

    name = f"cc_empty_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(**connect_kwargs(pg_server))  # type: ignore[arg-type]
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        env = {"CALLCONTROL_DATABASE_URL": _with_database(pg_server, name)}
        first = run_cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        assert "applied 0001_core" in first.stdout
        second = run_cli("migrate", env=env)
        assert "up to date" in second.stdout
    finally:
        asyncio.run(admin(f"DROP DATABASE {name} WITH (FORCE)"))
