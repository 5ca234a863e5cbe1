"""Brute-force protection for access codes and organizer PINs, as pure data.

Failures are counted per key in a sliding window. A caller number that fails
``max_failures`` times within ``window_ms`` is locked for ``lockout_ms``. A DID is never
locked (that would lock out every honest caller of the number); instead its callers get
a growing delay before each new attempt. The state is immutable: every function returns
a new one; ``prune`` keeps it small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from callcontrol.domain.errors import InvalidValue


class KeyKind(StrEnum):
    CALLER = "caller"
    DID = "did"


@dataclass(frozen=True, slots=True)
class LockKey:
    kind: KeyKind
    value: str


def caller_key(e164: str) -> LockKey:
    return LockKey(KeyKind.CALLER, e164)


def did_key(e164: str) -> LockKey:
    return LockKey(KeyKind.DID, e164)


@dataclass(frozen=True, slots=True)
class Policy:
    max_failures: int = 5
    window_ms: int = 10 * 60_000
    lockout_ms: int = 15 * 60_000
    did_delay_step_ms: int = 1_000  # each DID failure past the threshold adds this
    did_max_delay_ms: int = 10_000

    def __post_init__(self) -> None:
        if min(self.max_failures, self.window_ms, self.lockout_ms) < 1:
            raise InvalidValue("lockout policy needs max_failures, window and lockout >= 1")
        if self.did_delay_step_ms < 0 or self.did_max_delay_ms < 0:
            raise InvalidValue("DID delays must not be negative")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    failures: tuple[int, ...] = ()  # failure times within the window, oldest first
    locked_until_ms: int | None = None


_EMPTY = KeyRecord()


@dataclass(frozen=True, slots=True)
class LockoutState:
    records: Mapping[LockKey, KeyRecord] = field(default_factory=lambda: MappingProxyType({}))


def _with(state: LockoutState, key: LockKey, record: KeyRecord | None) -> LockoutState:
    records = dict(state.records)
    if record is None:
        records.pop(key, None)
    else:
        records[key] = record
    return LockoutState(MappingProxyType(records))


def _recent(record: KeyRecord, at_ms: int, policy: Policy) -> tuple[int, ...]:
    oldest = at_ms - policy.window_ms
    return tuple(t for t in record.failures if t > oldest)


def locked_until(state: LockoutState, key: LockKey, at_ms: int) -> int | None:
    """When the caller's lock ends, or ``None`` if it is not locked at ``at_ms``."""
    until = state.records.get(key, _EMPTY).locked_until_ms
    return until if until is not None and at_ms < until else None


def is_locked(state: LockoutState, key: LockKey, at_ms: int) -> bool:
    """True if ``key`` (a caller) may not try a code at ``at_ms``. DIDs are never locked."""
    return locked_until(state, key, at_ms) is not None


def record_failure(
    state: LockoutState, key: LockKey, at_ms: int, policy: Policy
) -> tuple[LockoutState, int | None]:
    """Count a wrong code for ``key``; returns the new state and the lock end if the
    caller is now locked (failures during a lock do not extend it). Always ``None`` for a
    DID key, which is slowed down instead (``delay_ms_for``)."""
    record = state.records.get(key, _EMPTY)
    current = locked_until(state, key, at_ms)
    if current is not None:
        return state, current
    failures = (*_recent(record, at_ms, policy), at_ms)
    if key.kind is KeyKind.CALLER and len(failures) >= policy.max_failures:
        until = at_ms + policy.lockout_ms
        return _with(state, key, KeyRecord((), until)), until
    return _with(state, key, KeyRecord(failures)), None


def delay_ms_for(state: LockoutState, did: str, at_ms: int, policy: Policy) -> int:
    """How long to wait before the next attempt on ``did``: 0 below ``max_failures``
    recent failures, then one ``did_delay_step_ms`` more per failure, up to the maximum."""
    recent = _recent(state.records.get(did_key(did), _EMPTY), at_ms, policy)
    over = len(recent) - policy.max_failures + 1
    if over <= 0:
        return 0
    return min(over * policy.did_delay_step_ms, policy.did_max_delay_ms)


def clear(state: LockoutState, key: LockKey) -> LockoutState:
    """Forget ``key``'s failures (a caller who typed a right code). Keeps an active lock."""
    record = state.records.get(key)
    if record is None:
        return state
    if record.locked_until_ms is not None:
        return _with(state, key, KeyRecord((), record.locked_until_ms))
    return _with(state, key, None)


def prune(state: LockoutState, at_ms: int, policy: Policy) -> LockoutState:
    """Drop what can no longer matter: expired locks and failures outside the window."""
    kept: dict[LockKey, KeyRecord] = {}
    for key, record in state.records.items():
        lock = record.locked_until_ms if locked_until(state, key, at_ms) is not None else None
        failures = _recent(record, at_ms, policy)
        if lock is not None or failures:
            kept[key] = KeyRecord(failures, lock)
    return LockoutState(MappingProxyType(kept))
