"""Tokens and roles, the one error shape, request ids, body limits."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.conftest import ACCOUNT, MAX_BODY, Api, make_account, make_session


def _is_error_shape(body: object) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"error"}
        and set(body["error"]) == {"code", "message", "field"}
        and isinstance(body["error"]["code"], str)
    )


async def test_open_paths_need_no_token(api: Api) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        answer = await api.call("GET", path, role=None)
        assert answer.status == 200, path


async def test_everything_else_needs_a_token(api: Api) -> None:
    for path in ("/v1/countries", "/openapi.json", "/docs", "/v1/accounts/acc-1"):
        answer = await api.call("GET", path, role=None)
        assert answer.status == 401
        assert answer.code == "missing_token"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    for bad in ("nonsense", "cc_0123456789abcdef_" + "A" * 43, "é"):
        answer = await api.call("GET", "/v1/countries", token=bad)
        assert answer.status == 401
        assert answer.code == "invalid_token"
    basic = await api.call("GET", "/v1/countries", role=None, headers={"Authorization": "Basic x"})
    assert basic.code == "invalid_token"


async def test_operator_reads_and_controls_but_cannot_change(api: Api) -> None:
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    refused = [
        ("PUT", "/v1/accounts/acc-1", ACCOUNT),
        ("PUT", "/v1/accounts/acc-1/advanced-audio", {"acting_user_id": "u-billing"}),
        ("DELETE", "/v1/accounts/acc-1/advanced-audio", {"acting_user_id": "u-billing"}),
        ("POST", "/v1/sessions", {"account_id": "acc-1"}),
        ("PATCH", f"/v1/sessions/{sid}", {"title": "x"}),
        ("POST", f"/v1/sessions/{sid}/start", None),
        ("POST", f"/v1/sessions/{sid}/cancel", None),
        ("POST", f"/v1/sessions/{sid}/callme", {"phone": "+33612345678"}),
        ("POST", "/v1/tokens", {"role": "admin"}),
    ]
    for method, path, body in refused:
        answer = await api.call(method, path, body, role="operator")
        assert answer.status == 403, (method, path)
        assert answer.code == "forbidden_role"
    for path in (
        "/v1/accounts/acc-1",
        f"/v1/sessions/{sid}",
        "/v1/countries",
        f"/v1/sessions/{sid}/legs",
    ):
        assert (await api.call("GET", path, role="operator")).status == 200
    lock = await api.call("POST", f"/v1/sessions/{sid}/lock", role="operator")
    assert lock.status == 202
    state = (await api.call("GET", f"/v1/sessions/{sid}")).body["state"]
    assert state == "scheduled"


async def test_app_cannot_manage_tokens(api: Api) -> None:
    for method, path, body in [
        ("POST", "/v1/tokens", {"role": "admin"}),
        ("GET", "/v1/tokens", None),
        ("DELETE", "/v1/tokens/0123456789abcdef", None),
    ]:
        answer = await api.call(method, path, body, role="app")
        assert answer.status == 403
        assert answer.code == "forbidden_role"


async def test_admin_creates_a_token_that_works_until_revoked(api: Api) -> None:
    created = await api.call("POST", "/v1/tokens", {"role": "operator", "name": "dash"})
    assert created.status == 201
    token, token_id = created.body["token"], created.body["token_id"]
    assert (await api.call("GET", "/v1/countries", token=token)).status == 200
    listed = await api.call("GET", "/v1/tokens")
    assert token not in str(listed.body)
    assert token_id in {t["token_id"] for t in listed.body["tokens"]}
    revoked = await api.call("DELETE", f"/v1/tokens/{token_id}")
    assert revoked.status == 200
    assert revoked.body["revoked_at"] is not None
    after = await api.call("GET", "/v1/countries", token=token)
    assert after.status == 401
    assert after.code == "invalid_token"


async def test_unknown_paths_and_wrong_methods_have_the_error_shape(api: Api) -> None:
    missing = await api.call("GET", "/v1/nothing-here")
    assert missing.status == 404
    assert _is_error_shape(missing.body)
    wrong = await api.call("PATCH", "/v1/countries")
    assert wrong.status == 405
    assert wrong.code == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]


async def test_malformed_bodies(api: Api) -> None:
    cases = [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"", "application/json", 400, "invalid_json"),
        (b"NaN", "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 422, "invalid_field"),
        (b'{"plan": 3}', "application/json", 422, "invalid_field"),
        (b"plan=pro", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
        (b"[" * 5000 + b"]" * 5000, "application/json", 413, "body_too_large"),
        (b'{"a": "' + b"x" * MAX_BODY + b'"}', "application/json", 413, "body_too_large"),
    ]
    for data, ctype, status, code in cases:
        answer = await api.call(
            "PUT", "/v1/accounts/acc-1", data=data, headers={"Content-Type": ctype}
        )
        assert (answer.status, answer.code) == (status, code), data[:20]
        assert _is_error_shape(answer.body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ACCOUNT, "plan": "gold"}, "plan"),
        ({**ACCOUNT, "extra": 1}, "extra"),
        ({"plan": "pro", "billing_mode": "online"}, "billing_contact_user_id"),
        ({**ACCOUNT, "default_audio": {"join_muted": 1}}, "default_audio.join_muted"),
        ({**ACCOUNT, "billing_contact_user_id": "a\u0000b"}, "billing_contact_user_id"),
        ({**ACCOUNT, "billing_contact_user_id": "\ud800"}, "billing_contact_user_id"),
    ],
)
async def test_invalid_fields_name_the_field(api: Api, body: dict, field: str) -> None:
    answer = await api.call("PUT", "/v1/accounts/acc-1", body)
    assert answer.status == 422
    assert answer.body["error"]["field"] == field


async def test_request_id_is_echoed_or_made(api: Api) -> None:
    mine = await api.call("GET", "/healthz", headers={"X-Request-Id": "abc-123"})
    assert mine.headers["X-Request-Id"] == "abc-123"
    made = await api.call("GET", "/v1/nothing", headers={"X-Request-Id": "bad id with spaces"})
    assert made.headers["X-Request-Id"] != "bad id with spaces"
    assert len(made.headers["X-Request-Id"]) == 32
    ids = await asyncio.gather(*(api.call("GET", "/healthz") for _ in range(5)))
    assert len({a.headers["X-Request-Id"] for a in ids}) == 5


async def test_docs_page_is_self_contained(api: Api) -> None:
    page = await api.call("GET", "/docs", role="operator")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "/v1/sessions/{session_id}/callme" in page.body
    assert "<script" not in page.body
    assert "http://" not in page.body and "https://" not in page.body
