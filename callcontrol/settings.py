"""One typed, frozen settings object, read from TOML with CALLCONTROL_<SECTION>_<KEY> overrides.

Every field is declared once below; the loader coerces and checks it, and any problem becomes a
ConfigError naming the key, so `callcontrol config check` can print one clear line.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

__all__ = [
    "AgiSettings",
    "ApiSettings",
    "CallSettings",
    "ConfigError",
    "DatabaseSettings",
    "HttpSettings",
    "InventorySettings",
    "LockoutSettings",
    "LoggingSettings",
    "PbxNode",
    "Secret",
    "Settings",
    "load_settings",
]


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the key."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "********" if self.value else ""

    def __repr__(self) -> str:
        return "Secret('********')"


def _check(predicate: Callable[[Any], bool], problem: str) -> dict[str, Any]:
    return {"check": (predicate, problem)}


_PORT = _check(lambda v: 0 <= v <= 65535, "must be a port number from 0 to 65535")
_POSITIVE = _check(lambda v: v > 0, "must be greater than 0")
_NON_NEGATIVE = _check(lambda v: v >= 0, "must be 0 or more")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: Secret = Secret("")  # empty: an embedded PostgreSQL in data_dir (pgserver)
    data_dir: Path = Path(".callcontrol/data")
    pool_min: int = field(default=1, metadata=_POSITIVE)
    pool_max: int = field(default=10, metadata=_POSITIVE)
    connect_timeout: float = field(default=5.0, metadata=_POSITIVE)
    command_timeout: float = field(default=10.0, metadata=_POSITIVE)
    flush_interval: float = field(default=0.05, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_PORT)
    max_body_bytes: int = field(default=65536, metadata=_POSITIVE)
    open_paths: tuple[str, ...] = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True, slots=True)
class AgiSettings:
    host: str = "127.0.0.1"
    port: int = field(default=4573, metadata=_PORT)
    command_timeout: float = field(default=15.0, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True)
class CallSettings:
    prestart_idle_timeout: int = field(default=300, metadata=_POSITIVE)
    access_code_attempts: int = field(default=3, metadata=_POSITIVE)
    digit_timeout_ms: int = field(default=10000, metadata=_POSITIVE)
    callme_confirm_digit: str = "1"
    callme_confirm_timeout_ms: int = field(default=10000, metadata=_POSITIVE)
    callme_ring_timeout_ms: int = field(default=30000, metadata=_POSITIVE)
    # ConfBridge sends no event for a lock (keypad *5): how often live conferences are listed.
    lock_poll_s: float = field(
        default=10.0, metadata=_check(lambda v: v >= 1, "must be 1 or more (seconds)")
    )


@dataclass(frozen=True, slots=True)
class LockoutSettings:
    max_failures: int = field(default=5, metadata=_POSITIVE)
    window_s: int = field(default=600, metadata=_POSITIVE)
    lockout_s: int = field(default=900, metadata=_POSITIVE)
    did_delay_step_ms: int = field(default=1000, metadata=_NON_NEGATIVE)
    did_max_delay_ms: int = field(default=10000, metadata=_NON_NEGATIVE)


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    format: str = field(
        default="json",
        metadata=_check(lambda v: v in ("json", "console"), "must be json or console"),
    )
    level: str = field(
        default="info",
        metadata=_check(
            lambda v: v in ("debug", "info", "warning", "error"),
            "must be debug, info, warning or error",
        ),
    )


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
    webhook_secret: Secret = Secret("")
    webhook_timeout_s: float = 5.0
    webhook_poll_interval_s: float = 1.0
    webhook_backoff_base_s: float = 2.0
    webhook_backoff_max_s: float = 600.0
    webhook_batch_size: int = 20


@dataclass(frozen=True, slots=True)
class InventorySettings:
    """Where the DID inventory, the countries and the rates are read from at start."""

    numbers: Path = Path("config/numbers.csv")
    countries: Path = Path("config/countries.csv")
    rates: Path = Path("config/rates.csv")


@dataclass(frozen=True, slots=True)
class PbxNode:
    name: str
    host: str = "127.0.0.1"
    port: int = field(default=5038, metadata=_PORT)
    username: str = "callcontrol"
    secret: Secret = Secret("")
    dial_template: str = "PJSIP/{e164}@trunk"
    ping_interval: float = field(default=5.0, metadata=_POSITIVE)
    connect_timeout: float = field(default=5.0, metadata=_POSITIVE)
    action_timeout: float = field(default=10.0, metadata=_POSITIVE)
    reconnect_max: float = field(default=30.0, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    agi: AgiSettings = AgiSettings()
    calls: CallSettings = CallSettings()
    lockout: LockoutSettings = LockoutSettings()
    logging: LoggingSettings = LoggingSettings()
    api: ApiSettings = ApiSettings()
    inventory: InventorySettings = InventorySettings()
    nodes: tuple[PbxNode, ...] = ()

    @property
    def embedded_database(self) -> bool:
        return not self.database.url.value


_SECTIONS = ("database", "http", "agi", "calls", "lockout", "logging", "api", "inventory")


def _coerce(key: str, raw: Any, kind: Any) -> Any:
    """Turn a TOML value (or an environment string) into the declared type."""
    from_env = isinstance(raw, str)
    if kind is Secret:
        if not isinstance(raw, str):
            raise ConfigError(f"{key}: must be a string")
        return Secret(raw)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if from_env and raw.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return raw.lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{key}: must be true or false (got {raw!r})")
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if from_env and raw.strip().lstrip("-").isdigit():
            return int(raw)
        raise ConfigError(f"{key}: must be a whole number (got {raw!r})")
    if kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if from_env:
            try:
                return float(raw)
            except ValueError:
                pass
        raise ConfigError(f"{key}: must be a number (got {raw!r})")
    if kind is str:
        if isinstance(raw, str):
            return raw
        raise ConfigError(f"{key}: must be a string (got {raw!r})")
    if kind is Path:
        if isinstance(raw, str) and raw:
            return Path(raw)
        raise ConfigError(f"{key}: must be a path (got {raw!r})")
    if get_origin(kind) is tuple and get_args(kind)[0] is str:
        items = [p.strip() for p in raw.split(",") if p.strip()] if from_env else raw
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            return tuple(items)
        raise ConfigError(f"{key}: must be a list of strings (got {raw!r})")
    raise ConfigError(f"{key}: unsupported setting type")  # pragma: no cover - schema bug


def _build(cls: type, key_prefix: str, table: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{key_prefix}: must be a table")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for unknown in sorted(set(table) - names):
        raise ConfigError(f"{key_prefix}.{unknown}: unknown setting")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = f"{key_prefix}.{f.name}"
        env_name = "CALLCONTROL_" + key.replace(".", "_").upper()
        if env_name in env:
            raw: Any = env[env_name]
        elif f.name in table:
            raw = table[f.name]
        elif f.default is dataclasses.MISSING:
            raise ConfigError(f"{key}: required setting is missing")
        else:
            continue
        value = _coerce(key, raw, hints[f.name])
        check = f.metadata.get("check")
        if check is not None and not check[0](value):
            raise ConfigError(f"{key}: {check[1]} (got {raw!r})")
        values[f.name] = value
    return cls(**values)


def settings_from_mapping(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    hints = get_type_hints(Settings)
    for unknown in sorted(set(data) - {*_SECTIONS, "nodes"}):
        raise ConfigError(f"{unknown}: unknown section")
    sections = {name: _build(hints[name], name, data.get(name, {}), env) for name in _SECTIONS}
    raw_nodes = data.get("nodes", [])
    if not isinstance(raw_nodes, list):
        raise ConfigError("nodes: must be an array of tables ([[nodes]])")
    nodes = []
    for index, raw_node in enumerate(raw_nodes):
        name = raw_node.get("name") if isinstance(raw_node, Mapping) else None
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"nodes[{index}].name: must be a name of letters, digits and _")
        # Each node is overridable by its name: CALLCONTROL_NODES_<NAME>_SECRET and so on.
        nodes.append(_build(PbxNode, f"nodes.{name}", raw_node, env))
    if len({n.name for n in nodes}) != len(nodes):
        raise ConfigError("nodes: node names must be unique")
    return Settings(nodes=tuple(nodes), **sections)


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read a TOML file (or only defaults and environment when path is None)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, env)


def with_overrides(settings: Settings, **sections: Any) -> Settings:
    """A copy with whole sections replaced (used by the demo and the tests)."""
    return dataclasses.replace(settings, **sections)
