"""The whole service as production runs it (call control, API, billing, webhooks, dashboard)
against the PBX simulator over real AMI/FastAGI and a real PostgreSQL, driven over HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcontrol.service.runtime import Running, service_started
from callcontrol.settings import (
    CallSettings,
    DatabaseSettings,
    HttpSettings,
    InventorySettings,
    Secret,
    Settings,
)
from callcontrol.sim.node import SimNode, contract_node
from callcontrol.store.tokens import Role, TokenRepository
from tests.callflow.harness import free_port, stack_settings

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = aiohttp.ClientTimeout(total=20)


@dataclass
class Service:
    running: Running
    sim: SimNode
    client: aiohttp.ClientSession
    base: str
    tokens: dict[str, str]

    async def call(
        self, method: str, path: str, json: Any = None, role: str = "admin"
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        async with self.client.request(method, self.base + path, json=json, headers=headers) as r:
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, body

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.05)

    async def wait_for_async(self, probe: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = await probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.1)

    @property
    def cc(self):  # type: ignore[no-untyped-def]
        assert self.running.call_control is not None
        return self.running.call_control


def service_settings(db_url: str, sim: SimNode, agi_port: int, calls: CallSettings) -> Settings:
    base = stack_settings([sim.ami_port], agi_port, calls)
    return dataclasses.replace(
        base,
        database=DatabaseSettings(url=Secret(db_url), pool_max=10, flush_interval=0.02),
        http=HttpSettings(port=0),
        inventory=InventorySettings(
            numbers=REPO / "config" / "numbers.csv",
            countries=REPO / "config" / "countries.csv",
            rates=REPO / "config" / "rates.csv",
        ),
    )


@pytest.fixture
async def service_factory(db_url: str) -> AsyncIterator[Callable[..., Any]]:
    from contextlib import AsyncExitStack, asynccontextmanager

    stack = AsyncExitStack()

    @asynccontextmanager
    async def start(calls: CallSettings | None = None) -> AsyncIterator[Service]:
        agi_port = free_port()
        sim = SimNode(contract_node(REPO, agi_port))
        sim.config.runtime.default_prompt_s = 0.05
        await sim.start()
        settings = service_settings(
            db_url, sim, agi_port, calls or CallSettings(digit_timeout_ms=3000)
        )
        try:
            async with (
                service_started(settings) as running,
                aiohttp.ClientSession(timeout=TIMEOUT) as client,
            ):
                repo = TokenRepository(running.database)
                tokens = {
                    role.value: (await repo.create(role, f"e2e-{role.value}"))[1] for role in Role
                }
                service = Service(
                    running, sim, client, f"http://127.0.0.1:{running.http_port}", tokens
                )
                await service.wait_for(lambda: service.cc.nodes.connected("pbx1"))
                yield service
        finally:
            await sim.stop()

    yield start
    await stack.aclose()
