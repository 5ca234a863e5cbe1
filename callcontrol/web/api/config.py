"""Settings of the HTTP API, Call Me fraud limits and webhooks: the `[api]` section."""

from callcontrol.settings import DEFAULT_HIGH_RISK_PREFIXES, ApiSettings

__all__ = ["DEFAULT_HIGH_RISK_PREFIXES", "ApiSettings"]
