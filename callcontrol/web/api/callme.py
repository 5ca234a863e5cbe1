"""Call Me: the webinar app asks callcontrol to phone a participant into a session."""

from __future__ import annotations

from decimal import Decimal

from callcontrol.domain.legs import LegRole
from callcontrol.service.ports import CallControlError, CallMeRequest
from callcontrol.store import audit
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.callme_limits import Limit, live_callme_legs, record_if_allowed
from callcontrol.store.dids import DidRepository
from callcontrol.store.sessions import SessionRepository
from callcontrol.web.api.callme_checks import check_session, parse_destination, refuse
from callcontrol.web.api.endpoint import API, WRITERS, Call, Reply
from callcontrol.web.api.errors import ApiError, not_found
from callcontrol.web.api.inputs import COUNTRY
from callcontrol.web.api.keys import SPENT
from callcontrol.web.api.schema import Enum, Obj, Out, Str
from callcontrol.web.api.views import obj

# Call control refusals that say the server side is down, not that the request is wrong.
_SERVER_SIDE = frozenset({"no_pbx_node", "node_unavailable", "pbx_unavailable"})

CALLME = Obj(
    {
        "phone": Str(min_length=1, max_length=40, description="E.164, or national with region"),
        "name": Str(min_length=1, max_length=100, description="shown to the organizer"),
        "role": Enum(tuple(r.value for r in LegRole)),
        "participant_id": Str(min_length=1, max_length=64),
        "region": COUNTRY,
    },
    required=("phone", "name", "role"),
)
ACCEPTED = Out(
    obj(
        leg_id={"type": "string"},
        session_id={"type": "string"},
        state={"type": "string"},
        location={"type": "string", "description": "poll this leg for its progress"},
    )
)


def _limits(call: Call, session_id: str, account_id: str, e164: str) -> list[Limit]:
    s = call.settings
    return [
        Limit("session", session_id, s.callme_per_session, s.callme_per_session_window_s),
        Limit("account", account_id, s.callme_per_account, s.callme_per_account_window_s),
        Limit("destination", e164, s.callme_per_destination, s.callme_per_destination_window_s),
    ]


@API.route(
    "POST",
    "/v1/sessions/{session_id}/callme",
    summary="Phone a participant (Call Me)",
    tag="callme",
    roles=WRITERS,
    ok=(202, ACCEPTED),
    body=CALLME,
    errors=(403, 409, 429, 503),
    idempotent=True,
)
async def request_callme(call: Call) -> Reply:
    """Checks, in order: the session is open and its audio is by phone (422
    session_not_open, no_phone_audio), the account has the add-on (403 addon_missing), the
    number (422 invalid_number, number_type_not_allowed; 403 high_risk_destination,
    callme_country_not_allowed), concurrent Call Me legs of the session (429
    too_many_callme_legs), rate limits per session, account and destination (429
    rate_limited_session, rate_limited_account, rate_limited_destination). Then one call is
    placed; poll the Location for its progress."""
    session_id, body = call.params["session_id"], call.body
    session = await SessionRepository(call.database).get(session_id)
    if session is None:
        raise not_found("session", session_id)
    account = await AccountRepository(call.database).get(session.account_id)
    role = LegRole(body["role"])
    spent_of = call.request.app.get(SPENT)
    spent = await spent_of(session.account_id) if spent_of and account else Decimal(0)
    account = check_session(session, account, role is LegRole.ORGANIZER, spent)
    dest = parse_destination(body["phone"], body.get("region"), call.settings.high_risk_prefixes)
    country = await DidRepository(call.database).country(dest.country)
    if country is None or not country.callme_allowed:
        raise refuse(
            403, "callme_country_not_allowed", f"Call Me does not phone {dest.country}", "phone"
        )
    if (
        await live_callme_legs(call.database, session_id)
        >= call.settings.callme_max_concurrent_per_session
    ):
        raise refuse(429, "too_many_callme_legs", "too many Call Me legs in this session")
    port = call.require_call_control()
    reached = await record_if_allowed(
        call.database,
        session_id,
        account.account_id,
        dest.e164,
        _limits(call, session_id, account.account_id, dest.e164),
    )
    if reached is not None:
        raise refuse(
            429,
            f"rate_limited_{reached.scope}",
            f"at most {reached.max_count} Call Me requests per {reached.scope} "
            f"in {reached.window_s} s",
            Retry_After=str(reached.window_s),
        )
    request = CallMeRequest(
        session=session,
        phone_e164=dest.e164,
        country=dest.country,
        display_name=body["name"],
        role=role,
        participant_id=body.get("participant_id"),
    )
    try:
        leg = await port.request_callme(request)
    except CallControlError as exc:
        raise ApiError(503 if exc.code in _SERVER_SIDE else 409, exc.code, exc.message) from None
    await audit.record_db(
        call.database,
        call.actor,
        "callme.request",
        f"leg:{leg.leg_id}",
        {"session_id": session_id, "country": dest.country},
    )
    location = f"/v1/legs/{leg.leg_id}"
    body_out = {
        "leg_id": leg.leg_id,
        "session_id": session_id,
        "state": leg.state.value,
        "location": location,
    }
    return Reply(body_out, status=202, location=location)
