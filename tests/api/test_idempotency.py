"""Idempotency-Key: a retried or concurrent POST creates one thing and replays the first answer."""

from __future__ import annotations

import asyncio

from tests.api.conftest import Api, make_account, make_session

NEW = {
    "account_id": "acc-1",
    "organizer_id": "u",
    "title": "t",
    "starts_at": "2030-01-01T09:00:00Z",
}


async def _count(api: Api, table: str) -> int:
    async with api.database.connection() as conn:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


async def test_same_key_replays_the_first_session(api: Api) -> None:
    await make_account(api, "acc-1")
    key = {"Idempotency-Key": "create-1"}
    first = await api.call("POST", "/v1/sessions", NEW, headers=key)
    second = await api.call("POST", "/v1/sessions", NEW, headers=key)
    assert first.status == second.status == 201
    assert second.body == first.body
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert await _count(api, "sessions") == 1
    other = await api.call("POST", "/v1/sessions", NEW, headers={"Idempotency-Key": "create-2"})
    assert other.body["session_id"] != first.body["session_id"]


async def test_key_reused_for_another_request_is_refused(api: Api) -> None:
    await make_account(api, "acc-1")
    key = {"Idempotency-Key": "k"}
    await api.call("POST", "/v1/sessions", NEW, headers=key)
    reused = await api.call("POST", "/v1/sessions", {**NEW, "title": "other"}, headers=key)
    assert (reused.status, reused.code) == (422, "idempotency_key_reused")


async def test_keys_are_per_token(api: Api) -> None:
    await make_account(api, "acc-1")
    key = {"Idempotency-Key": "shared"}
    a = await api.call("POST", "/v1/sessions", NEW, headers=key, role="app")
    b = await api.call("POST", "/v1/sessions", NEW, headers=key, role="admin")
    assert a.body["session_id"] != b.body["session_id"]


async def test_refused_request_releases_its_key(api: Api) -> None:
    key = {"Idempotency-Key": "retry-me"}
    refused = await api.call("POST", "/v1/sessions", NEW, headers=key)
    assert refused.code == "unknown_account"
    await make_account(api, "acc-1")
    retried = await api.call("POST", "/v1/sessions", NEW, headers=key)
    assert retried.status == 201
    assert await _count(api, "idempotency_keys") == 1


async def test_concurrent_callme_with_one_key_places_one_call(api: Api) -> None:
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    body = {"phone": "+447400123456", "name": "Cy", "role": "attendee"}
    key = {"Idempotency-Key": "callme-42"}
    answers = await asyncio.gather(
        *(api.call("POST", f"/v1/sessions/{sid}/callme", body, headers=key) for _ in range(12))
    )
    assert {a.status for a in answers} == {202}
    assert len({a.body["leg_id"] for a in answers}) == 1
    assert api.port is not None
    assert len(api.port.named("request_callme")) == 1
    assert await _count(api, "legs") == 1


async def test_invalid_key_is_refused(api: Api) -> None:
    await make_account(api, "acc-1")
    answer = await api.call("POST", "/v1/sessions", NEW, headers={"Idempotency-Key": "a b"})
    assert (answer.status, answer.body["error"]["field"]) == (422, "Idempotency-Key")
