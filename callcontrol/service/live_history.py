"""An hour of per-minute counters for the dashboard charts, fed by the live hub.

The hub hands every leg and metric change here with the previous value, so each counter is
updated in O(1) without scanning the legs: concurrent legs by kind (the peak of each minute),
new calls per minute, failed Call Me by cause, brute-force lockouts per minute.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MINUTE_MS = 60_000
WINDOW_MINUTES = 60
LEG_KINDS = ("toll", "tollfree", "callme")
# End reasons of a Call Me leg that mean the person was never brought in.
CALLME_FAILURES = frozenset(
    {"busy", "no_answer", "failed", "rejected", "not_confirmed", "congestion"}
)
# The metric call control publishes as a running total: {"value": lockouts since start}.
LOCKOUTS_METRIC = "lockouts"


@dataclass(slots=True)
class _Minute:
    minute: int  # minutes since the epoch
    peak: dict[str, int]
    new_calls: int = 0
    lockouts: int = 0
    failed: Counter[str] = field(default_factory=Counter)


def _live(leg: Mapping[str, Any] | None) -> bool:
    return leg is not None and leg.get("state") != "ended"


class LiveHistory:
    def __init__(self) -> None:
        self._live_by_kind: dict[str, int] = dict.fromkeys(LEG_KINDS, 0)
        self._minutes: deque[_Minute] = deque(maxlen=WINDOW_MINUTES)

    @property
    def live_by_kind(self) -> dict[str, int]:
        return dict(self._live_by_kind)

    def _current(self, now_ms: int) -> _Minute:
        """The bucket of now, opening the minutes that passed (carrying the live counts)."""
        minute = now_ms // MINUTE_MS
        last = self._minutes[-1].minute if self._minutes else minute - 1
        if minute > last:
            # Never more than a window of empty minutes, however long the hub sat idle.
            for m in range(max(last + 1, minute - WINDOW_MINUTES + 1), minute + 1):
                self._minutes.append(_Minute(m, dict(self._live_by_kind)))
        return self._minutes[-1]

    def observe_leg(
        self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, now_ms: int
    ) -> None:
        bucket = self._current(now_ms)
        if _live(old):
            assert old is not None
            kind = str(old.get("kind"))
            if kind in self._live_by_kind:
                self._live_by_kind[kind] -= 1
        if _live(new):
            assert new is not None
            kind = str(new.get("kind"))
            if kind in self._live_by_kind:
                self._live_by_kind[kind] += 1
                bucket.peak[kind] = max(bucket.peak[kind], self._live_by_kind[kind])
        if new is None:
            return
        if old is None:
            bucket.new_calls += 1
        reason = new.get("end_reason")
        if (
            new.get("kind") == "callme"
            and new.get("state") == "ended"
            and (old is None or old.get("state") != "ended")
            and reason in CALLME_FAILURES
        ):
            bucket.failed[str(reason)] += 1

    def observe_metric(
        self,
        key: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
        now_ms: int,
    ) -> None:
        if key != LOCKOUTS_METRIC or new is None:
            return
        value = int(new.get("value", 0))
        before = int(old.get("value", 0)) if old is not None else 0
        # A smaller total means the publisher restarted its count: all of it is new.
        delta = value - before if value >= before else value
        if delta > 0:
            self._current(now_ms).lockouts += delta

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        """The last hour, oldest minute first, every list the same length (WINDOW_MINUTES)."""
        self._current(now_ms)
        first = now_ms // MINUTE_MS - WINDOW_MINUTES + 1
        by_minute = {b.minute: b for b in self._minutes}
        minutes = range(first, first + WINDOW_MINUTES)
        buckets = [by_minute.get(m) for m in minutes]
        failed: Counter[str] = Counter()
        for b in buckets:
            if b is not None:
                failed.update(b.failed)
        return {
            "minute_ms": [m * MINUTE_MS for m in minutes],
            "concurrent": {kind: [b.peak[kind] if b else 0 for b in buckets] for kind in LEG_KINDS},
            "new_calls": [b.new_calls if b else 0 for b in buckets],
            "lockouts": [b.lockouts if b else 0 for b in buckets],
            "failed_callme": dict(sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
