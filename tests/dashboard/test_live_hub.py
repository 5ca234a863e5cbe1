"""The live hub on its own: state, coalescing, slow subscribers, chart history."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from callcontrol.service.live_history import MINUTE_MS, WINDOW_MINUTES
from callcontrol.service.live_hub import LiveHub
from tests.dashboard.livedata import leg, node, session

T0 = 1_700_000_000_000 // MINUTE_MS * MINUTE_MS  # a minute boundary


class Clock:
    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


async def next_msg(sub, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(anext(sub), timeout)


def test_state_follows_publish_and_removal() -> None:
    hub = LiveHub()
    hub.publish("node", "pbx1", node("pbx1"))
    hub.publish("leg", "a", leg("a"))
    hub.publish("leg", "b", leg("b"))
    hub.publish("leg", "a", leg("a", state="answered"))
    hub.publish("leg", "b", None)
    snap = hub.snapshot()
    assert set(snap) == {"node", "session", "leg", "alert", "metric"}
    assert snap["leg"] == {"a": leg("a", state="answered")}
    assert snap["node"]["pbx1"]["connected"] is True
    hub.publish("leg", "never-seen", None)  # removing what is not there is harmless
    assert hub.snapshot()["leg"].keys() == {"a"}


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown live kind 'legs'"):
        LiveHub().publish("legs", "a", {})


async def test_first_message_is_a_snapshot_of_the_current_state() -> None:
    hub = LiveHub()
    hub.publish("session", "s1", session("s1"))
    sub = hub.subscribe()
    try:
        first = await next_msg(sub)
        assert first["type"] == "snapshot"
        assert first["state"]["session"]["s1"]["title"] == "Quarterly results"
        assert len(first["history"]["new_calls"]) == WINDOW_MINUTES
    finally:
        sub.close()


async def test_changes_to_one_key_coalesce_to_the_latest() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    try:
        await next_msg(sub)
        for state in ("created", "answered", "waiting", "in_conference"):
            hub.publish("leg", "a", leg("a", state=state))
        hub.publish("leg", "b", leg("b"))
        hub.publish("leg", "b", None)
        patch = await next_msg(sub)
        assert patch["type"] == "patch"
        assert patch["changes"] == {"leg": {"a": leg("a", state="in_conference"), "b": None}}
    finally:
        sub.close()


async def test_patches_are_spaced_by_the_rate_limit() -> None:
    hub = LiveHub(flush_hz=50.0)
    sub = hub.subscribe(max_rate_hz=4.0)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    async def churn() -> None:
        i = 0
        while not stop.is_set():
            hub.publish("leg", "a", leg("a", talking=i % 2 == 0))
            i += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(churn())
    try:
        await next_msg(sub)
        times = []
        for _ in range(4):
            assert (await next_msg(sub))["type"] == "patch"
            times.append(loop.time())
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.25 - 0.01, gaps
    finally:
        stop.set()
        await task
        sub.close()


async def test_a_lagging_subscriber_is_reset_to_a_snapshot_without_slowing_others() -> None:
    hub = LiveHub(flush_hz=100.0, max_queued_batches=3)
    slow = hub.subscribe(max_rate_hz=100.0)
    fast = hub.subscribe(max_rate_hz=100.0)
    try:
        await next_msg(slow)
        await next_msg(fast)
        seen_by_fast = []
        for i in range(6):
            hub.publish("leg", "a", leg("a", talking=bool(i % 2), seq=i))
            msg = await next_msg(fast)
            seen_by_fast.append(msg["changes"]["leg"]["a"]["seq"])
        assert seen_by_fast == list(range(6))
        again = await next_msg(slow)
        assert again["type"] == "snapshot"
        assert again["state"]["leg"]["a"]["seq"] == 5
        assert slow.resyncs == 1 and fast.resyncs == 0
    finally:
        slow.close()
        fast.close()


async def test_resync_request_and_close() -> None:
    hub = LiveHub()
    sub = hub.subscribe()
    await next_msg(sub)
    hub.publish("alert", "x", {"id": "x", "level": "warning", "message": "m", "at_ms": 1})
    sub.request_snapshot()
    msg = await next_msg(sub)
    assert msg["type"] == "snapshot" and "x" in msg["state"]["alert"]
    assert hub.subscriber_count == 1
    hub.close()
    assert hub.subscriber_count == 0
    with pytest.raises(StopAsyncIteration):
        await next_msg(sub)


async def test_history_message_comes_when_due() -> None:
    hub = LiveHub()
    sub = hub.subscribe(history_every_s=0.05)
    try:
        assert (await next_msg(sub))["type"] == "snapshot"
        msg = await next_msg(sub)
        assert msg["type"] == "history"
        assert set(msg["history"]) >= {"concurrent", "new_calls", "failed_callme", "lockouts"}
    finally:
        sub.close()


def test_history_counts_per_minute() -> None:
    clock = Clock()
    hub = LiveHub(clock_ms=clock)
    hub.publish("leg", "a", leg("a", kind="toll"))
    hub.publish("leg", "b", leg("b", kind="callme"))
    hub.publish("leg", "c", leg("c", kind="callme"))
    hub.publish("metric", "lockouts", {"value": 0})
    clock.ms += MINUTE_MS
    hub.publish("leg", "b", leg("b", kind="callme", state="ended", end_reason="busy"))
    hub.publish("leg", "b", leg("b", kind="callme", state="ended", end_reason="busy"))  # again
    hub.publish("leg", "c", leg("c", kind="callme", state="ended", end_reason="no_answer"))
    hub.publish("leg", "d", leg("d", kind="tollfree"))
    hub.publish("metric", "lockouts", {"value": 2})
    clock.ms += 2 * MINUTE_MS
    hub.publish("leg", "a", None)
    h = hub.history()
    assert h["minute_ms"][-1] == T0 + 3 * MINUTE_MS
    last4 = slice(-4, None)
    assert h["concurrent"]["toll"][last4] == [1, 1, 1, 1]  # the peak of the minute
    assert h["concurrent"]["callme"][last4] == [2, 2, 0, 0]  # live at the start of minute 1
    assert h["concurrent"]["tollfree"][last4] == [0, 1, 1, 1]
    assert h["new_calls"][last4] == [3, 1, 0, 0]
    assert h["lockouts"][last4] == [0, 2, 0, 0]
    assert h["failed_callme"] == {"busy": 1, "no_answer": 1}
    clock.ms += WINDOW_MINUTES * MINUTE_MS  # an hour later everything has scrolled out
    h = hub.history()
    assert sum(h["new_calls"]) == 0 and h["failed_callme"] == {}
    assert h["concurrent"]["tollfree"][-1] == 1  # still live


async def test_a_shared_snapshot_never_loses_a_change() -> None:
    hub = LiveHub()
    hub.publish("leg", "a", leg("a"))
    first = hub.subscribe()
    second = None
    try:
        text1 = json.loads(await asyncio.wait_for(first.next_text(), 5))
        hub.publish("leg", "b", leg("b"))  # after the first snapshot was built
        second = hub.subscribe()
        text2 = json.loads(await asyncio.wait_for(second.next_text(), 5))
        assert text2 == text1  # the same snapshot, built once (no flush in between)
        assert "b" not in text2["state"]["leg"]
        for sub in (first, second):
            patch = await next_msg(sub)
            assert patch["changes"]["leg"]["b"] == leg("b")
        hub.publish("leg", "c", leg("c"))
        while (await next_msg(first))["type"] != "patch":
            pass
        third = hub.subscribe()  # after a flush: a new snapshot
        assert "c" in (await next_msg(third))["state"]["leg"]
        third.close()
    finally:
        first.close()
        if second is not None:
            second.close()
