"""Sessions: schedule, read and edit a webinar's audio (transitions are in session_actions)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from callcontrol.domain.accounts import Account
from callcontrol.domain.errors import AddonRequired, UnavailableTollFreeCountries
from callcontrol.domain.numbers import NumberKind
from callcontrol.domain.rules import tollfree_countries_for
from callcontrol.domain.sessions import (
    NOT_STARTED_STATES,
    AudioMode,
    AudioOverrides,
    Session,
    options_for,
)
from callcontrol.store import audit
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.dids import DidRepository
from callcontrol.store.sessions import AccessCodeTaken, SessionRepository
from callcontrol.web.api.endpoint import ALL_ROLES, API, ID, WRITERS, Call, Reply
from callcontrol.web.api.errors import ApiError, not_found
from callcontrol.web.api.inputs import AUDIO_MODE, COUNTRY, USER_ID
from callcontrol.web.api.schema import Arr, Bool, DateTime, Obj, Out, Str
from callcontrol.web.api.session_view import SESSION_OUT, render_session
from callcontrol.web.api.views import NUMBER, SESSION, number_view, obj

_CODE_ATTEMPTS = 20
SESSION_AUDIO = Obj(
    {"join_muted": Bool(), "entry_exit_chimes": Bool(), "hold_beeps": Bool()},
    description="overrides of the account's default audio options",
)
TOLLFREE = Arr(COUNTRY, max_items=60, unique=True, description="toll-free countries (rule 7)")
TITLE = Str(min_length=1, max_length=200)
_EDITABLE = {
    "title": TITLE,
    "starts_at": DateTime(),
    "tollfree_countries": TOLLFREE,
    "audio_mode": AUDIO_MODE,
    "audio": SESSION_AUDIO,
}
NEW_SESSION = Obj(
    {"account_id": ID, "organizer_id": USER_ID, **_EDITABLE},
    required=("account_id", "organizer_id", "title", "starts_at"),
)
SESSION_CHANGES = Obj(
    _EDITABLE, min_properties=1, description="what to change; editable until the session starts"
)
STRINGS = {"type": "array", "items": {"type": "string"}}
TOLLFREE_CHANGE = obj(
    added=STRINGS, removed=STRINGS, new_numbers={"type": "array", "items": NUMBER}
)
PATCHED = Out(
    obj(
        session=SESSION,
        tollfree_change={
            "anyOf": [TOLLFREE_CHANGE, {"type": "null"}],
            "description": "when toll-free countries changed: the numbers to send invitees",
        },
    )
)


def _overrides(body: dict[str, Any]) -> AudioOverrides:
    audio = body.get("audio") or {}
    mode = body.get("audio_mode")
    return AudioOverrides(
        join_muted=audio.get("join_muted"),
        entry_exit_chimes=audio.get("entry_exit_chimes"),
        hold_beeps=audio.get("hold_beeps"),
        audio_mode=None if mode is None else AudioMode(mode),
    )


def _tollfree(account: Account, requested: list[str], available: frozenset[str]) -> frozenset[str]:
    """Rule 7 through the domain, as API refusals."""
    try:
        return tollfree_countries_for(account, requested, available)
    except UnavailableTollFreeCountries as exc:
        raise ApiError(422, exc.code, exc.message, "tollfree_countries") from None
    except AddonRequired as exc:
        raise ApiError(403, exc.code, exc.message, "tollfree_countries") from None


async def _account(call: Call, account_id: str, field: str | None = None) -> Account:
    account = await AccountRepository(call.database).get(account_id)
    if account is None:
        if field is None:
            raise not_found("account", account_id)
        raise ApiError(422, "unknown_account", f"no account {account_id!r}", field)
    return account


@API.route(
    "POST",
    "/v1/sessions",
    summary="Schedule a session",
    tag="sessions",
    roles=WRITERS,
    ok=(201, SESSION_OUT),
    body=NEW_SESSION,
    errors=(403,),
    idempotent=True,
)
async def create_session(call: Call) -> Reply:
    """Schedules a session with a fresh 9-digit access code (unique among open sessions) and
    a 6-digit organizer PIN. Audio options default to the account's. Toll-free countries
    need the add-on (403 addon_required) and must have toll-free numbers (422
    tollfree_country_unavailable)."""
    body = call.body
    account = await _account(call, body["account_id"], "account_id")
    available = await DidRepository(call.database).tollfree_countries()
    countries = _tollfree(account, body.get("tollfree_countries", []), available)
    audio = options_for(account.default_audio_options, _overrides(body))
    repo = SessionRepository(call.database)
    for _ in range(_CODE_ATTEMPTS):
        session = Session(
            session_id=f"ses_{secrets.token_hex(10)}",
            account_id=account.account_id,
            organizer_id=body["organizer_id"],
            title=body["title"],
            starts_at_ms=body["starts_at"],
            access_code=f"{secrets.randbelow(10**9):09d}",
            organizer_pin=f"{secrets.randbelow(10**6):06d}",
            tollfree_countries=countries,
            audio=audio,
        )
        try:
            await repo.insert(session)
            break
        except AccessCodeTaken:
            continue
    else:
        raise ApiError(503, "access_codes_exhausted", "no free access code found; retry")
    await audit.record_db(
        call.database, call.actor, "session.create", f"session:{session.session_id}", {}
    )
    view = await render_session(call, session, account)
    return Reply(view, status=201, location=f"/v1/sessions/{session.session_id}")


@API.route(
    "GET",
    "/v1/sessions/{session_id}",
    summary="Read a session",
    tag="sessions",
    roles=ALL_ROLES,
    ok=(200, SESSION_OUT),
)
async def get_session(call: Call) -> Reply:
    """Access code, organizer PIN, dial-in numbers by country and kind, state, and live
    counts (null when no call control runs)."""
    session = await SessionRepository(call.database).get(call.params["session_id"])
    if session is None:
        raise not_found("session", call.params["session_id"])
    return Reply(await render_session(call, session))


@API.route(
    "PATCH",
    "/v1/sessions/{session_id}",
    summary="Edit a session before it starts",
    tag="sessions",
    roles=WRITERS,
    ok=(200, PATCHED),
    body=SESSION_CHANGES,
    errors=(409,),
)
async def patch_session(call: Call) -> Reply:
    """Changes title, start time, toll-free countries or audio options of a session that has
    not started (409 session_not_editable otherwise). When the toll-free countries change,
    tollfree_change lists the countries added and removed and the new numbers to send."""
    repo, body = SessionRepository(call.database), call.body
    current = await repo.get(call.params["session_id"])
    if current is None:
        raise not_found("session", call.params["session_id"])
    account = await _account(call, current.account_id)
    available = await DidRepository(call.database).tollfree_countries()

    def change(session: Session) -> Session:
        if session.state not in NOT_STARTED_STATES:
            raise ApiError(409, "session_not_editable", f"the session is {session.state.value}")
        fields: dict[str, Any] = {
            "audio": options_for(session.audio, _overrides(body)),
            "title": body.get("title", session.title),
            "starts_at_ms": body.get("starts_at", session.starts_at_ms),
        }
        if "tollfree_countries" in body:
            fields["tollfree_countries"] = _tollfree(account, body["tollfree_countries"], available)
        return replace(session, **fields)

    result = await repo.update(current.session_id, change)
    if result is None:
        raise not_found("session", current.session_id)
    before, after = result
    await audit.record_db(
        call.database, call.actor, "session.patch", f"session:{after.session_id}", {"body": body}
    )
    tollfree_change = None
    if before.tollfree_countries != after.tollfree_countries:
        added = after.tollfree_countries - before.tollfree_countries
        new = await DidRepository(call.database).numbers(frozenset(added), NumberKind.TOLL_FREE)
        tollfree_change = {
            "added": sorted(added),
            "removed": sorted(before.tollfree_countries - after.tollfree_countries),
            "new_numbers": [number_view(d) for d in new] if added else [],
        }
    view = await render_session(call, after, account)
    return Reply({"session": view, "tollfree_change": tollfree_change})
