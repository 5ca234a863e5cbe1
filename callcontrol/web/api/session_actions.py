"""Session transitions: organizer-joined, start, end, cancel (the domain's state table)."""

from __future__ import annotations

from callcontrol.clock import now_ms
from callcontrol.domain.errors import IllegalSessionTransition, TimeWentBackwards
from callcontrol.domain.sessions import Session, SessionEvent, apply
from callcontrol.logsetup import get_logger
from callcontrol.service.ports import CallControlError
from callcontrol.store import audit
from callcontrol.store.sessions import SessionRepository
from callcontrol.web.api.endpoint import API, WRITERS, Call, HandlerFn, Reply
from callcontrol.web.api.errors import ApiError, not_found
from callcontrol.web.api.session_view import SESSION_OUT, render_session

log = get_logger(__name__)

_ACTIONS = {
    SessionEvent.ORGANIZER_JOINED: (
        "organizer-joined",
        "The organizer joined (from the app)",
        "Marks the organizer as present: from now on rule 5 bills the session even if it is "
        "cancelled before it starts.",
    ),
    SessionEvent.START: (
        "start",
        "Start the session",
        "Participants waiting on hold are moved into the conference.",
    ),
    SessionEvent.END: ("end", "End the session", "Every leg still up is hung up."),
    SessionEvent.CANCEL: (
        "cancel",
        "Cancel the session",
        "A session never started nor joined by its organizer is then not billed (rule 5).",
    ),
}


def _handler(event: SessionEvent) -> HandlerFn:
    async def handler(call: Call) -> Reply:
        at_ms = now_ms()

        def change(session: Session) -> Session:
            try:
                return apply(session, event, at_ms)
            except (IllegalSessionTransition, TimeWentBackwards) as exc:
                raise ApiError(409, exc.code, exc.message) from None

        result = await SessionRepository(call.database).update(call.params["session_id"], change)
        if result is None:
            raise not_found("session", call.params["session_id"])
        session = result[1]
        await audit.record_db(
            call.database, call.actor, f"session.{event.value}", f"session:{session.session_id}"
        )
        if call.call_control is not None:
            try:
                await call.call_control.session_changed(session, event)
            except CallControlError as exc:
                # The transition stands (it is persisted); the calls catch up when they can.
                log.warning("call control did not apply the transition", code=exc.code)
        return Reply(await render_session(call, session))

    handler.__name__ = f"session_{event.value}"
    return handler


for _event, (_slug, _summary, _doc) in _ACTIONS.items():
    _fn = _handler(_event)
    _fn.__doc__ = _doc + " 409 illegal_session_transition when the state table has no row."
    API.route(
        "POST",
        f"/v1/sessions/{{session_id}}/{_slug}",
        summary=_summary,
        tag="sessions",
        roles=WRITERS,
        ok=(200, SESSION_OUT),
        errors=(409,),
    )(_fn)
