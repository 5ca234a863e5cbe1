"""Idempotency-Key on POSTs that create something: the same key replays the first answer.

The first request claims the key in PostgreSQL before doing anything (store/idempotency.py), so
two concurrent requests with one key create one thing: the second waits for the first answer
and replays it. A refused or failed request releases its claim: it created nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import TYPE_CHECKING

from aiohttp import web

from callcontrol.store.idempotency import PENDING, IdempotencyStore, Stored
from callcontrol.web.api.errors import ApiError

if TYPE_CHECKING:
    from callcontrol.web.api.endpoint import Call, HandlerFn

HEADER = "Idempotency-Key"
KEY_PATTERN = "^[\\x21-\\x7e]{1,255}$"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_POLL_S = 0.05


def _fingerprint(call: Call) -> str:
    canonical = json.dumps(call.body, sort_keys=True, separators=(",", ":"))
    text = f"{call.request.method} {call.request.path} {canonical}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(stored: Stored) -> web.Response:
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return web.json_response(stored.body, status=stored.status, headers=headers)


async def run_idempotent(call: Call, handler: HandlerFn) -> web.StreamResponse:
    key = call.request.headers.get(HEADER)
    if key is None:
        return (await handler(call)).response()
    if not _KEY.fullmatch(key):
        raise ApiError(
            422, "invalid_idempotency_key", "1 to 255 printable ASCII characters", HEADER
        )
    store = IdempotencyStore(call.database)
    token_id, fingerprint = call.token.token_id, _fingerprint(call)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + call.settings.idempotency_wait_s
    while True:
        owned, stored = await store.claim(
            token_id, key, call.request.method, call.request.path, fingerprint
        )
        if owned:
            break
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                    HEADER,
                )
            if stored.status != PENDING:
                return _replay(stored)
        if loop.time() > deadline:
            raise ApiError(
                409, "idempotency_in_progress", "a request with this key is still running", HEADER
            )
        await asyncio.sleep(_POLL_S)
    try:
        reply = await handler(call)
    except BaseException:
        await asyncio.shield(store.release(token_id, key))
        raise
    await store.complete(token_id, key, reply.status, reply.body, reply.location)
    return reply.response()
