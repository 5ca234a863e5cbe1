"""Shared fixtures: a real PostgreSQL (embedded pgserver, or DATABASE_URL), one database a test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from callcontrol.settings import DatabaseSettings, Secret
from callcontrol.store.database import Database, connect_kwargs
from callcontrol.store.embedded import EmbeddedPostgres
from callcontrol.store.migrations import migrate

TEMPLATE = "cc_test_template"
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CALLCONTROL_SHARED", REPO.parent / "shared"))


def _with_database(dsn: str, name: str) -> str:
    """The same server, another database name (works for socket and TCP URIs)."""
    kwargs = connect_kwargs(dsn)
    if "dsn" in kwargs:
        from urllib.parse import urlparse

        return urlparse(dsn)._replace(path=f"/{name}").geturl()
    host, user = kwargs["host"], kwargs["user"]
    return f"postgresql://{user}@/{name}?host={host}"


@pytest.fixture(scope="session")
async def pg_server() -> AsyncIterator[str]:
    """DSN of a server holding a migrated template database."""
    external = os.environ.get("DATABASE_URL")
    embedded = None
    # Outside pytest's basetemp, which a concurrent pytest run may prune under us.
    data_dir = Path(tempfile.mkdtemp(prefix="callcontrol-test-pg-"))
    if external:
        dsn = external
    else:
        embedded = EmbeddedPostgres(data_dir)
        dsn = await embedded.start()
    admin = await asyncpg.connect(**connect_kwargs(dsn), timeout=10)  # type: ignore[arg-type]
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        conn = await asyncpg.connect(**connect_kwargs(_with_database(dsn, TEMPLATE)), timeout=10)  # type: ignore[arg-type]
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield dsn
    finally:
        await admin.close()
        if embedded is not None:
            await embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def db_url(pg_server: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(**connect_kwargs(pg_server), timeout=10)  # type: ignore[arg-type]
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        yield _with_database(pg_server, name)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database(DatabaseSettings(url=Secret(db_url), pool_max=5))
    await db.start()
    try:
        yield db
    finally:
        await db.close()
