"""PBX simulator at scale: one node holding 20,000 channels with 300 new calls/s.

This process runs one ``SimNode`` (the real ``dialplan/extensions.conf`` and
``confbridge.conf``, real time) and a fixed-rate ticker that places dial-in calls at
``--rate`` per second: call n is due at ``t0 + n / rate``, and how late it was really
placed is its scheduler lag. Each call runs the whole dial-in path: ``cc-inbound``,
FastAGI (access code and PIN typed as DTMF, the route variables set), ``cc-route``,
``cc-waiting`` and music on hold, where it stays. Once ``--channels`` calls are up, each
new call makes the oldest caller hang up, so the node holds that many channels while
still taking ``--rate`` new calls/s, for ``--hold-s`` seconds.

The FastAGI server and the AMI client (events on, every event read) run in a second
process (``bench_sim_load``), as callcontrol would, so this process's CPU and RSS are
the simulator's own.

Run from the repository root: ``python -m benchmarks.bench_sim``. Prints one JSON line;
exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from benchmarks.bench_sim_load import summary
from callcontrol.logsetup import configure_logging
from callcontrol.sim.callers import Caller, Digits, Step, WaitMs
from callcontrol.sim.node import NodeConfig, SimNode, tune_gc
from callcontrol.sim.runtime_config import RuntimeConfig

ROOT = Path(__file__).resolve().parents[1]
DID = "18005551234"
SCRIPT: list[Step] = [Digits("123456789#"), WaitMs(300), Digits("#")]  # access code, then no PIN
MAX_LAG_S = 1.0  # "falling behind": p99 of the scheduler lag, and its worst in the end
# Every 5 s window places at least 95% of the rate. (A pause shows as one short 1 s
# window and a long one after it, as late calls are placed at once; the lag bounds it.)
MIN_RATE_SHARE = 0.95
SETTLE_S = 15.0  # calls placed this long before the end must be on hold by then


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Bench:
    def __init__(self, node: SimNode, rate: float, channels: int, hold_s: float) -> None:
        self.node = node
        self.rate = rate
        self.channels = channels
        self.hold_s = hold_s
        self.lags: list[float] = []  # index n: how late call n was placed
        self.placed_at: list[float] = []
        self.callers: deque[Caller] = deque()  # still up, oldest first
        self.unexpected_ends = 0  # calls that ended before the benchmark hung them up
        self.samples: list[dict[str, float]] = []
        self.ramp_end_s = 0.0

    async def tick(self) -> None:
        """Place call n at t0 + n/rate; late calls are placed at once, never skipped."""
        loop = asyncio.get_running_loop()
        self.t0 = t0 = loop.time()
        total = int(self.rate * (self.channels / self.rate + self.hold_s))
        for n in range(total):
            due = t0 + n / self.rate
            now = loop.time()
            if due > now:
                await asyncio.sleep(due - now)
                now = loop.time()
            caller = self.node.place_call(DID, f"+1415{n:07d}", "", SCRIPT)
            self.lags.append(now - due)
            self.placed_at.append(now - t0)
            self.callers.append(caller)
            if n + 1 == self.channels:
                self.ramp_end_s = now - t0
            if len(self.callers) > self.channels:
                oldest = self.callers.popleft()
                if oldest.ended.is_set() or oldest.channel is None:
                    self.unexpected_ends += 1
                else:
                    self.node.rt.remote_hangup(oldest.channel, 16)

    async def sample(self) -> None:
        """Once a second: channels up, on hold, CPU share and RSS of this process."""
        loop = asyncio.get_running_loop()
        start = last = loop.time()
        cpu = time.process_time()
        while True:
            await asyncio.sleep(1.0)
            now, now_cpu = loop.time(), time.process_time()
            chans = list(self.node.rt.channels.values())
            self.samples.append(
                {
                    "t": round(now - start, 1),
                    "channels": len(chans),
                    "on_hold": sum(1 for ch in chans if ch.app == "MusicOnHold"),
                    "cpu": round((now_cpu - cpu) / (now - last), 3),
                    "rss_mb": round(rss_mb()[0], 1),
                }
            )
            last, cpu = now, now_cpu


class GcPauses:
    """Time spent in each garbage collection, by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._start))

    def report(self) -> dict[str, float]:
        full = [s for g, s in self.pauses if g == 2]
        return {
            "collections": len(self.pauses),
            "full": len(full),
            "total_s": round(sum(s for _, s in self.pauses), 3),
            "max_s": round(max((s for _, s in self.pauses), default=0.0), 3),
        }


def windows(placed_at: list[float], seconds: int = 1) -> list[float]:
    """Calls placed per second in each whole window since t0 (the partial last dropped)."""
    counts = [0] * (int(placed_at[-1] / seconds) + 1) if placed_at else []
    for at in placed_at:
        counts[int(at / seconds)] += 1
    return [n / seconds for n in counts[:-1]]


