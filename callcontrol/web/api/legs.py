"""Legs: read-only views of the calls of a session (written by call control)."""

from __future__ import annotations

from decimal import Decimal

from callcontrol.store.legs import LegRepository
from callcontrol.store.sessions import SessionRepository
from callcontrol.web.api.endpoint import ALL_ROLES, API, Call, Reply
from callcontrol.web.api.errors import not_found
from callcontrol.web.api.keys import LEG_COSTS
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
    costs = await _costs(call, call.params["session_id"])
    return Reply({"legs": [leg_view(r, costs.get(r.leg.leg_id)) for r in rows]})


@API.route(
    "GET",
    "/v1/legs/{leg_id}",
    summary="Read a leg",
    tag="legs",
    roles=ALL_ROLES,
    ok=(200, LEG_OUT),
)
async def get_leg(call: Call) -> Reply:
    """Times, state, kind, country, masked number, end reason and cost so far (its ledger
    charge once rated; null when no rate applies or the leg never reached a session)."""
    row = await LegRepository(call.database).get(call.params["leg_id"])
    if row is None:
        raise not_found("leg", call.params["leg_id"])
    costs = await _costs(call, row.leg.session_id) if row.leg.session_id else {}
    return Reply(leg_view(row, costs.get(row.leg.leg_id)))


async def _costs(call: Call, session_id: str) -> dict[str, Decimal]:
    leg_costs = call.request.app.get(LEG_COSTS)
    return await leg_costs(session_id) if leg_costs is not None else {}
