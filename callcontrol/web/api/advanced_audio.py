"""The advanced audio add-on (toll-free numbers and Call Me): rules 6 and 8."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from callcontrol.domain.accounts import Account
from callcontrol.domain.rules import add_addon, authorize_addon_change, remove_addon
from callcontrol.domain.sessions import NOT_STARTED_STATES, Session
from callcontrol.store import audit
from callcontrol.store.accounts import AccountRepository
from callcontrol.web.api.endpoint import API, ID, WRITERS, Call, Reply
from callcontrol.web.api.errors import ApiError, not_found
from callcontrol.web.api.inputs import USER_ID
from callcontrol.web.api.schema import Obj, Out
from callcontrol.web.api.views import ACCOUNT, account_view, obj

PARAMS = {"account_id": ID}
ACTING = Obj(
    {"acting_user_id": USER_ID},
    required=("acting_user_id",),
    description="the user asking; only the billing contact of an online account may",
)
CHANGED = Out(
    obj(
        account=ACCOUNT,
        changed_sessions={
            "type": "array",
            "items": {"type": "string"},
            "description": "scheduled sessions that lost their toll-free numbers (rule 8)",
        },
    )
)
_NOT_STARTED = [s.value for s in NOT_STARTED_STATES]
Change = Callable[[Account, list[Session]], tuple[Account, Sequence[Session]]]


def _authorized(account: Account, acting_user_id: str) -> None:
    refusal = authorize_addon_change(account, acting_user_id)
    if refusal is not None:
        raise ApiError(403, refusal.code.value, refusal.message, "acting_user_id")


def _adding(acting: str) -> Change:
    def change(account: Account, _: list[Session]) -> tuple[Account, Sequence[Session]]:
        _authorized(account, acting)
        return add_addon(account), ()

    return change


def _removing(acting: str) -> Change:
    def change(account: Account, sessions: list[Session]) -> tuple[Account, Sequence[Session]]:
        _authorized(account, acting)
        removal = remove_addon(account, sessions)
        return removal.account, removal.changed_sessions

    return change


async def _change(call: Call, action: str, change: Change) -> Reply:
    account_id = call.params["account_id"]
    result = await AccountRepository(call.database).change_with_sessions(
        account_id,
        _NOT_STARTED if action == "remove" else (),
        change,
    )
    if result is None:
        raise not_found("account", account_id)
    account, changed = result
    changed_ids = [s.session_id for s in changed]
    await audit.record_db(
        call.database,
        call.actor,
        f"advanced_audio.{action}",
        f"account:{account_id}",
        {"acting_user_id": call.body["acting_user_id"], "changed_sessions": changed_ids},
    )
    return Reply({"account": account_view(account), "changed_sessions": changed_ids})


@API.route(
    "PUT",
    "/v1/accounts/{account_id}/advanced-audio",
    summary="Add the advanced audio add-on",
    tag="accounts",
    roles=WRITERS,
    ok=(200, CHANGED),
    body=ACTING,
    params=PARAMS,
)
async def add_advanced_audio(call: Call) -> Reply:
    """Rule 6: only the billing contact of an online account may. Refusals (403):
    contact_support (offline account), contact_account_manager (invoice account),
    not_billing_contact. Adding it again is harmless."""
    return await _change(call, "add", _adding(call.body["acting_user_id"]))


@API.route(
    "DELETE",
    "/v1/accounts/{account_id}/advanced-audio",
    summary="Remove the advanced audio add-on",
    tag="accounts",
    roles=WRITERS,
    ok=(200, CHANGED),
    body=ACTING,
    params=PARAMS,
)
async def remove_advanced_audio(call: Call) -> Reply:
    """Rule 6 as for adding it. Rule 8: every scheduled session of the account loses its
    toll-free numbers (listed in changed_sessions); sessions in progress keep the legs they
    have but take no new toll-free or Call Me leg."""
    return await _change(call, "remove", _removing(call.body["acting_user_id"]))
