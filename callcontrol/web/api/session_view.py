"""A session as the API answers it: with its dial-in numbers and live counts."""

from __future__ import annotations

from typing import Any

from callcontrol.domain.accounts import Account
from callcontrol.domain.sessions import Session
from callcontrol.store.accounts import AccountRepository
from callcontrol.web.api.dialin import dial_in_numbers
from callcontrol.web.api.endpoint import Call
from callcontrol.web.api.schema import Out
from callcontrol.web.api.views import SESSION, session_view

SESSION_OUT = Out(SESSION)


async def render_session(
    call: Call, session: Session, account: Account | None = None
) -> dict[str, Any]:
    if account is None:
        account = await AccountRepository(call.database).get(session.account_id)
    numbers = await dial_in_numbers(call.database, session, account)
    port = call.call_control
    live = port.live_counts(session.session_id) if port is not None else None
    return session_view(session, numbers, live)
