"""API tokens, for admins: create (the token is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from callcontrol.store import audit
from callcontrol.store.tokens import Role, Token, TokenRepository
from callcontrol.web.api.endpoint import ADMINS, API, Call, Reply
from callcontrol.web.api.errors import not_found
from callcontrol.web.api.schema import Enum, Obj, Out, Str
from callcontrol.web.api.views import TIME, obj

TOKEN = obj(
    token_id={"type": "string"},
    name={"type": "string"},
    role={"type": "string", "enum": [r.value for r in Role]},
    created_at=TIME,
    revoked_at={"anyOf": [TIME, {"type": "null"}]},
)
NEW_TOKEN = Obj(
    {"role": Enum(tuple(r.value for r in Role)), "name": Str(min_length=1, max_length=100)},
    required=("role",),
)
CREATED = Out(
    {
        **TOKEN,
        "properties": {**TOKEN["properties"], "token": {"type": "string"}},
        "required": [*TOKEN["required"], "token"],
    }
)


def token_view(token: Token) -> dict[str, Any]:
    return {
        "token_id": token.token_id,
        "name": token.name,
        "role": token.role.value,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@API.route(
    "POST",
    "/v1/tokens",
    summary="Create an API token",
    tag="tokens",
    roles=ADMINS,
    ok=(201, CREATED),
    body=NEW_TOKEN,
    idempotent=True,
)
async def create_token(call: Call) -> Reply:
    """The new token is in `token`, shown this once; only its hash is stored."""
    role = Role(call.body["role"])
    token, plain = await TokenRepository(call.database).create(
        role, call.body.get("name", role.value)
    )
    await audit.record_db(
        call.database, call.actor, "token.create", f"token:{token.token_id}", {"role": role.value}
    )
    return Reply({**token_view(token), "token": plain}, status=201)


@API.route(
    "GET",
    "/v1/tokens",
    summary="List API tokens",
    tag="tokens",
    roles=ADMINS,
    ok=(200, Out(obj(tokens={"type": "array", "items": TOKEN}))),
)
async def list_tokens(call: Call) -> Reply:
    """Every token, revoked ones included; never the tokens themselves."""
    tokens = await TokenRepository(call.database).all()
    return Reply({"tokens": [token_view(t) for t in tokens]})


@API.route(
    "DELETE",
    "/v1/tokens/{token_id}",
    summary="Revoke an API token",
    tag="tokens",
    roles=ADMINS,
    ok=(200, Out(TOKEN)),
)
async def revoke_token(call: Call) -> Reply:
    """The token is refused from the next request on."""
    token = await TokenRepository(call.database).revoke(call.params["token_id"])
    if token is None:
        raise not_found("token", call.params["token_id"])
    await audit.record_db(call.database, call.actor, "token.revoke", f"token:{token.token_id}")
    return Reply(token_view(token))
