"""The node's event bus: every AMI event is serialised once and handed to each listener.

Privilege classes and the place of ``Timestamp`` (right after ``Privilege``, as
manager.c writes it when ``timestampevents = yes``) follow Asterisk 22.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from callcontrol.sim.ami_wire import encode
from callcontrol.sim.channels import Channel, cause_text
from callcontrol.sim.clock import SimClock

CALL, DIALPLAN, DTMF, AGI, SYSTEM = "call,all", "dialplan,all", "dtmf,all", "agi,all", "system,all"

Fields = list[tuple[str, str]]


class Listener(Protocol):
    def __call__(self, name: str, headers: Fields, frame: bytes) -> None: ...


class EventBus:
    def __init__(self, clock: SimClock, *, timestamp_events: bool = True) -> None:
        self.clock = clock
        self.timestamp_events = timestamp_events
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, name: str, privilege: str, fields: Fields) -> None:
        headers: Fields = [("Event", name), ("Privilege", privilege)]
        if self.timestamp_events:
            headers.append(("Timestamp", self.clock.timestamp()))
        headers.extend(fields)
        frame = encode(headers)
        for listener in list(self._listeners):
            listener(name, headers, frame)

    # -- channel events -------------------------------------------------------------

    def channel(
        self, name: str, ch: Channel, privilege: str = CALL, extra: Fields | None = None
    ) -> None:
        self.emit(name, privilege, [*ch.fields(), *(extra or [])])

    def newchannel(self, ch: Channel) -> None:
        self.channel("Newchannel", ch)

    def newstate(self, ch: Channel) -> None:
        self.channel("Newstate", ch)

    def newexten(self, ch: Channel) -> None:
        self.channel(
            "Newexten",
            ch,
            DIALPLAN,
            [("Extension", ch.exten), ("Application", ch.app), ("AppData", ch.app_data)],
        )

    def varset(self, ch: Channel, variable: str, value: str) -> None:
        self.channel("VarSet", ch, DIALPLAN, [("Variable", variable), ("Value", value)])

    def hangup_request(self, ch: Channel, cause: int) -> None:
        self.channel("HangupRequest", ch, extra=[("Cause", str(cause))])

    def soft_hangup_request(self, ch: Channel, cause: int = 16) -> None:
        self.channel("SoftHangupRequest", ch, extra=[("Cause", str(cause))])

    def hangup(self, ch: Channel, cause: int) -> None:
        self.channel("Hangup", ch, extra=[("Cause", str(cause)), ("Cause-txt", cause_text(cause))])

    def dtmf(self, ch: Channel, digit: str, end: bool, direction: str = "Received") -> None:
        extra: Fields = [("Digit", digit)]
        if end:
            extra.append(("DurationMs", "100"))
        extra.append(("Direction", direction))
        self.channel("DTMFEnd" if end else "DTMFBegin", ch, DTMF, extra)

    def dial_begin(self, ch: Channel, dial_string: str) -> None:
        self.emit("DialBegin", CALL, [*ch.fields("Dest"), ("DialString", dial_string)])

    def dial_state(self, ch: Channel, status: str) -> None:
        self.emit("DialState", CALL, [*ch.fields("Dest"), ("DialStatus", status)])

    def dial_end(self, ch: Channel, status: str) -> None:
        self.emit("DialEnd", CALL, [*ch.fields("Dest"), ("DialStatus", status)])

    def local_bridge(self, one: Channel, two: Channel) -> None:
        fields: Fields = [("LocalOne" + k, v) for k, v in one.fields()]
        fields += [("LocalTwo" + k, v) for k, v in two.fields()]
        fields += [("Context", two.context), ("Exten", two.exten), ("LocalOptimization", "Yes")]
        self.emit("LocalBridge", CALL, fields)
