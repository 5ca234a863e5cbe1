"""`make demo`: the whole product on embedded defaults.

An embedded PostgreSQL, the PBX simulator running the real dialplan, the service (call
control, API, dashboard) and simulated callers; the console tells the story call by call.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import signal
import socket
from pathlib import Path

from callcontrol.logsetup import configure_logging, get_logger
from callcontrol.service.demo_traffic import DemoTraffic
from callcontrol.service.demo_world import seed
from callcontrol.service.runtime import service_started
from callcontrol.settings import (
    CallSettings,
    ConfigError,
    PbxNode,
    Secret,
    Settings,
    load_settings,
)
from callcontrol.sim.node import SimNode, contract_node
from callcontrol.store.tokens import Role, TokenRepository

log = get_logger("demo")
REPO = Path(__file__).resolve().parents[2]
DEMO_IDLE_TIMEOUT_S = 45  # the five-minute rule, shortened so the demo shows it
SIM_SECRET = "demo-secret"


def _port_or_any(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_settings(http_port: int, data_dir: Path, ami_port: int, agi_port: int) -> Settings:
    base = load_settings(None)
    return dataclasses.replace(
        base,
        database=dataclasses.replace(base.database, data_dir=data_dir),
        http=dataclasses.replace(base.http, port=http_port),
        agi=dataclasses.replace(base.agi, port=agi_port),
        calls=CallSettings(prestart_idle_timeout=DEMO_IDLE_TIMEOUT_S),
        logging=dataclasses.replace(base.logging, format="console"),
        inventory=dataclasses.replace(
            base.inventory,
            numbers=REPO / "config" / "numbers.csv",
            countries=REPO / "config" / "countries.csv",
            rates=REPO / "config" / "rates.csv",
        ),
        nodes=(PbxNode(name="pbx1", port=ami_port, secret=Secret(SIM_SECRET)),),
    )


async def _demo(http_port: int, data_dir: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    agi_port = _port_or_any(4573)
    sim = SimNode(contract_node(REPO, agi_port, ami_secret=SIM_SECRET))
    sim.config.runtime.default_prompt_s = 1.5
    await sim.start()
    try:
        settings = demo_settings(http_port, data_dir, sim.ami_port, agi_port)
        async with service_started(settings) as running:
            rng = random.Random()
            await seed(running.database, rng)
            _, token = await TokenRepository(running.database).create(Role.OPERATOR, "demo")
            url = f"http://{settings.http.host}:{running.http_port}/"
            print(f"\n  Dashboard: {url}\n  Operator token: {token}\n", flush=True)
            log.info("demo ready", dashboard=url, health=f"{url}healthz")
            assert running.call_control is not None
            traffic = DemoTraffic(sim, running.call_control, running.database, rng)
            traffic.start()
            try:
                await stop.wait()
                log.info("stopping")
            finally:
                await traffic.stop()
    finally:
        await sim.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")


def run_demo(http_port: int, data_dir: Path) -> int:
    configure_logging("console", "info")
    try:
        asyncio.run(_demo(http_port, data_dir))
    except ConfigError as exc:
        print(f"config error: {exc}")
        return 2
    return 0
