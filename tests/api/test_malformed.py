"""1,000 random malformed requests: every answer is a 4xx in the error shape, and the database
is exactly as it was (every row of every table compared)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.api.conftest import MAX_BODY, Api, make_account, make_session

SEED = 20240601


async def _dump(api: Api) -> dict[str, list[str]]:
    async with api.database.connection() as conn:
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        return {
            t: sorted(str(tuple(r.values())) for r in await conn.fetch(f'SELECT * FROM "{t}"'))
            for t in tables
        }


def _junk(rng: random.Random) -> Any:
    return rng.choice(
        [None, True, -1, 10**40, 1.5, "", "x" * 300, "\u0000", [], [1, "a"], {"a": {"b": []}}]
    )


def _malformed_request(
    rng: random.Random, ops: list[tuple[str, str, dict | None]], ids: dict[str, str]
) -> dict:
    method, template, schema = rng.choice(ops)
    path = template
    for name, value in ids.items():
        path = path.replace(
            "{" + name + "}",
            value
            if rng.random() < 0.7
            else rng.choice(["zz", "%00", "a" * 80, "%E2%82", "..", "ses_nope"]),
        )
    headers = {"Content-Type": "application/json"}
    kind = rng.randrange(10)
    data: bytes
    if kind == 0:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    elif kind == 1:
        data = json.dumps(_junk(rng)).encode()
        if data.strip() in (b"{}",):
            data = b"[]"
    elif kind == 2 and schema:
        props = list(schema.get("properties", {}))
        body = {p: _junk(rng) for p in rng.sample(props, k=max(1, len(props) // 2))}
        data = json.dumps(body).encode()
    elif kind == 3:
        data = json.dumps({"unexpected_field": 1, "__proto__": {}}).encode()
    elif kind == 4:
        data = b'{"a": "' + b"y" * (MAX_BODY + rng.randrange(1, 1000)) + b'"}'
    elif kind == 5:
        headers["Content-Type"] = rng.choice(
            ["text/plain", "application/xml", "multipart/form-data"]
        )
        data = b"plan=pro"
    elif kind == 6:
        method = rng.choice(["PUT", "PATCH", "DELETE", "POST"])
        path = rng.choice(["/v1/countries", "/v1/tokens", "/openapi.json"])
        wrong_role = method == "POST" and path == "/v1/tokens"
        data = b'{"role": "superuser"}' if wrong_role else b"{}"
    elif kind == 7:
        path = rng.choice(["/v1", "/v2/sessions", "/v1/sessions/x/y/z", "/v1/accounts", "/%7e%7e"])
        data = b"{}"
    elif kind == 8:
        data = b'{"a":' * 3000
    else:
        data = b"  \n" + b"{" + b'"k":1,' * 5
    return {"method": method, "path": path, "data": data, "headers": headers}


async def test_malformed_requests_change_nothing(api: Api) -> None:
    await make_account(api, "acc-1")
    session = await make_session(api, tollfree_countries=["FR"])
    sid = session["session_id"]
    callme = await api.call(
        "POST",
        f"/v1/sessions/{sid}/callme",
        {"phone": "+33612345678", "name": "A", "role": "attendee"},
    )
    document = (await api.call("GET", "/openapi.json")).body
    ops = []
    for template, methods in document["paths"].items():
        for method, op in methods.items():
            if method == "get":
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ops.append((method.upper(), template, body.get("schema")))
    ids = {
        "account_id": "acc-1",
        "session_id": sid,
        "leg_id": callme.body["leg_id"],
        "token_id": "0123456789abcdef",
    }
    before = await _dump(api)
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    for i in range(1000):
        request = _malformed_request(rng, ops, ids)
        answer = await api.call(
            request["method"], request["path"], data=request["data"], headers=request["headers"]
        )
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        assert 400 <= answer.status < 500, (i, request, answer.status, answer.body)
        assert set(answer.body) == {"error"}, (i, request, answer.body)
        assert set(answer.body["error"]) == {"code", "message", "field"}
    assert await _dump(api) == before
    assert len(statuses) >= 5  # the requests really were of many kinds
