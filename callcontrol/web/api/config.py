"""Settings of the HTTP API, Call Me fraud limits and webhooks (to become a settings section).

Frozen and defaulted like the sections of callcontrol.settings, so the lead can move it into
``Settings`` as ``[api]`` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcontrol.settings import Secret

# International networks and satellite services: expensive, favourite targets of call fraud.
DEFAULT_HIGH_RISK_PREFIXES = ("+870", "+881", "+882", "+883", "+888", "+979", "+991")


@dataclass(frozen=True, slots=True)
class ApiSettings:
    # Call Me rate limits: at most N requests accepted in a sliding window of W seconds.
    callme_per_session: int = 30
    callme_per_session_window_s: int = 60
    callme_per_account: int = 120
    callme_per_account_window_s: int = 60
    callme_per_destination: int = 3
    callme_per_destination_window_s: int = 3600
    callme_max_concurrent_per_session: int = 50
    high_risk_prefixes: tuple[str, ...] = DEFAULT_HIGH_RISK_PREFIXES
    # How long a request waits for a concurrent one holding the same Idempotency-Key.
    idempotency_wait_s: float = 10.0
    # Webhooks: an empty URL keeps events in the outbox until one is configured.
    webhook_url: str = ""
    webhook_secret: Secret = Secret("")  # noqa: RUF009 - Secret is frozen
    webhook_timeout_s: float = 5.0
    webhook_poll_interval_s: float = 1.0
    webhook_backoff_base_s: float = 2.0
    webhook_backoff_max_s: float = 600.0
    webhook_batch_size: int = 20
