"""panoramisk's AMIProtocol with our AMI parser, and a fix for its PlayDTMF crash.

Use it through ``panoramisk.Manager(protocol_factory=protocol_factory(...))``; the Manager
keeps doing actions, futures, login and reconnects. What changes:

- framing and parsing are done by :class:`~callcontrol.pbx.ami_parser.AmiParser` on bytes,
  so split UTF-8 characters survive and unwanted events are skipped unread;
- events no action waits for reach ``Manager.dispatch`` (and so ``register_event``
  callbacks) as :class:`~callcontrol.pbx.ami_parser.AmiMessage` objects;
- responses, and events carrying the ActionID of a pending action (OriginateResponse, list
  entries), are converted to panoramisk ``Message`` objects and resolve the action's future
  as before; :func:`from_panoramisk` turns them back for the translator;
- panoramisk 1.4 raises ``KeyError('async')`` on a "... successfully queued" response to an
  action without an ``Async`` header (PlayDTMF) and drops the connection. Completion here
  treats a missing ``Async`` as false.
- a malformed frame is logged and skipped; the connection stays up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from callcontrol.pbx.ami_parser import (
    EVENT,
    RESPONSE,
    AmiMessage,
    AmiParser,
    MessageKind,
    ParseError,
)

_TRUE = frozenset({"true", "yes", "y", "t", "1", "on"})


def to_panoramisk(message: AmiMessage) -> Message:
    """A panoramisk Message (repeated headers become lists, as panoramisk does)."""
    if message.pairs is None:
        return Message(message.headers, message.content)
    headers: dict[str, Any] = {}
    for key, value in message.pairs:
        old = headers.get(key)
        if old is None:
            headers[key] = value
        elif isinstance(old, list):
            old.append(value)
        else:
            headers[key] = [old, value]
    return Message(headers, message.content)


def from_panoramisk(message: Message) -> AmiMessage:
    """Our message type from a panoramisk Message (e.g. an action future's result)."""
    pairs: list[tuple[str, str]] = []
    for key, value in message.items():
        if isinstance(value, list):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    headers: dict[str, str] = {}
    for key, value in pairs:
        headers.setdefault(key, value)
    kind: MessageKind
    if "event" in message:
        kind, name = EVENT, str(message["event"])
    else:
        kind, name = RESPONSE, str(message.get("response", ""))
    dup = pairs if len(pairs) != len(headers) else None
    return AmiMessage(kind, name, headers, dup, message.content)


def _is_multi(action: Action) -> bool:
    """panoramisk's ``Action.multi`` with ``Async`` optional (the 1.4 KeyError fix)."""
    first = action.responses[0]
    text = str(first.get("message", "")).lower()
    if action.as_list is not None:
        return bool(action.as_list)
    if first.get("subevent") == "Start" or first.get("eventlist") == "start":
        return True
    if "will follow" in text or (text.startswith("added") and text.endswith("to queue")):
        return True
    if text.endswith("successfully queued"):
        return str(action.get("async", "false")).lower() in _TRUE
    return False


def _settle(action: Action, message: Message) -> bool:
    """panoramisk's ``Action.add_message``: True once the action's future is resolved."""
    action.responses.append(message)
    multi = _is_multi(action)
    last = action.responses[-1]
    completed = (
        str(last.get("event", "")).endswith("Complete")
        or last.get("subevent") in ("End", "Exec")
        or last.get("response") in ("Success", "Error", "Fail", "Failure")
        or not multi
    )
    if not completed or action.future.done():
        return False
    if not multi:
        action.future.set_result(action.responses[0])
        return True
    if len(action.responses) > 1:
        action.future.set_result(action.responses)
        return True
    return False


class CallControlAMIProtocol(AMIProtocol):  # type: ignore[misc]
    """AMIProtocol whose parsing is :class:`AmiParser` (see the module doc)."""

    version: str | None
    wanted_events: frozenset[str] | None = None
    wanted_variables: frozenset[str] | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.parser = AmiParser(self.wanted_events, self.wanted_variables)
        self.parse_errors = 0

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        for item in parser.feed(data):
            if isinstance(item, ParseError):
                self.parse_errors += 1
                self.log.warning("skipping malformed AMI frame (%s): %r", item.reason, item.raw)
                continue
            if self.version is None and parser.version is not None:
                self.version = parser.version
                self.log.info("protocol version: '%s'", self.version)
            self.handle_message(item)

    def handle_message(self, message: AmiMessage) -> None:
        responses = self.responses
        action = None
        if responses:
            command_id = message.headers.get("CommandID")
            if command_id is not None:
                action = responses.get(command_id)
            action_id = message.action_id
            if action is None and action_id is not None:
                action = responses.get(action_id)
        if action is not None:
            if _settle(action, to_panoramisk(message)):
                responses.pop(action.id, None)
                if action.action_id:
                    responses.pop(action.action_id, None)
            return
        if message.kind != EVENT:
            self.log.debug("response to no pending action: %r", message.headers)
            return
        if self.factory is None:
            self.log.warning("event before the manager was attached, dropped: %s", message.name)
            return
        if message.name.lower() == "shutdown":
            self.connection_lost(message)  # as stock panoramisk does
        self.factory.dispatch(message)


def protocol_factory(
    wanted_events: frozenset[str] | None = None,
    wanted_variables: frozenset[str] | None = None,
) -> Callable[[], CallControlAMIProtocol]:
    """A ``protocol_factory`` for ``panoramisk.Manager`` with the given event filter."""

    class _Configured(CallControlAMIProtocol):
        pass

    _Configured.wanted_events = wanted_events
    _Configured.wanted_variables = wanted_variables
    return _Configured