async def run(opts: argparse.Namespace) -> dict[str, Any]:
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.bench_sim_load",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert load.stdin is not None and load.stdout is not None

    async def ask(msg: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
        if msg is not None:
            load.stdin.write(json.dumps(msg).encode() + b"\n")  # type: ignore[union-attr]
        line = await asyncio.wait_for(load.stdout.readline(), timeout)  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the load process ended early (see its stderr)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    node: SimNode | None = None
    try:
        agi_port = (await ask(None, 30))["agi_port"]
        config = NodeConfig(
            dialplan=str(ROOT / "dialplan" / "extensions.conf"),
            confbridge=str(ROOT / "dialplan" / "confbridge.conf"),
            time_scale=1.0,
            agi_host=f"127.0.0.1:{agi_port}",
            runtime=RuntimeConfig(default_prompt_s=opts.prompt_s),
        )
        node = SimNode(config)
        await node.start()
        tune_gc()  # as the ``callcontrol sim`` command does
        emitted = [0]

        def count(name: str, headers: object, frame: bytes) -> None:
            emitted[0] += 1

        node.bus.subscribe(count)
        await ask(
            {"ami_port": node.ami_port, "user": config.ami_user, "secret": config.ami_secret}, 30
        )
        bench = Bench(node, opts.rate, opts.channels, opts.hold_s)
        gc_pauses = GcPauses()
        gc.callbacks.append(gc_pauses)
        cpu0, wall0 = time.process_time(), time.monotonic()
        sampler = asyncio.create_task(bench.sample(), name="sampler")
        try:
            await bench.tick()
        finally:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
        settled_before = time.time() - SETTLE_S
        loaded = await ask({"stop": emitted[0], "settled_before": settled_before}, 60)
        loaded["ami_events_emitted"] = emitted[0]
        steady_lags = [
            lag
            for lag, at in zip(bench.lags, bench.placed_at, strict=True)
            if at >= bench.ramp_end_s
        ]
        ends = bench.unexpected_ends + sum(1 for c in bench.callers if c.ended.is_set())
        rss, peak = rss_mb()
        per_window = windows(bench.placed_at)
        per_5s = windows(bench.placed_at, 5)
        return {
            "target_channels": opts.channels,
            "target_rate": opts.rate,
            "calls_placed": len(bench.lags),
            "ramp_s": round(bench.ramp_end_s, 2),
            "steady_s": round(bench.placed_at[-1] - bench.ramp_end_s, 2),
            "channels_max": max((s["channels"] for s in bench.samples), default=0),
            "on_hold_max": max((s["on_hold"] for s in bench.samples), default=0),
            "calls_per_s_min": min(per_window, default=0),
            "calls_per_s_max": max(per_window, default=0),
            "calls_per_s_min_5s": min(per_5s, default=0),
            "sched_lag_s": summary(sorted(bench.lags)),
            "sched_lag_steady_max_s": round(max(steady_lags, default=0.0), 4),
            "unexpected_hangups": ends,
            "sim_cpu_share": round(cpu_s / wall_s, 3),
            "sim_cpu_ms_per_call": round(1000 * cpu_s / len(bench.lags), 3),
            "sim_cpu_share_max_1s": max((s["cpu"] for s in bench.samples), default=0),
            "sim_gc": gc_pauses.report(),
            "sim_rss_mb": round(rss, 1),
            "sim_rss_peak_mb": round(peak, 1),
            "samples": bench.samples if opts.samples else None,
            **loaded,
        }
    finally:
        # The load process ends its AGI sessions first, so none is cut from this side.
        if load.stdin is not None:
            load.stdin.close()
        try:
            await asyncio.wait_for(load.wait(), 15)
        except TimeoutError:
            load.kill()
            await load.wait()
        if node is not None:
            await node.stop()


def passed(r: dict[str, Any]) -> bool:
    return bool(
        r["channels_max"] >= r["target_channels"]
        and r["calls_per_s_min_5s"] >= MIN_RATE_SHARE * r["target_rate"]
        and r["sched_lag_s"]["p99"] < MAX_LAG_S
        and r["sched_lag_steady_max_s"] < MAX_LAG_S
        and r["never_reached_hold"] == 0
        and r["unexpected_hangups"] == 0
        and r["ami_drain_s"] is not None
        and r["ami_lag_s"]["p99"] is not None
        and r["ami_lag_s"]["p99"] < MAX_LAG_S
    )


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rate", type=float, default=300.0, help="new calls per second")
    args.add_argument("--channels", type=int, default=20_000, help="channels held up")
    args.add_argument("--hold-s", type=float, default=10.0, help="steady state after the ramp")
    args.add_argument("--prompt-s", type=float, default=1.0, help="length of every prompt")
    args.add_argument("--samples", action="store_true", help="include the 1 s samples")
    opts = args.parse_args(argv)
    configure_logging("console", "warning")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load_before = os.getloadavg()[0]
    result = asyncio.run(run(opts))
    result["loadavg_1m_before"] = round(load_before, 2)
    result["ok"] = passed(result)
    result["python"] = platform.python_version()
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
