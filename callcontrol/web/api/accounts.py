"""Accounts: the webinar app keeps callcontrol's copy of each customer account up to date."""

from __future__ import annotations

from dataclasses import replace

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.sessions import AudioOptions, options_for
from callcontrol.store import audit
from callcontrol.store.accounts import AccountRepository
from callcontrol.web.api.endpoint import ALL_ROLES, API, ID, WRITERS, Call, Reply
from callcontrol.web.api.errors import not_found
from callcontrol.web.api.inputs import AUDIO_OPTIONS, USER_ID, overrides
from callcontrol.web.api.schema import Enum, Obj, Out
from callcontrol.web.api.views import ACCOUNT, account_view

PARAMS = {"account_id": ID}
ACCOUNT_OUT = Out(ACCOUNT)

PUT_ACCOUNT = Obj(
    {
        "plan": Enum(tuple(p.value for p in Plan)),
        "billing_mode": Enum(tuple(m.value for m in BillingMode)),
        "billing_contact_user_id": USER_ID,
        "default_audio": AUDIO_OPTIONS,
    },
    required=("plan", "billing_mode", "billing_contact_user_id"),
    description="the account as the webinar app knows it (the add-on has its own resource)",
)


@API.route(
    "PUT",
    "/v1/accounts/{account_id}",
    summary="Create or update an account",
    tag="accounts",
    roles=WRITERS,
    ok=(200, ACCOUNT_OUT),
    body=PUT_ACCOUNT,
    params=PARAMS,
)
async def put_account(call: Call) -> Reply:
    """Creates the account or replaces its plan, billing mode, billing contact and default
    audio options. The advanced audio add-on is kept: it changes only through
    /v1/accounts/{account_id}/advanced-audio (rule 6)."""
    repo = AccountRepository(call.database)
    account_id, body = call.params["account_id"], call.body
    existing = await repo.get(account_id)
    audio = options_for(AudioOptions(), overrides(body.get("default_audio")))
    fields = {
        "plan": Plan(body["plan"]),
        "billing_mode": BillingMode(body["billing_mode"]),
        "billing_contact_user_id": body["billing_contact_user_id"],
        "default_audio_options": audio,
    }
    if existing is None:
        account = Account(account_id=account_id, advanced_audio=False, **fields)
    else:
        account = replace(existing, **fields)
    await repo.save(account)
    await audit.record_db(
        call.database, call.actor, "account.put", f"account:{account_id}", {"body": body}
    )
    return Reply(account_view(account))


@API.route(
    "GET",
    "/v1/accounts/{account_id}",
    summary="Read an account",
    tag="accounts",
    roles=ALL_ROLES,
    ok=(200, ACCOUNT_OUT),
    params=PARAMS,
)
async def get_account(call: Call) -> Reply:
    """The account, its add-on and the features its subscription gives (rule 3)."""
    account = await AccountRepository(call.database).get(call.params["account_id"])
    if account is None:
        raise not_found("account", call.params["account_id"])
    return Reply(account_view(account))
