"""Webhook delivery from the persisted outbox: signed, at least once, with backoff.

Each event is POSTed as JSON ``{"id", "type", "created_at", "data"}`` with
``X-Callcontrol-Event-Id``, ``X-Callcontrol-Timestamp`` (Unix seconds) and
``X-Callcontrol-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``. Any 2xx answer
delivers the event; anything else (or no answer within the timeout) retries it after an
exponential backoff kept in the database, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from callcontrol.logsetup import bound, get_logger
from callcontrol.metrics import WEBHOOK_DELIVERIES
from callcontrol.store import outbox
from callcontrol.store.database import DATABASE_ERRORS, Database
from callcontrol.store.outbox import OutboxEvent
from callcontrol.web.api.config import ApiSettings

log = get_logger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Wait before the next try after ``attempts`` failed tries: base, 2 base, 4 base, ..."""
    return float(min(max_s, base_s * 2.0 ** max(0, attempts - 1)))


def encode(event: OutboxEvent) -> bytes:
    document = {
        "id": event.event_id,
        "type": event.kind,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), default=str).encode("utf-8")


class WebhookWorker:
    """Owns one delivery task; ``stop`` cancels it (events in flight are sent again later)."""

    def __init__(self, database: Database, settings: ApiSettings) -> None:
        self.database = database
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if not self.settings.webhook_url:
            log.info("no webhook url configured; events stay in the outbox")
            return
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    def nudge(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            while True:
                try:
                    sent = await self.deliver_due(client)
                except DATABASE_ERRORS as exc:
                    log.error("outbox not readable; will retry", error=str(exc))
                    sent = 0
                if sent == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._wake.wait(), self.settings.webhook_poll_interval_s
                        )

    async def deliver_due(self, client: aiohttp.ClientSession) -> int:
        """Try every due event once; returns how many were tried."""
        lease = self.settings.webhook_timeout_s * 2 + 5
        events = await outbox.claim_due(self.database, self.settings.webhook_batch_size, lease)
        for event in events:
            with bound(event_id=event.event_id):
                await self._deliver(client, event)
        return len(events)

    async def _deliver(self, client: aiohttp.ClientSession, event: OutboxEvent) -> None:
        body = encode(event)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Callcontrol-Event-Id": event.event_id,
            "X-Callcontrol-Timestamp": timestamp,
            "X-Callcontrol-Signature": sign(self.settings.webhook_secret.value, timestamp, body),
        }
        error = None
        try:
            async with client.post(self.settings.webhook_url, data=body, headers=headers) as r:
                await r.read()
                if not 200 <= r.status < 300:
                    error = f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            await outbox.mark_delivered(self.database, event.id)
            WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()
            log.info("webhook delivered", kind=event.kind, attempts=event.attempts + 1)
            return
        retry_in = backoff_s(
            event.attempts + 1,
            self.settings.webhook_backoff_base_s,
            self.settings.webhook_backoff_max_s,
        )
        await outbox.mark_failed(self.database, event.id, retry_in, error)
        WEBHOOK_DELIVERIES.labels(outcome="failed").inc()
        log.warning("webhook failed; will retry", kind=event.kind, error=error, retry_in_s=retry_in)


@asynccontextmanager
async def webhooks_running(
    database: Database, settings: ApiSettings
) -> AsyncIterator[WebhookWorker]:
    """Run a worker for the duration of the block (the service wires this at start)."""
    worker = WebhookWorker(database, settings)
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
