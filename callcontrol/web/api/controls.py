"""Call controls: drop, mute, unmute legs and lower hands; mute, unmute, lock and unlock a
conference.

Each checks that its target exists (404) before asking call control, which may refuse with a
stable code (409); without call control the answer is 503 pbx_unavailable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from callcontrol.domain.legs import LegState
from callcontrol.service.ports import CallControlError, CallControlPort
from callcontrol.store import audit
from callcontrol.store.legs import LegRepository
from callcontrol.store.sessions import SessionRepository
from callcontrol.web.api.endpoint import API, CONTROLLERS, Call, HandlerFn, Reply
from callcontrol.web.api.errors import ApiError, not_found
from callcontrol.web.api.schema import Enum, Obj, Out
from callcontrol.web.api.views import obj

DONE = Out(obj(target={"type": "string"}, action={"type": "string"}, accepted={"type": "boolean"}))
AUDIO_MODE_BODY = Obj(
    {"mode": Enum(("computer",), description="the participant now listens on the computer")},
    required=("mode",),
)
Action = Callable[[CallControlPort, str], Awaitable[None]]


async def _control(call: Call, kind: str, target: str, name: str, action: Action) -> Reply:
    if kind == "leg":
        row = await LegRepository(call.database).get(target)
        if row is None:
            raise not_found("leg", target)
        if row.leg.state is LegState.ENDED:
            raise ApiError(409, "leg_not_live", f"leg {target} has ended")
    else:
        session = await SessionRepository(call.database).get(target)
        if session is None:
            raise not_found("session", target)
        if session.is_terminal:
            raise ApiError(409, "session_closed", f"the session is {session.state.value}")
    port = call.require_call_control()
    try:
        await action(port, target)
    except CallControlError as exc:
        raise ApiError(409, exc.code, exc.message) from None
    await audit.record_db(call.database, call.actor, f"{kind}.{name}", f"{kind}:{target}")
    return Reply({"target": target, "action": name, "accepted": True}, status=202)


def _declare(kind: str, name: str, summary: str, doc: str, action: Action, **extra: Any) -> None:
    param = f"{kind}_id"
    base = "/v1/legs" if kind == "leg" else "/v1/sessions"

    async def handler(call: Call) -> Reply:
        return await _control(call, kind, call.params[param], name, action)

    handler.__name__ = f"{kind}_{name.replace('-', '_')}"
    handler.__doc__ = doc
    fn: HandlerFn = handler
    method = extra.pop("method", "POST")
    path = f"{base}/{{{param}}}" + ("" if name == "drop" else f"/{name}")
    API.route(
        method,
        path,
        summary=summary,
        tag="controls",
        roles=CONTROLLERS,
        ok=(202, DONE),
        errors=(409, 503),
        **extra,
    )(fn)


_declare(
    "leg",
    "drop",
    "Hang up a leg",
    "Ends the call (end reason operator_drop).",
    lambda p, t: p.drop_leg(t),
    method="DELETE",
)
_declare(
    "leg",
    "mute",
    "Mute a leg",
    "Mutes the caller in the conference.",
    lambda p, t: p.set_leg_muted(t, True),
)
_declare(
    "leg",
    "unmute",
    "Unmute a leg",
    "Unmutes the caller in the conference.",
    lambda p, t: p.set_leg_muted(t, False),
)
_declare(
    "leg",
    "lower-hand",
    "Lower a raised hand",
    "Lowers the hand the caller raised with *9 (as if they pressed *9 again); "
    "409 hand_not_raised when there is none.",
    lambda p, t: p.lower_hand(t),
)
_declare(
    "leg",
    "audio-mode",
    "The participant moved to computer audio",
    "Ends the phone leg (end reason switched_audio_mode).",
    lambda p, t: p.switch_to_computer_audio(t),
    body=AUDIO_MODE_BODY,
)
_declare(
    "session",
    "mute-all",
    "Mute every participant",
    "Mutes everyone but the organizer.",
    lambda p, t: p.set_all_muted(t, True),
)
_declare(
    "session",
    "unmute-all",
    "Unmute every participant",
    "Unmutes everyone but the organizer.",
    lambda p, t: p.set_all_muted(t, False),
)
_declare(
    "session",
    "lock",
    "Lock the conference",
    "No new caller joins while locked.",
    lambda p, t: p.set_locked(t, True),
)
_declare(
    "session",
    "unlock",
    "Unlock the conference",
    "Callers may join again.",
    lambda p, t: p.set_locked(t, False),
)
