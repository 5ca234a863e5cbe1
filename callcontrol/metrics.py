"""The service's Prometheus metrics, in one registry (served by web/metrics at /metrics).

Call control, the AMI links, the IVR and the API import the metric objects from here.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
