"""Scripted dial-in callers: a phone calling a DID over the trunk, step by step.

``place_call(did, caller_num, script=[Digits("123456789#"), WaitMs(5000), Keypad("*6"),
Hangup()])`` creates the inbound channel ``PJSIP/trunk-XXXXXXXX`` in the inbound
context and plays the script against it. ``Digits`` waits until the channel listens
(a Read, GET DATA or ConfBridge menu is running), as a person waits for the prompt.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from callcontrol.sim import media
from callcontrol.sim.channels import Channel

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

PROMPT_WAIT_LIMIT_S = 120.0


@dataclass(frozen=True)
class Digits:
    digits: str
    gap_ms: int = 150
    wait_prompt: bool = True


@dataclass(frozen=True)
class Keypad:
    """Keys pressed during the conference (menu), without waiting for a prompt."""

    keys: str
    gap_ms: int = 150


@dataclass(frozen=True)
class WaitMs:
    ms: int


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Talk:
    """Speak for ``ms`` (ConfbridgeTalking on/off when the profile reports talking)."""

    ms: int


Step = Digits | Keypad | WaitMs | Hangup | Talk


def step_from_dict(data: dict[str, Any]) -> Step:
    kind = data.get("type")
    args = {k: v for k, v in data.items() if k != "type"}
    types: dict[str, type[Any]] = {
        "digits": Digits, "keypad": Keypad, "wait_ms": WaitMs, "hangup": Hangup, "talk": Talk,
    }  # fmt: skip
    if kind not in types:
        raise ValueError(f"unknown script step type {kind!r}; one of {sorted(types)}")
    step: Step = types[kind](**args)
    return step


def default_script(digits: str | None, hangup_after_s: float | None) -> list[Step]:
    script: list[Step] = []
    if digits:
        script.append(Digits(digits))
    if hangup_after_s is not None:
        script += [WaitMs(int(hangup_after_s * 1000)), Hangup()]
    return script


@dataclass(eq=False)
class Caller:
    """The far end of one inbound trunk channel."""

    did: str
    caller_num: str
    caller_name: str
    script: list[Step]
    channel: Channel | None = None
    task: asyncio.Task[None] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    hangup_cause: int | None = None
    received_dtmf: list[str] = field(default_factory=list)

    def start(self, rt: Runtime, ch: Channel) -> None:
        self.channel = ch
        self.task = rt.spawn(self._run(rt, ch), name=f"caller {self.caller_num} -> {self.did}")

    async def _run(self, rt: Runtime, ch: Channel) -> None:
        for step in self.script:
            if ch.gone:
                return
            if isinstance(step, WaitMs):
                await rt.clock.sleep(step.ms / 1000)
            elif isinstance(step, Digits):
                if step.wait_prompt:
                    await self._wait_prompt(rt, ch)
                await media.deliver_digits(rt, ch, step.digits, gap_s=step.gap_ms / 1000)
            elif isinstance(step, Keypad):
                await media.deliver_digits(rt, ch, step.keys, gap_s=step.gap_ms / 1000)
            elif isinstance(step, Talk):
                await self._talk(rt, ch, step.ms / 1000)
            elif isinstance(step, Hangup):
                rt.remote_hangup(ch, 16)
                return

    async def _wait_prompt(self, rt: Runtime, ch: Channel) -> None:
        try:
            async with asyncio.timeout(rt.clock.real(PROMPT_WAIT_LIMIT_S)):
                await ch.listening.wait()
        except TimeoutError:
            log.info(
                "caller on %s: no prompt after %.0f s; typing anyway", ch.name, PROMPT_WAIT_LIMIT_S
            )

    async def _talk(self, rt: Runtime, ch: Channel, seconds: float) -> None:
        member = ch.member
        if member is not None:
            rt.confs.set_talking(member, True)
        await rt.clock.sleep(seconds)
        if ch.member is not None and ch.member is member:
            rt.confs.set_talking(member, False)

    # -- what the PBX does to this phone -----------------------------------------------

    def pbx_answered(self, ch: Channel) -> None:
        self.answered.set()

    def pbx_dtmf(self, ch: Channel, digit: str) -> None:
        self.received_dtmf.append(digit)

    def pbx_hangup(self, ch: Channel, cause: int) -> None:
        self.hangup_cause = cause
        self._end(ch)

    def pbx_vanished(self, ch: Channel) -> None:
        self._end(ch)

    def _end(self, ch: Channel) -> None:
        # The channel is gone: unlinking it from this phone breaks the channel <-> caller
        # cycle, so an ended call is freed at once instead of by the cycle collector.
        ch.far_end = None
        self.ended.set()
        if (
            self.task is not None
            and not self.task.done()
            and self.task is not asyncio.current_task()
        ):
            self.task.cancel()


def place_call(
    rt: Runtime,
    did: str,
    caller_num: str,
    caller_name: str = "",
    script: list[Step] | None = None,
    *,
    digits: str | None = None,
    hangup_after_s: float | None = None,
    context: str | None = None,
) -> Caller:
    """A call from the trunk to ``did``: Newchannel in the inbound context, then the
    dialplan runs while the script plays."""
    caller = Caller(did, caller_num, caller_name, script or default_script(digits, hangup_after_s))
    ch = rt.new_channel(
        "PJSIP", rt.trunk_name(), context or rt.config.inbound_context, did,
        caller=(caller_num, caller_name), dnid=did,
    )  # fmt: skip
    ch.far_end = caller
    rt.start(ch)
    caller.start(rt, ch)
    return caller
