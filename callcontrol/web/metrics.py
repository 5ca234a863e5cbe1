"""Prometheus metrics of the whole service, in one registry, served at /metrics.

Other parts import the metric objects from here (the AMI client counts events, call control
keeps LIVE_LEGS, the IVR times its decisions). Gauges that mirror the database (outbox depth,
pool use) are refreshed when /metrics is scraped.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from callcontrol.logsetup import get_logger
from callcontrol.store import outbox
from callcontrol.web.keys import DATABASE

log = get_logger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

AMI_EVENTS = Counter(
    "callcontrol_ami_events", "AMI events received", ["node", "event"], registry=REGISTRY
)
AMI_RECONNECTS = Counter(
    "callcontrol_ami_reconnects", "AMI reconnections", ["node"], registry=REGISTRY
)
LIVE_LEGS = Gauge(
    "callcontrol_live_legs",
    "Legs not ended, by kind and state",
    ["kind", "state"],
    registry=REGISTRY,
)
NEW_CALLS = Counter("callcontrol_new_calls", "Legs created, by kind", ["kind"], registry=REGISTRY)
IVR_DECISION_SECONDS = Histogram(
    "callcontrol_ivr_decision_seconds",
    "Time from access code entered to routing decision",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
CALLME_REFUSALS = Counter(
    "callcontrol_callme_refusals", "Call Me requests refused, by code", ["code"], registry=REGISTRY
)
WEBHOOK_OUTBOX_DEPTH = Gauge(
    "callcontrol_webhook_outbox_depth", "Webhook events not delivered yet", registry=REGISTRY
)
WEBHOOK_DELIVERIES = Counter(
    "callcontrol_webhook_deliveries",
    "Webhook delivery attempts, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
DB_POOL_IN_USE = Gauge(
    "callcontrol_db_pool_in_use", "Database connections checked out", registry=REGISTRY
)
DB_POOL_SIZE = Gauge("callcontrol_db_pool_size", "Database connections open", registry=REGISTRY)
LOCKOUTS = Counter(
    "callcontrol_lockouts",
    "Brute-force lockouts, by kind (caller, did)",
    ["kind"],
    registry=REGISTRY,
)

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    database = request.app[DATABASE]
    pool = database.pool
    if pool is not None:
        DB_POOL_SIZE.set(pool.get_size())
        DB_POOL_IN_USE.set(pool.get_size() - pool.get_idle_size())
    try:
        WEBHOOK_OUTBOX_DEPTH.set(await outbox.depth(database))
    except (
        OSError,
        TimeoutError,
        RuntimeError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        # A scrape must still answer when the database is away; the gauge keeps its last value.
        log.warning("outbox depth not read", error=str(exc))
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
