"""Webhook delivery from the outbox to a real aiohttp receiver on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from callcontrol.service.runtime import http_served
from callcontrol.service.webhooks import WebhookWorker, backoff_s, verify
from callcontrol.settings import Secret
from callcontrol.store import outbox
from callcontrol.store.database import Database
from callcontrol.web.api.config import ApiSettings

SECRET = "whsec-test"


@dataclass
class Receiver:
    fail_first: int = 0
    received: list[dict] = field(default_factory=list)
    attempts: int = 0
    bad_signatures: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts += 1
        ok = verify(
            SECRET,
            request.headers["X-Callcontrol-Timestamp"],
            body,
            request.headers["X-Callcontrol-Signature"],
        )
        if not ok:
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.attempts <= self.fail_first:
            return web.Response(status=500)
        document = json.loads(body)
        assert document["id"] == request.headers["X-Callcontrol-Event-Id"]
        self.received.append(document)
        return web.Response(status=204)


@pytest.fixture
async def receiver_url() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    async with http_served(app, "127.0.0.1", 0) as port:
        yield receiver, f"http://127.0.0.1:{port}/hook"


def _settings(url: str, **changes: object) -> ApiSettings:
    base = ApiSettings(
        webhook_url=url,
        webhook_secret=Secret(SECRET),
        webhook_timeout_s=2.0,
        webhook_poll_interval_s=0.02,
        webhook_backoff_base_s=0.2,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def _row(database: Database, event_id: str) -> dict:
    async with database.connection() as conn:
        r = await conn.fetchrow("SELECT * FROM webhook_outbox WHERE event_id = $1", event_id)
    return dict(r)


async def _until(predicate: Callable[[], Awaitable[bool]], limit_s: float = 10.0) -> None:
    """Poll the database (the outbox has no notification to wait on) until true."""
    async with asyncio.timeout(limit_s):
        while not await predicate():  # noqa: ASYNC110 - polling a table, not an in-process flag
            await asyncio.sleep(0.02)


async def _wait_delivered(database: Database, event_id: str, limit_s: float = 10.0) -> None:
    async def delivered() -> bool:
        return (await _row(database, event_id))["delivered_at"] is not None

    await _until(delivered, limit_s)


async def test_signed_delivery(database: Database, receiver_url: tuple[Receiver, str]) -> None:
    receiver, url = receiver_url
    event_id = await outbox.enqueue_db(
        database, "leg.failed", {"leg_id": "leg-1", "cause": 17, "end_reason": "busy"}
    )
    worker = WebhookWorker(database, _settings(url))
    worker.start()
    try:
        await _wait_delivered(database, event_id)
    finally:
        await worker.stop()
    [document] = receiver.received
    assert document["id"] == event_id
    assert document["type"] == "leg.failed"
    assert document["data"] == {"leg_id": "leg-1", "cause": 17, "end_reason": "busy"}
    assert receiver.bad_signatures == 0
    row = await _row(database, event_id)
    assert row["delivered_at"] is not None
    assert row["attempts"] == 1
    assert await outbox.depth(database) == 0


async def test_fails_twice_then_succeeds(
    database: Database, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.fail_first = 2
    event_id = await outbox.enqueue_db(database, "leg.joined", {"leg_id": "leg-2"})
    worker = WebhookWorker(database, _settings(url))
    worker.start()
    try:
        await _wait_delivered(database, event_id)
    finally:
        await worker.stop()
    assert receiver.attempts == 3
    assert [d["id"] for d in receiver.received] == [event_id]
    assert (await _row(database, event_id))["attempts"] == 3


async def test_restart_mid_retry_loses_nothing(
    database: Database, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.fail_first = 2
    event_id = await outbox.enqueue_db(database, "session.billed", {"session_id": "ses-1"})
    settings = _settings(url, webhook_backoff_base_s=1.0)
    first = WebhookWorker(database, settings)
    first.start()

    async def failed_once() -> bool:
        return (await _row(database, event_id))["attempts"] >= 1

    await _until(failed_once)
    await first.stop()  # the process goes away while the event waits for its retry
    row = await _row(database, event_id)
    assert row["delivered_at"] is None
    assert row["last_error"] == "HTTP 500"
    second = WebhookWorker(database, settings)
    second.start()
    try:
        await _wait_delivered(database, event_id, 15.0)
    finally:
        await second.stop()
    assert [d["id"] for d in receiver.received] == [event_id]
    assert (await _row(database, event_id))["attempts"] == 3


async def test_enqueue_in_a_transaction_and_duplicates(database: Database) -> None:
    async with database.connection() as conn:
        tx = conn.transaction()
        await tx.start()
        await outbox.enqueue(conn, "leg.left", {"leg_id": "x"}, event_id="evt-1")
        await tx.rollback()
    assert await outbox.depth(database) == 0
    await outbox.enqueue_db(database, "leg.left", {"leg_id": "x"}, event_id="evt-1")
    await outbox.enqueue_db(database, "leg.left", {"leg_id": "x"}, event_id="evt-1")
    assert await outbox.depth(database) == 1
    with pytest.raises(ValueError, match="unknown webhook kind"):
        await outbox.enqueue_db(database, "leg.exploded", {})


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, 2.0, 20.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 20.0]


async def test_metrics_report_outbox_depth(database: Database) -> None:
    from tests.api.conftest import start_api

    await outbox.enqueue_db(database, "spend.warning", {"account_id": "a"})
    async for api in start_api(database, None):
        metrics = await api.call("GET", "/metrics", role=None)
    assert "callcontrol_webhook_outbox_depth 1.0" in metrics.body
    assert "callcontrol_db_pool_in_use" in metrics.body
    for name in (
        "callcontrol_live_legs",
        "callcontrol_ami_events",
        "callcontrol_ivr_decision_seconds",
    ):
        assert f"# TYPE {name}" in metrics.body
