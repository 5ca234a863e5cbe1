"""Scripted Call Me callees: the phones at the far end of Originate PJSIP/<number>@trunk.

A callee is registered by number with a behaviour: answer after N s and press the
confirmation digits M s later, be busy (cause 17), never answer (cause 19 at the
Originate Timeout), be congested (34), or answer and ignore the confirmation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from callcontrol.sim import media, originate
from callcontrol.sim.channels import Channel

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

KINDS = ("answer", "busy", "noanswer", "congestion")


@dataclass(frozen=True)
class CalleeBehaviour:
    kind: str = "answer"
    ring_s: float = 1.0  # ringing before answering / refusing
    digits: str = "1"  # pressed once the confirmation prompt plays; "" ignores it
    digits_after_s: float = 1.0  # after answer, and only while the channel listens
    hangup_after_s: float | None = None  # after answer; None = stay until the PBX ends

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"callee kind must be one of {KINDS}, not {self.kind!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalleeBehaviour:
        allowed = {"kind", "ring_s", "digits", "digits_after_s", "hangup_after_s"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown callee fields: {sorted(unknown)}")
        return cls(**data)


class CalleeSession:
    """One ringing/answered callee; the far end of one trunk channel."""

    def __init__(self, number: str, behaviour: CalleeBehaviour) -> None:
        self.number = number
        self.behaviour = behaviour
        self.task: asyncio.Task[None] | None = None
        self.received_dtmf: list[str] = []
        self.hangup_cause: int | None = None

    def start(self, rt: Runtime, ch: Channel) -> None:
        self.task = rt.spawn(self._run(rt, ch), name=f"callee {self.number}")

    async def _run(self, rt: Runtime, ch: Channel) -> None:
        b = self.behaviour
        if b.kind == "noanswer":
            originate.far_end_ringing(rt, ch)
            return  # rings until the Originate Timeout
        if b.kind == "answer":
            originate.far_end_ringing(rt, ch)
        await rt.clock.sleep(b.ring_s)
        if ch.gone:
            return
        if b.kind != "answer":
            originate.far_end_refused(ch, "BUSY" if b.kind == "busy" else "CONGESTION")
            return
        originate.far_end_answered(rt, ch)
        if b.digits:
            await rt.clock.sleep(b.digits_after_s)
            await _wait_listening(rt, ch)
            await media.deliver_digits(rt, ch, b.digits)
        if b.hangup_after_s is not None:
            await rt.clock.sleep(max(0.0, b.hangup_after_s - (b.digits_after_s if b.digits else 0)))
            if not ch.gone:
                rt.remote_hangup(ch, 16)

    # -- what the PBX does to this phone -----------------------------------------------

    def pbx_answered(self, ch: Channel) -> None:
        """Not used for callees: they answer, the PBX does not."""

    def pbx_dtmf(self, ch: Channel, digit: str) -> None:
        self.received_dtmf.append(digit)

    def pbx_hangup(self, ch: Channel, cause: int) -> None:
        self.hangup_cause = cause
        self._stop()

    def pbx_vanished(self, ch: Channel) -> None:
        self._stop()

    def _stop(self) -> None:
        if (
            self.task is not None
            and not self.task.done()
            and self.task is not asyncio.current_task()
        ):
            self.task.cancel()


async def _wait_listening(rt: Runtime, ch: Channel, limit_s: float = 60.0) -> None:
    """A person presses keys once the prompt plays; bounded so a silent channel does
    not keep the phone waiting forever."""
    if ch.listening.is_set() or ch.gone:
        return
    try:
        await asyncio.wait_for(ch.listening.wait(), rt.clock.real(limit_s))
    except TimeoutError:
        log.info("callee on %s: no prompt within %.0f s; pressing anyway", ch.name, limit_s)


class CalleeBook:
    """Callee behaviours by number, with a default for unknown numbers."""

    def __init__(self, default: CalleeBehaviour | None = None) -> None:
        self.default = default or CalleeBehaviour()
        self.by_number: dict[str, CalleeBehaviour] = {}
        self.sessions: list[CalleeSession] = []

    def add(
        self, number: str, behaviour: CalleeBehaviour | None = None, **kwargs: Any
    ) -> CalleeBehaviour:
        behaviour = replace(behaviour or CalleeBehaviour(), **kwargs) if kwargs else behaviour
        self.by_number[number] = behaviour or CalleeBehaviour()
        return self.by_number[number]

    def session_for(self, number: str) -> CalleeSession:
        session = CalleeSession(number, self.by_number.get(number, self.default))
        self.sessions.append(session)
        del self.sessions[:-1000]  # keep the recent ones for inspection only
        return session
