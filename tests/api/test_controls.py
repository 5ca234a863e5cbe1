"""Call controls on legs and conferences: 404 before call control, 409 on its refusals, 503
without it."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, make_account, make_session


async def _leg(api: Api) -> tuple[str, str]:
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    answer = await api.call(
        "POST",
        f"/v1/sessions/{sid}/callme",
        {"phone": "+12015550123", "name": "Bo", "role": "panelist"},
    )
    assert answer.status == 202, answer.body
    return sid, answer.body["leg_id"]


async def test_leg_controls_reach_call_control(api: Api) -> None:
    sid, leg = await _leg(api)
    assert api.port is not None
    assert (await api.call("POST", f"/v1/legs/{leg}/mute", role="operator")).status == 202
    assert (await api.call("POST", f"/v1/legs/{leg}/unmute", role="operator")).status == 202
    moved = await api.call("POST", f"/v1/legs/{leg}/audio-mode", {"mode": "computer"}, role="app")
    assert moved.status == 202
    dropped = await api.call("DELETE", f"/v1/legs/{leg}", role="operator")
    assert dropped.status == 202
    assert dropped.body == {"target": leg, "action": "drop", "accepted": True}
    for action in ("mute-all", "unmute-all"):
        assert (
            await api.call("POST", f"/v1/sessions/{sid}/{action}", role="operator")
        ).status == 202
    for action in ("lock", "unlock"):
        assert (
            await api.call("POST", f"/v1/sessions/{sid}/{action}", role="operator")
        ).status == 202
    lowered = await api.call("POST", f"/v1/legs/{leg}/lower-hand", role="operator")
    assert (lowered.status, lowered.body["action"]) == (202, "lower-hand")
    assert [name for name, _ in api.port.calls if name != "request_callme"] == [
        "set_leg_muted",
        "set_leg_muted",
        "switch_to_computer_audio",
        "drop_leg",
        "set_all_muted",
        "set_all_muted",
        "set_locked",
        "set_locked",
        "lower_hand",
    ]
    assert api.port.named("set_all_muted") == [(sid, True), (sid, False)]
    assert api.port.named("set_locked") == [(sid, True), (sid, False)]


async def test_call_control_refusal_is_409_with_its_code(api: Api) -> None:
    _, leg = await _leg(api)
    assert api.port is not None
    api.port.refuse_with = "leg_not_in_conference"
    answer = await api.call("POST", f"/v1/legs/{leg}/mute")
    assert (answer.status, answer.code) == (409, "leg_not_in_conference")


async def test_ended_leg_and_closed_session_are_refused_before_call_control(api: Api) -> None:
    sid, leg = await _leg(api)
    assert api.port is not None
    await api.port.end_leg(leg)
    await api.call("POST", f"/v1/sessions/{sid}/cancel")
    before = len(api.port.calls)
    ended = await api.call("DELETE", f"/v1/legs/{leg}")
    assert (ended.status, ended.code) == (409, "leg_not_live")
    closed = await api.call("POST", f"/v1/sessions/{sid}/mute-all")
    assert (closed.status, closed.code) == (409, "session_closed")
    assert len(api.port.calls) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/legs/leg-none"),
        ("POST", "/v1/legs/leg-none/mute"),
        ("POST", "/v1/sessions/ses-none/lock"),
        ("GET", "/v1/legs/leg-none"),
        ("GET", "/v1/legs/bad%20id"),
    ],
)
async def test_unknown_targets_are_404(api: Api, method: str, path: str) -> None:
    answer = await api.call(method, path)
    assert answer.status == 404


async def test_audio_mode_body_is_validated(api: Api) -> None:
    _, leg = await _leg(api)
    answer = await api.call("POST", f"/v1/legs/{leg}/audio-mode", {"mode": "phone"})
    assert (answer.status, answer.body["error"]["field"]) == (422, "mode")


async def test_controls_without_call_control_are_503(api_without_pbx: Api) -> None:
    api = api_without_pbx
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    answer = await api.call("POST", f"/v1/sessions/{sid}/mute-all", role="operator")
    assert (answer.status, answer.code) == (503, "pbx_unavailable")
