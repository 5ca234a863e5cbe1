"""Legs: read-only views of the calls of a session (written by call control)."""

from __future__ import annotations

from callcontrol.store.legs import LegRepository
from callcontrol.store.sessions import SessionRepository
from callcontrol.web.api.endpoint import ALL_ROLES, API, Call, Reply
from callcontrol.web.api.errors import not_found
from callcontrol.web.api.schema import Out
from callcontrol.web.api.views import LEG, leg_view, obj

LEG_OUT = Out(LEG)
LEGS_OUT = Out(obj(legs={"type": "array", "items": LEG}))


@API.route(
    "GET",
    "/v1/sessions/{session_id}/legs",
    summary="List the legs of a session",
    tag="legs",
    roles=ALL_ROLES,
    ok=(200, LEGS_OUT),
)
async def list_session_legs(call: Call) -> Reply:
    """Every leg of the session, oldest first; caller numbers are masked."""
    session_id = call.params["session_id"]
    if await SessionRepository(call.database).get(session_id) is None:
        raise not_found("session", session_id)
    rows = await LegRepository(call.database).for_session(session_id)
    return Reply({"legs": [leg_view(r) for r in rows]})


@API.route(
    "GET",
    "/v1/legs/{leg_id}",
    summary="Read a leg",
    tag="legs",
    roles=ALL_ROLES,
    ok=(200, LEG_OUT),
)
async def get_leg(call: Call) -> Reply:
    """Times, state, kind, country, masked number, end reason; cost is null until billing
    rates the leg."""
    row = await LegRepository(call.database).get(call.params["leg_id"])
    if row is None:
        raise not_found("leg", call.params["leg_id"])
    return Reply(leg_view(row))
