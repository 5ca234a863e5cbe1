"""/healthz and /readyz over real HTTP, with a real database that we can take away."""

import aiohttp

from callcontrol.service.runtime import http_served
from callcontrol.settings import DatabaseSettings, HttpSettings, Secret, Settings
from callcontrol.store.database import Database
from callcontrol.web.app import create_app

_TIMEOUT = aiohttp.ClientTimeout(10)


async def _get(port: int, path: str) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{port}{path}"
    async with aiohttp.ClientSession() as client, client.get(url, timeout=_TIMEOUT) as r:
        return r.status, await r.json()


async def test_ready_when_database_and_nodes_answer(database: Database) -> None:
    async def node_up() -> tuple[bool, str]:
        return True, "connected"

    app = create_app(Settings(), database, probes={"node:pbx1": node_up})
    async with http_served(app, "127.0.0.1", 0) as port:
        assert await _get(port, "/healthz") == (200, {"status": "ok"})
        status, body = await _get(port, "/readyz")
    assert status == 200
    assert body["down"] == []
    assert body["checks"]["node:pbx1"]["ok"] is True


async def test_not_ready_names_the_part_that_is_down(database: Database) -> None:
    async def node_down() -> tuple[bool, str]:
        return False, "AMI disconnected"

    app = create_app(Settings(), database, probes={"node:pbx2": node_down})
    async with http_served(app, "127.0.0.1", 0) as port:
        status, body = await _get(port, "/readyz")
    assert status == 503
    assert body["down"] == ["node:pbx2"]
    assert body["checks"]["node:pbx2"]["detail"] == "AMI disconnected"


async def test_not_ready_when_database_is_gone(db_url: str) -> None:
    database = Database(DatabaseSettings(url=Secret(db_url), connect_timeout=1.0))
    await database.start()
    app = create_app(Settings(http=HttpSettings(port=0)), database)
    async with http_served(app, "127.0.0.1", 0) as port:
        await database.close()  # the database goes away under a running service
        status, body = await _get(port, "/readyz")
        health_status, _ = await _get(port, "/healthz")
    assert status == 503
    assert body["down"] == ["database"]
    assert health_status == 200
