"""Call Me: every refusal happens before call control is asked; an accepted request places one
call and answers 202 with the leg to poll."""

from __future__ import annotations

import dataclasses

import pytest

from callcontrol.service.ports import CallMeRequest
from callcontrol.web.api.config import ApiSettings
from tests.api.conftest import Answer, Api, make_account, make_session

CALLER = {"phone": "+33 6 12 34 56 78", "name": "Ann", "role": "attendee"}


async def _session(api: Api, **account: object) -> str:
    await make_account(api, "acc-1", **account)  # type: ignore[arg-type]
    return (await make_session(api))["session_id"]


async def _callme(api: Api, sid: str, **changes: object) -> Answer:
    return await api.call("POST", f"/v1/sessions/{sid}/callme", {**CALLER, **changes}, role="app")


async def test_accepted_callme_places_one_call_and_is_pollable(api: Api) -> None:
    sid = await _session(api)
    answer = await _callme(api, sid, participant_id="p-9")
    assert answer.status == 202, answer.body
    leg_id = answer.body["leg_id"]
    assert answer.headers["Location"] == f"/v1/legs/{leg_id}"
    assert api.port is not None
    [request] = api.port.named("request_callme")
    assert isinstance(request, CallMeRequest)
    assert request.phone_e164 == "+33612345678"
    assert request.country == "FR"
    assert request.participant_id == "p-9"
    leg = await api.call("GET", f"/v1/legs/{leg_id}", role="operator")
    assert leg.status == 200
    assert leg.body["kind"] == "callme"
    assert leg.body["number"] == "+33 6•• ••• •78"
    assert leg.body["cost"] is None
    assert leg.body["display_name"] == "Ann"
    legs = await api.call("GET", f"/v1/sessions/{sid}/legs")
    assert [x["leg_id"] for x in legs.body["legs"]] == [leg_id]


async def test_national_number_with_region(api: Api) -> None:
    sid = await _session(api)
    answer = await _callme(api, sid, phone="020 7946 0958", region="GB")
    assert answer.status == 202, answer.body


@pytest.mark.parametrize(
    ("phone", "status", "code"),
    [
        ("not a number", 422, "invalid_number"),
        ("+3361234", 422, "invalid_number"),
        ("0612345678", 422, "invalid_number"),  # national without a region
        ("+33899123456", 422, "number_type_not_allowed"),  # FR premium rate
        ("+19005550123", 422, "number_type_not_allowed"),  # US premium rate
        ("+448431234567", 422, "number_type_not_allowed"),  # GB shared cost
        ("+447012345678", 422, "number_type_not_allowed"),  # GB personal number
        ("+882160000000", 403, "high_risk_destination"),  # international network
        ("+8613812345678", 403, "callme_country_not_allowed"),  # CN: not allowed
        ("+97150123456" + "7", 403, "callme_country_not_allowed"),  # AE: not listed
    ],
)
async def test_number_refusals(api: Api, phone: str, status: int, code: str) -> None:
    sid = await _session(api)
    answer = await _callme(api, sid, phone=phone)
    assert (answer.status, answer.code) == (status, code), answer.body
    assert answer.body["error"]["field"] == "phone"
    assert api.port is not None and api.port.named("request_callme") == []


async def test_addon_missing(api: Api) -> None:
    sid = await _session(api, addon=False)
    answer = await _callme(api, sid)
    assert (answer.status, answer.code) == (403, "addon_missing")


async def test_session_not_open(api: Api) -> None:
    sid = await _session(api)
    await api.call("POST", f"/v1/sessions/{sid}/cancel")
    answer = await _callme(api, sid)
    assert (answer.status, answer.code) == (422, "session_not_open")


async def test_computer_only_session_takes_no_phone(api: Api) -> None:
    await make_account(api, "acc-1")
    sid = (await make_session(api, audio_mode="computer_only"))["session_id"]
    answer = await _callme(api, sid)
    assert (answer.status, answer.code) == (422, "no_phone_audio")


@pytest.fixture
def api_settings() -> ApiSettings:
    return dataclasses.replace(
        ApiSettings(),
        callme_per_destination=2,
        callme_per_session=4,
        callme_per_account=5,
        callme_max_concurrent_per_session=3,
    )


async def test_rate_limit_per_destination(api: Api) -> None:
    sid = await _session(api)
    for _ in range(2):
        assert (await _callme(api, sid)).status == 202
    refused = await _callme(api, sid)
    assert (refused.status, refused.code) == (429, "rate_limited_destination")
    assert refused.headers["Retry-After"] == "3600"


async def test_concurrent_legs_and_session_and_account_limits(api: Api) -> None:
    assert api.port is not None
    await make_account(api, "acc-1")
    first = (await make_session(api))["session_id"]
    second = (await make_session(api))["session_id"]
    phones = [f"+3361234567{i}" for i in range(10)]
    legs = []
    for phone in phones[:3]:
        answer = await _callme(api, first, phone=phone)
        assert answer.status == 202
        legs.append(answer.body["leg_id"])
    too_many = await _callme(api, first, phone=phones[3])
    assert (too_many.status, too_many.code) == (429, "too_many_callme_legs")
    await api.port.end_leg(legs[0])
    assert (await _callme(api, first, phone=phones[4])).status == 202
    for leg in legs[1:]:
        await api.port.end_leg(leg)
    per_session = await _callme(api, first, phone=phones[5])
    assert (per_session.status, per_session.code) == (429, "rate_limited_session")
    assert (await _callme(api, second, phone=phones[6])).status == 202
    per_account = await _callme(api, second, phone=phones[7])
    assert (per_account.status, per_account.code) == (429, "rate_limited_account")
    assert len(api.port.named("request_callme")) == 5


async def test_without_call_control_answers_503_after_validation(api_without_pbx: Api) -> None:
    api = api_without_pbx
    await make_account(api, "acc-1")
    sid = (await make_session(api))["session_id"]
    invalid = await _callme(api, sid, phone="+33899123456")
    assert invalid.status == 422
    answer = await _callme(api, sid)
    assert (answer.status, answer.code) == (503, "pbx_unavailable")


async def test_refusals_are_counted_in_metrics(api: Api) -> None:
    sid = await _session(api)
    await _callme(api, sid, phone="+882160000000")
    metrics = await api.call("GET", "/metrics", role=None)
    assert 'callcontrol_callme_refusals_total{code="high_risk_destination"}' in metrics.body
