"""Accounts and the advanced audio add-on (rules 6 and 8) through the real HTTP server."""

from __future__ import annotations

import pytest

from tests.api.conftest import ACCOUNT, Api, make_account, make_session


async def test_put_then_get_account(api: Api) -> None:
    put = await api.call(
        "PUT",
        "/v1/accounts/acc-7",
        {**ACCOUNT, "default_audio": {"join_muted": True, "audio_mode": "computer_only"}},
        role="app",
    )
    assert put.status == 200, put.body
    got = await api.call("GET", "/v1/accounts/acc-7", role="operator")
    assert got.status == 200
    assert got.body == put.body
    assert got.body["advanced_audio"] is False
    assert got.body["features"] == ["toll_numbers"]
    assert got.body["default_audio"] == {
        "join_muted": True,
        "entry_exit_chimes": True,
        "hold_beeps": True,
        "audio_mode": "computer_only",
    }


async def test_put_keeps_the_addon(api: Api) -> None:
    await make_account(api, "acc-1", addon=True)
    again = await api.call("PUT", "/v1/accounts/acc-1", {**ACCOUNT, "plan": "business"})
    assert again.body["advanced_audio"] is True
    assert again.body["plan"] == "business"


async def test_unknown_account_is_404(api: Api) -> None:
    answer = await api.call("GET", "/v1/accounts/nobody")
    assert answer.status == 404
    assert answer.body == {
        "error": {"code": "account_not_found", "message": "no account 'nobody'", "field": None}
    }


async def test_billing_contact_of_online_account_adds_and_removes_addon(api: Api) -> None:
    await make_account(api, "acc-1", addon=False)
    added = await api.call(
        "PUT", "/v1/accounts/acc-1/advanced-audio", {"acting_user_id": "u-billing"}, role="app"
    )
    assert added.status == 200
    assert added.body["account"]["advanced_audio"] is True
    assert added.body["account"]["features"] == ["call_me", "toll_free", "toll_numbers"]
    removed = await api.call(
        "DELETE", "/v1/accounts/acc-1/advanced-audio", {"acting_user_id": "u-billing"}, role="app"
    )
    assert removed.status == 200
    assert removed.body["account"]["advanced_audio"] is False


@pytest.mark.parametrize(
    ("billing_mode", "acting", "code"),
    [
        ("offline", "u-billing", "contact_support"),
        ("offline", "someone", "contact_support"),
        ("invoice", "u-billing", "contact_account_manager"),
        ("online", "someone-else", "not_billing_contact"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_addon_change_refusals(
    api: Api, billing_mode: str, acting: str, code: str, method: str
) -> None:
    before = await make_account(api, "acc-2", addon=method == "DELETE", billing_mode=billing_mode)
    answer = await api.call(
        method, "/v1/accounts/acc-2/advanced-audio", {"acting_user_id": acting}, role="app"
    )
    assert answer.status == 403
    assert answer.body["error"]["code"] == code
    assert answer.body["error"]["field"] == "acting_user_id"
    after = await api.call("GET", "/v1/accounts/acc-2")
    assert after.body == before


async def test_removing_addon_strips_tollfree_from_scheduled_sessions_only(api: Api) -> None:
    await make_account(api, "acc-1")
    scheduled = await make_session(api, tollfree_countries=["FR", "US"])
    joined = await make_session(api, tollfree_countries=["DE"])
    started = await make_session(api, tollfree_countries=["GB"])
    plain = await make_session(api)
    await api.call("POST", f"/v1/sessions/{joined['session_id']}/organizer-joined", role="app")
    await api.call("POST", f"/v1/sessions/{started['session_id']}/start", role="app")

    removed = await api.call(
        "DELETE", "/v1/accounts/acc-1/advanced-audio", {"acting_user_id": "u-billing"}
    )
    assert removed.status == 200
    assert sorted(removed.body["changed_sessions"]) == sorted(
        [scheduled["session_id"], joined["session_id"]]
    )
    for changed in (scheduled, joined):
        view = (await api.call("GET", f"/v1/sessions/{changed['session_id']}")).body
        assert view["tollfree_countries"] == []
        assert all(n["kind"] == "toll" for n in view["dial_in"])
    # The started session keeps its list, but takes no new Call Me leg (rule 3).
    live = (await api.call("GET", f"/v1/sessions/{started['session_id']}")).body
    assert live["tollfree_countries"] == ["GB"]
    refused = await api.call(
        "POST",
        f"/v1/sessions/{started['session_id']}/callme",
        {"phone": "+33612345678", "name": "Ann", "role": "attendee"},
        role="app",
    )
    assert refused.status == 403
    assert refused.body["error"]["code"] == "addon_missing"
    assert plain["session_id"] not in removed.body["changed_sessions"]
