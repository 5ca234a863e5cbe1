"""The dashboard feed under load: 10,000 live legs churning, 20 WebSocket clients on loopback.

The server process runs the LiveHub and `/v1/live` (aiohttp) and a churn task that keeps
``--legs`` legs live: every 10 ms it publishes a slice of ``--rate`` changes a second
(talking flips, mutes, calls ending and new ones starting, session counters). The clients
run in a separate process (so their CPU is not counted), each counting the batches and bytes
it gets after its snapshot. Reported: server CPU (process time / wall time), RSS, publish
cost, and per client the patch rate (sent by the server, received by the client) and bandwidth.

Run from the repository root: ``python -m benchmarks.bench_live [--seconds 30]``.
Prints one JSON object; exits 1 when the server sent a client more than 4 patches a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import resource
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web

from callcontrol.service.live_hub import LiveHub
from callcontrol.web.live import setup_live

TOKEN = "bench-token"
COUNTRIES = ["FR", "DE", "GB", "US", "ES", "IT", "NL", "BE", "JP", "BR"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---- the server side ----------------------------------------------------------------------


class Churn:
    def __init__(self, hub: LiveHub, legs: int, sessions: int, rate: int) -> None:
        self.hub, self.rate, self.rng = hub, rate, random.Random(1)
        self.sessions = [f"s{i:04d}" for i in range(sessions)]
        self.live: list[str] = []
        self.data: dict[str, dict[str, Any]] = {}
        self.next_id = 0
        self.publishes = 0
        self.publish_s = 0.0
        for sid in self.sessions:
            hub.publish("session", sid, self._session(sid))
        for _ in range(legs):
            self._new_leg()

    def _session(self, sid: str) -> dict[str, Any]:
        n = self.rng.randint(0, 40)
        return {
            "session_id": sid,
            "account_id": f"acct{int(sid[1:]) % 50}",
            "title": f"Webinar {sid}",
            "state": "started",
            "node": f"pbx{int(sid[1:]) % 4}",
            "access_code": sid[1:] + "99",
            "counts": {
                "waiting": n % 5,
                "in_conference": n,
                "ringing": n % 3,
                "by_kind": {"toll": n // 2, "tollfree": n // 3, "callme": n // 6},
            },
            "running_cost": f"{self.rng.uniform(0, 90):.2f}",
            "currency": "EUR",
            "oldest_waiting_since_ms": None,
            "idle_drop_at_ms": None,
        }

    def _publish(self, kind: str, key: str, data: dict[str, Any] | None) -> None:
        t = time.perf_counter()
        self.hub.publish(kind, key, data)
        self.publish_s += time.perf_counter() - t
        self.publishes += 1

    def _new_leg(self) -> None:
        self.next_id += 1
        leg_id = f"leg{self.next_id:07d}"
        now = time.time_ns() // 1_000_000
        data = {
            "leg_id": leg_id,
            "session_id": self.rng.choice(self.sessions),
            "node": f"pbx{self.next_id % 4}",
            "kind": self.rng.choice(["toll", "tollfree", "callme"]),
            "role": "attendee",
            "state": "in_conference",
            "country": self.rng.choice(COUNTRIES),
            "masked_number": f"+33 6•• ••• •{self.next_id % 100:02d}",
            "created_at_ms": now - 60_000,
            "answered_at_ms": now - 58_000,
            "waiting_at_ms": None,
            "conference_at_ms": now - 50_000,
            "ended_at_ms": None,
            "muted": False,
            "talking": False,
            "end_reason": None,
        }
        self.data[leg_id] = data
        self.live.append(leg_id)
        self._publish("leg", leg_id, data)

    def step(self, changes: int) -> None:
        for _ in range(changes):
            r = self.rng.random()
            i = self.rng.randrange(len(self.live))
            leg_id = self.live[i]
            leg = self.data[leg_id]
            if r < 0.6:
                leg = {**leg, "talking": not leg["talking"]}
            elif r < 0.7:
                leg = {**leg, "muted": not leg["muted"]}
            elif r < 0.9:
                sid = self.rng.choice(self.sessions)
                self._publish("session", sid, self._session(sid))
                continue
            else:  # the call ends; a new one takes its place
                now = time.time_ns() // 1_000_000
                self._publish(
                    "leg",
                    leg_id,
                    {**leg, "state": "ended", "ended_at_ms": now, "end_reason": "caller_hangup"},
                )
                self._publish("leg", leg_id, None)
                self.live[i] = self.live[-1]
                self.live.pop()
                del self.data[leg_id]
                self._new_leg()
                continue
            self.data[leg_id] = leg
            self._publish("leg", leg_id, leg)

    async def run(self, stop: asyncio.Event) -> None:
        per_tick = self.rate / 100
        owed = 0.0
        while not stop.is_set():
            owed += per_tick
            n = int(owed)
            owed -= n
            self.step(n)
            await asyncio.sleep(0.01)


async def serve(args: argparse.Namespace) -> dict[str, Any]:
    hub = LiveHub()
    app = web.Application()
    setup_live(app, hub, lambda token: "operator" if token == TOKEN else None)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    churn = Churn(hub, args.legs, args.sessions, args.rate)
    stop = asyncio.Event()
    churn_task = asyncio.create_task(churn.run(stop))
    rss_before = rss_mb()
    clients = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.bench_live",
        "--client",
        f"ws://127.0.0.1:{port}/v1/live",
        "--clients",
        str(args.clients),
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        stdout=asyncio.subprocess.PIPE,
    )
    # Measure once every client holds its snapshot (they connect within the first seconds).
    await asyncio.sleep(args.warmup)
    cpu0, wall0, pub0, pubs0 = (
        time.process_time(),
        time.perf_counter(),
        churn.publish_s,
        churn.publishes,
    )
    sent0 = {id(sub): sub.sent_patches for sub in hub.subscriptions}
    rss_peak = rss_mb()
    while time.perf_counter() - wall0 < args.seconds - args.warmup - 1:
        await asyncio.sleep(1.0)
        rss_peak = max(rss_peak, rss_mb())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    publishes = churn.publishes - pubs0
    sent = [(sub.sent_patches - sent0.get(id(sub), 0)) / wall for sub in hub.subscriptions]
    out, _ = await asyncio.wait_for(clients.communicate(), args.seconds + 60)
    stop.set()
    await churn_task
    hub.close()
    await runner.cleanup()
    per_client = json.loads(out)
    rates = [c["patches_per_s"] for c in per_client]
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "legs": args.legs,
        "sessions": args.sessions,
        "clients": args.clients,
        "changes_per_s_asked": args.rate,
        "publishes_per_s": round(publishes / wall),
        "measured_s": round(wall, 1),
        "server_cpu_percent": round(100 * cpu / wall, 1),
        "publish_us": round(1e6 * (churn.publish_s - pub0) / max(1, publishes), 2),
        "rss_mb_before_clients": round(rss_before, 1),
        "rss_mb_peak": round(rss_peak, 1),
        "rss_mb_max_process": round(peak_rss_mb(), 1),
        "patches_sent_per_s_per_client": {"min": round(min(sent), 2), "max": round(max(sent), 2)},
        "patches_received_per_s_per_client": {"min": min(rates), "max": max(rates)},
        "changes_per_patch_mean": round(
            sum(c["changes_per_patch"] for c in per_client) / len(per_client)
        ),
        "kib_per_s_per_client": round(sum(c["kib_per_s"] for c in per_client) / len(per_client)),
        "snapshot_kib": per_client[0]["snapshot_kib"],
        "resyncs": hub.resyncs,
    }


# ---- the client side (another process) ------------------------------------------------------


async def one_client(url: str, seconds: float, warmup: float) -> dict[str, Any]:
    """Counts the patches of the steady state: from ``warmup`` after start to the end."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_receive=30), max_msg_size=0) as ws,
    ):
        await ws.send_json({"type": "auth", "token": TOKEN})
        snapshot_kib, patches, changes, size = 0.0, [], 0, 0
        start = time.perf_counter() + warmup
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            body = json.loads(msg.data)
            if body["type"] == "snapshot":
                snapshot_kib = len(msg.data) / 1024
            elif body["type"] == "patch" and time.perf_counter() >= start:
                patches.append(time.perf_counter())
                changes += sum(len(t) for t in body["changes"].values())
                size += len(msg.data)
        span = max(1e-9, time.perf_counter() - start)
        return {
            "patches_per_s": round(len(patches) / span, 2),
            "changes_per_patch": changes / max(1, len(patches)),
            "kib_per_s": size / 1024 / span,
            "snapshot_kib": round(snapshot_kib),
        }


async def clients_main(url: str, n: int, seconds: float, warmup: float) -> None:
    results = await asyncio.gather(*(one_client(url, seconds, warmup) for _ in range(n)))
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=int, default=2_000, help="changes published a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.client:
        asyncio.run(clients_main(args.client, args.clients, args.seconds, args.warmup))
        return
    result = asyncio.run(serve(args))
    print(json.dumps(result, indent=2))
    sys.exit(1 if result["patches_sent_per_s_per_client"]["max"] > 4.0 else 0)


if __name__ == "__main__":
    main()
