"""Sessions: scheduling (rule 7), reading, editing, and the state transitions."""

from __future__ import annotations

import re

from callcontrol.domain.sessions import SessionEvent
from tests.api.conftest import Api, make_account, make_session


async def test_create_session_defaults_from_account(api: Api) -> None:
    await api.call(
        "PUT",
        "/v1/accounts/acc-1",
        {
            "plan": "pro",
            "billing_mode": "online",
            "billing_contact_user_id": "u-billing",
            "default_audio": {"join_muted": True, "hold_beeps": False},
        },
    )
    created = await api.call(
        "POST",
        "/v1/sessions",
        {
            "account_id": "acc-1",
            "organizer_id": "u-org",
            "title": "Town hall",
            "starts_at": "2030-05-01T16:00:00+02:00",
            "audio": {"hold_beeps": True},
        },
        role="app",
    )
    assert created.status == 201, created.body
    session = created.body
    assert created.headers["Location"] == f"/v1/sessions/{session['session_id']}"
    assert re.fullmatch(r"[0-9]{9}", session["access_code"])
    assert re.fullmatch(r"[0-9]{6}", session["organizer_pin"])
    assert session["starts_at"] == "2030-05-01T14:00:00.000Z"
    assert session["state"] == "scheduled"
    assert session["audio"] == {
        "join_muted": True,
        "entry_exit_chimes": True,
        "hold_beeps": True,
        "audio_mode": "phone_and_computer",
    }
    assert session["live"] == {"waiting": 1, "in_conference": 2, "ringing": 0}
    # A paid plan without the add-on: toll numbers of every country, no toll-free.
    kinds = {n["kind"] for n in session["dial_in"]}
    assert kinds == {"toll"}
    assert len({n["country"] for n in session["dial_in"]}) >= 50
    got = await api.call("GET", f"/v1/sessions/{session['session_id']}", role="operator")
    assert got.body == session


async def test_tollfree_countries_need_the_addon(api: Api) -> None:
    await make_account(api, "acc-1", addon=False)
    answer = await api.call(
        "POST",
        "/v1/sessions",
        {
            "account_id": "acc-1",
            "organizer_id": "u",
            "title": "t",
            "starts_at": "2030-01-01T00:00:00Z",
            "tollfree_countries": ["FR"],
        },
    )
    assert answer.status == 403
    assert answer.body["error"]["code"] == "addon_required"


async def test_tollfree_countries_must_be_available(api: Api) -> None:
    await make_account(api, "acc-1")
    answer = await api.call(
        "POST",
        "/v1/sessions",
        {
            "account_id": "acc-1",
            "organizer_id": "u",
            "title": "t",
            "starts_at": "2030-01-01T00:00:00Z",
            "tollfree_countries": ["FR", "GR"],  # Greece has toll numbers only
        },
    )
    assert answer.status == 422
    assert answer.body["error"] == {
        "code": "tollfree_country_unavailable",
        "message": "no toll-free number in: GR",
        "field": "tollfree_countries",
    }


async def test_session_for_unknown_account_is_refused(api: Api) -> None:
    answer = await api.call(
        "POST",
        "/v1/sessions",
        {
            "account_id": "ghost",
            "organizer_id": "u",
            "title": "t",
            "starts_at": "2030-01-01T00:00:00Z",
        },
    )
    assert answer.status == 422
    assert answer.body["error"]["code"] == "unknown_account"


async def test_dial_in_lists_tollfree_numbers_of_chosen_countries(api: Api) -> None:
    await make_account(api, "acc-1")
    session = await make_session(api, tollfree_countries=["FR", "US"])
    tollfree = [n for n in session["dial_in"] if n["kind"] == "toll_free"]
    assert {n["country"] for n in tollfree} == {"FR", "US"}
    assert all(n["e164"].startswith("+") and n["international"] for n in tollfree)


async def test_access_codes_are_unique_among_open_sessions(api: Api) -> None:
    await make_account(api, "acc-1")
    codes = {(await make_session(api))["access_code"] for _ in range(25)}
    assert len(codes) == 25


async def test_patch_tollfree_returns_numbers_for_invitees(api: Api) -> None:
    await make_account(api, "acc-1")
    session = await make_session(api, tollfree_countries=["FR"])
    patched = await api.call(
        "PATCH",
        f"/v1/sessions/{session['session_id']}",
        {"tollfree_countries": ["US", "DE"], "title": "New title"},
        role="app",
    )
    assert patched.status == 200, patched.body
    change = patched.body["tollfree_change"]
    assert change["added"] == ["DE", "US"]
    assert change["removed"] == ["FR"]
    assert {n["country"] for n in change["new_numbers"]} == {"DE", "US"}
    assert all(n["kind"] == "toll_free" for n in change["new_numbers"])
    assert patched.body["session"]["title"] == "New title"
    title_only = await api.call(
        "PATCH", f"/v1/sessions/{session['session_id']}", {"title": "Again"}, role="app"
    )
    assert title_only.body["tollfree_change"] is None


async def test_patch_refused_once_started_and_empty_patch_refused(api: Api) -> None:
    await make_account(api, "acc-1")
    session = await make_session(api)
    sid = session["session_id"]
    empty = await api.call("PATCH", f"/v1/sessions/{sid}", {})
    assert empty.status == 422
    await api.call("POST", f"/v1/sessions/{sid}/start")
    late = await api.call("PATCH", f"/v1/sessions/{sid}", {"title": "x"})
    assert late.status == 409
    assert late.body["error"]["code"] == "session_not_editable"


async def test_transitions_follow_the_state_table_and_reach_call_control(api: Api) -> None:
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    joined = await api.call("POST", f"/v1/sessions/{sid}/organizer-joined", role="app")
    assert joined.status == 200
    assert joined.body["state"] == "organizer_joined"
    assert joined.body["organizer_joined_at"] is not None
    again = await api.call("POST", f"/v1/sessions/{sid}/organizer-joined", role="app")
    assert again.status == 409
    assert again.body["error"]["code"] == "illegal_session_transition"
    started = await api.call("POST", f"/v1/sessions/{sid}/start", role="app")
    assert started.body["state"] == "started"
    cancel = await api.call("POST", f"/v1/sessions/{sid}/cancel", role="app")
    assert cancel.status == 409
    ended = await api.call("POST", f"/v1/sessions/{sid}/end", role="app")
    assert ended.body["state"] == "ended"
    assert ended.body["dial_in"] == []
    assert api.port is not None
    events = [event for session, event in api.port.named("session_changed")]  # type: ignore[misc]
    assert events == [SessionEvent.ORGANIZER_JOINED, SessionEvent.START, SessionEvent.END]


async def test_transitions_without_call_control_still_apply(api_without_pbx: Api) -> None:
    api = api_without_pbx
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    cancelled = await api.call("POST", f"/v1/sessions/{sid}/cancel")
    assert cancelled.status == 200
    assert cancelled.body["state"] == "cancelled"
    assert cancelled.body["live"] is None


async def test_unknown_session_is_404(api: Api) -> None:
    for method, path in [
        ("GET", "/v1/sessions/ses_nope"),
        ("POST", "/v1/sessions/ses_nope/start"),
        ("GET", "/v1/sessions/ses_nope/legs"),
    ]:
        answer = await api.call(method, path)
        assert answer.status == 404
        assert answer.body["error"]["code"] == "session_not_found"
