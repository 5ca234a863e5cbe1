"""The asyncpg pool, with explicit timeouts, over an external or an embedded PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlparse

import asyncpg

from callcontrol.logsetup import get_logger
from callcontrol.settings import DatabaseSettings
from callcontrol.store.embedded import EmbeddedPostgres

log = get_logger(__name__)
_CLOSE_WAIT_S = 10.0

# What a database call may raise when the server is away or refuses: callers catch these.
DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


def connect_kwargs(dsn: str) -> dict[str, object]:
    """asyncpg does not read `?host=/socket/dir` from a URI the way libpq does; pass it along."""
    parsed = urlparse(dsn)
    query = parse_qs(parsed.query)
    kwargs: dict[str, object] = {"dsn": dsn}
    if "host" in query and not parsed.hostname:
        kwargs = {
            "host": query["host"][0],
            "user": parsed.username or "postgres",
            "password": parsed.password or None,
            "database": parsed.path.lstrip("/") or "postgres",
        }
    return kwargs


class Database:
    """Owns the pool (and the embedded server when there is no URL)."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self.pool: asyncpg.Pool | None = None
        self.dsn: str = settings.url.value
        self._embedded: EmbeddedPostgres | None = None

    async def start(self) -> None:
        if not self.dsn:
            self._embedded = EmbeddedPostgres(self.settings.data_dir)
            self.dsn = await self._embedded.start()
        self.pool = await asyncpg.create_pool(
            **connect_kwargs(self.dsn),
            min_size=self.settings.pool_min,
            max_size=self.settings.pool_max,
            timeout=self.settings.connect_timeout,
            command_timeout=self.settings.command_timeout,
        )

    async def close(self) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            try:
                # close() waits for every connection to be released; do not wait forever.
                await asyncio.wait_for(pool.close(), _CLOSE_WAIT_S)
            except TimeoutError:
                log.warning("database pool did not close in time; terminating it")
                pool.terminate()
        if self._embedded is not None:
            embedded, self._embedded = self._embedded, None
            await embedded.stop()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self.pool is None:
            raise RuntimeError("database is not started")
        async with self.pool.acquire(timeout=self.settings.connect_timeout) as conn:
            yield conn

    async def ping(self) -> bool:
        """True when a trivial query answers within the connect timeout."""
        if self.pool is None:
            return False
        try:
            async with self.connection() as conn:
                await conn.fetchval("SELECT 1", timeout=self.settings.connect_timeout)
        except DATABASE_ERRORS as exc:
            log.warning("database ping failed", error=str(exc))
            return False
        return True
