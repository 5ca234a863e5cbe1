"""The audit list: who did what, when — every control and change made through the API."""

from __future__ import annotations

from callcontrol.clock import iso
from callcontrol.store import audit
from callcontrol.store.tokens import Role
from callcontrol.web.api.endpoint import API, Call, Reply
from callcontrol.web.api.schema import Out
from callcontrol.web.api.views import obj

_ENTRY = obj(
    at={"type": "string", "format": "date-time"},
    actor={"type": "string"},
    action={"type": "string"},
    target={"type": "string"},
    details={"type": "object"},
)
AUDIT_OUT = Out(obj(items={"type": "array", "items": _ENTRY}))
LIMIT = 100


@API.route(
    "GET",
    "/v1/audit",
    summary="The latest audit entries",
    tag="audit",
    roles=frozenset({Role.OPERATOR, Role.ADMIN}),
    ok=(200, AUDIT_OUT),
)
async def list_audit(call: Call) -> Reply:
    """The 100 newest entries, newest first: actor (token name), action, target, details."""
    entries = await audit.latest(call.database, LIMIT)
    items = [{**e, "at": iso(int(e["at"].timestamp() * 1000))} for e in entries]
    return Reply({"items": items})
