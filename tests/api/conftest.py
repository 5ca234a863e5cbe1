"""The API under test: the real app on a real port, a migrated database with the inventory
from config/, one token per role, and a recording call-control port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from callcontrol.service.runtime import http_served
from callcontrol.settings import HttpSettings, Settings
from callcontrol.store.database import Database
from callcontrol.store.dids import sync_inventory
from callcontrol.store.legs import LegRepository
from callcontrol.store.tokens import Role, TokenRepository
from callcontrol.web.api.config import ApiSettings
from callcontrol.web.app import create_app
from tests.api.recording_port import RecordingPort

CONFIG = Path(__file__).resolve().parents[2] / "config"
TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_BODY = 4096


@dataclass
class Answer:
    status: int
    body: Any
    headers: CIMultiDict[str]

    @property
    def code(self) -> str | None:
        return (
            self.body["error"]["code"]
            if isinstance(self.body, dict) and "error" in self.body
            else None
        )


@dataclass
class Api:
    base: str
    client: aiohttp.ClientSession
    database: Database
    port: RecordingPort | None
    tokens: dict[str, str] = field(default_factory=dict)

    async def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        role: str | None = "admin",
        token: str | None = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        bearer = token or (self.tokens[role] if role else None)
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        async with self.client.request(
            method, self.base + path, json=json, data=data, headers=sent
        ) as r:
            raw = await r.read()
            ctype = r.headers.get("Content-Type", "")
            body = (await r.json()) if ctype.startswith("application/json") else raw.decode()
            return Answer(r.status, body, CIMultiDict(r.headers))


async def start_api(
    database: Database,
    port: RecordingPort | None,
    api_settings: ApiSettings | None = None,
) -> AsyncIterator[Api]:
    await sync_inventory(database, CONFIG / "numbers.csv", CONFIG / "countries.csv")
    settings = Settings(http=HttpSettings(port=0, max_body_bytes=MAX_BODY))
    app = create_app(settings, database, call_control=port, api_settings=api_settings)
    repo = TokenRepository(database)
    tokens = {role.value: (await repo.create(role, f"test-{role.value}"))[1] for role in Role}
    async with (
        http_served(app, "127.0.0.1", 0) as http_port,
        aiohttp.ClientSession(timeout=TIMEOUT) as client,
    ):
        yield Api(f"http://127.0.0.1:{http_port}", client, database, port, tokens)


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings()


@pytest.fixture
async def api(database: Database, api_settings: ApiSettings) -> AsyncIterator[Api]:
    port = RecordingPort(LegRepository(database))
    async for running in start_api(database, port, api_settings):
        yield running


@pytest.fixture
async def api_without_pbx(database: Database) -> AsyncIterator[Api]:
    async for running in start_api(database, None):
        yield running


ACCOUNT = {
    "plan": "pro",
    "billing_mode": "online",
    "billing_contact_user_id": "u-billing",
}


async def make_account(
    api: Api, account_id: str = "acc-1", addon: bool = True, **changes: Any
) -> dict:
    answer = await api.call("PUT", f"/v1/accounts/{account_id}", {**ACCOUNT, **changes})
    assert answer.status == 200, answer.body
    if addon:
        mode = changes.get("billing_mode", "online")
        if mode == "online":
            contact = changes.get("billing_contact_user_id", "u-billing")
            added = await api.call(
                "PUT", f"/v1/accounts/{account_id}/advanced-audio", {"acting_user_id": contact}
            )
            assert added.status == 200, added.body
        else:  # offline and invoice accounts get the add-on through support, not the API
            from dataclasses import replace

            from callcontrol.store.accounts import AccountRepository

            repo = AccountRepository(api.database)
            account = await repo.get(account_id)
            assert account is not None
            await repo.save(replace(account, advanced_audio=True))
    return (await api.call("GET", f"/v1/accounts/{account_id}")).body


async def make_session(api: Api, account_id: str = "acc-1", **changes: Any) -> dict:
    body = {
        "account_id": account_id,
        "organizer_id": "u-org",
        "title": "Quarterly results",
        "starts_at": "2030-05-01T14:00:00Z",
        **changes,
    }
    answer = await api.call("POST", "/v1/sessions", body, role="app")
    assert answer.status == 201, answer.body
    return answer.body


Factory = Callable[..., Any]
