"""Dialplan applications: what each one does to the channel and which events it emits.

An application returns None to go on with the next priority, or a ``Stop`` when the
channel must hang up (Hangup(), Busy(), a failed ConfBridge ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcontrol.sim import agi_client, media
from callcontrol.sim.channels import BUSY, RINGING, Channel
from callcontrol.sim.confbridge import KICK, Member
from callcontrol.sim.dialplan.args import parse_gotoif, parse_set, split_args
from callcontrol.sim.events import CALL

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stop:
    cause: int
    peer_cause: int | None = 16


App = Callable[["Runtime", Channel, str], Awaitable[Stop | None]]
APPS: dict[str, App] = {}


def app(name: str) -> Callable[[App], App]:
    def register(fn: App) -> App:
        APPS[name.lower()] = fn
        return fn

    return register


async def run(rt: Runtime, ch: Channel, name: str, data: str) -> Stop | None:
    fn = APPS.get(name.lower())
    if fn is None:
        # Asterisk: "No application 'X' for extension" and the channel hangs up.
        log.error("channel %s: application %s is not simulated; hanging up", ch.name, name)
        return Stop(0, 0)
    return await fn(rt, ch, data)


def resolve_dial(ch: Channel, status: str) -> None:
    """Tell an Originate waiting on ``ch`` how the dial ended."""
    if ch.dial_wait is not None and not ch.dial_wait.done():
        ch.dial_wait.set_result(status)


def _arg(args: list[str], index: int, default: str = "") -> str:
    return args[index].strip() if len(args) > index and args[index].strip() else default


def _seconds(text: str, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        log.warning("not a number of seconds: %r", text)
        return default


async def forever() -> None:
    await asyncio.get_running_loop().create_future()


# -- control flow -----------------------------------------------------------------------


@app("NoOp")
@app("Verbose")
@app("Log")
@app("Progress")
async def noop(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    return None


@app("Answer")
async def answer(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    rt.answer(ch)
    return None


@app("Set")
async def set_(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    name, value = parse_set(data)
    rt.set_var(ch, name, value)
    return None


def goto(rt: Runtime, ch: Channel, target: str) -> None:
    ch.context, ch.exten, ch.priority = rt.plan.resolve_goto(ch, target)
    ch.jumped = True


@app("Goto")
async def goto_app(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    goto(rt, ch, data)
    return None


@app("GotoIf")
async def gotoif(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    target = parse_gotoif(data).taken()
    if target:
        goto(rt, ch, target)
    return None


@app("Wait")
async def wait(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    await rt.clock.sleep(_seconds(data, 0.0))
    return None


@app("Hangup")
async def hangup(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    cause = int(data) if data.strip().isdigit() else 16
    return Stop(ch.hangup_cause or cause, 16)


async def _refuse(rt: Runtime, ch: Channel, data: str, cause: int, status: str) -> Stop | None:
    if not ch.is_up:
        ch.hangup_cause = cause
        rt.set_state(ch, BUSY)
        if ch.peer is not None:
            resolve_dial(ch.peer, status)
    timeout = _seconds(_arg(split_args(data), 0), 0.0)
    await (rt.clock.sleep(timeout) if timeout > 0 else forever())
    return Stop(ch.hangup_cause or cause, 0)


@app("Busy")
async def busy(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    return await _refuse(rt, ch, data, 17, "BUSY")


@app("Congestion")
async def congestion(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    return await _refuse(rt, ch, data, 34, "CONGESTION")


@app("Ringing")
async def ringing(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    dialer = ch.peer
    if dialer is not None and dialer.dial_wait is not None and dialer.state != RINGING:
        rt.set_state(dialer, RINGING)
        rt.bus.dial_state(dialer, "RINGING")
    return None


@app("UserEvent")
async def user_event(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    extra = [("UserEvent", _arg(args, 0))]
    for item in args[1:]:
        key, _, value = item.partition(":")
        extra.append((key.strip(), value.strip()))
    rt.bus.channel("UserEvent", ch, "user,all", extra)
    return None


@app("SendDTMF")
async def send_dtmf(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    digits = _arg(args, 0)
    gap = _seconds(_arg(args, 1), 250.0) / 1000
    duration = _seconds(_arg(args, 2), 100.0) / 1000
    if ch.peer is not None:
        await media.deliver_digits(rt, ch.peer, digits, gap, duration)
    elif ch.far_end is not None:
        for index, digit in enumerate(digits):
            await rt.clock.sleep((gap if index else 0) + duration)
            ch.far_end.pbx_dtmf(ch, digit)
    return None


# -- media ------------------------------------------------------------------------------


@app("Playback")
async def playback(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    if "noanswer" not in _arg(args, 1):
        rt.answer(ch)
    await media.play(rt, ch, _arg(args, 0).split("&"))
    rt.set_var(ch, "PLAYBACKSTATUS", "SUCCESS")
    return None


@app("Read")
async def read(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    variable = _arg(args, 0)
    prompts = _arg(args, 1).split("&")
    max_digits = int(_arg(args, 2, "0") or 0)
    attempts = max(1, int(_arg(args, 4, "1") or 1))
    timeout = _seconds(_arg(args, 5), 10.0)
    rt.set_var(ch, "READSTATUS", "ERROR")
    digits, timed_out = "", True
    for _ in range(attempts):
        digits, timed_out = await media.collect(rt, ch, prompts, max_digits, timeout)
        if digits:
            break
    rt.set_var(ch, variable, digits)
    rt.set_var(ch, "READSTATUS", "TIMEOUT" if timed_out and not digits else "OK")
    return None


@app("MusicOnHold")
async def music_on_hold(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    moh_class = _arg(args, 0, "default")
    duration = _seconds(_arg(args, 1), 0.0)
    rt.bus.channel("MusicOnHoldStart", ch, CALL, [("Class", moh_class)])
    try:
        await (rt.clock.sleep(duration) if duration > 0 else forever())
    finally:
        if not ch.gone:
            rt.bus.channel("MusicOnHoldStop", ch, CALL)
    return None


@app("AGI")
async def agi(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    return await agi_client.run_agi(rt, ch, data)


@app("ConfBridge")
async def confbridge(rt: Runtime, ch: Channel, data: str) -> Stop | None:
    args = split_args(data)
    name = _arg(args, 0)
    profile = rt.profiles.user(_arg(args, 2, "default_user"))
    menu = rt.profiles.menu(_arg(args, 3, "default_menu"))
    max_members = rt.profiles.max_members(_arg(args, 1, "default_bridge"))
    if not name or profile is None or menu is None or max_members is None:
        log.error(
            "channel %s: ConfBridge(%s): no conference name or unknown profile", ch.name, data
        )
        rt.set_var(ch, "CONFBRIDGE_RESULT", "FAILED")
        return Stop(0, 0)
    rt.answer(ch)
    if not rt.confs.can_join(name, profile, max_members):
        await rt.clock.sleep(rt.config.locked_prompt_s)  # "conf-locked" is played
        rt.set_var(ch, "CONFBRIDGE_RESULT", "FAILED")
        return Stop(0, 0)
    member = rt.confs.join(ch, name, profile, menu)
    try:
        return await _conference_keypad(rt, ch, member)
    finally:
        ch.listening.clear()
        if ch.member is member:
            if ch.gone:
                rt.confs.discard(member)
            else:
                rt.confs.leave(member, "HANGUP")


async def _conference_keypad(rt: Runtime, ch: Channel, member: Member) -> Stop | None:
    """Read the member's keys against its menu until it leaves the conference."""
    menu = member.menu
    typed = ""
    while True:
        ch.listening.set()
        digit = await ch.dtmf.get()
        if digit == KICK:
            return None
        typed += digit
        items = menu.entries.get(typed)
        if items is None:
            if not menu.is_prefix(typed):
                typed = digit if menu.is_prefix(digit) else ""
            continue
        typed = ""
        ch.listening.clear()
        for item in items:
            if item.action == "dialplan_exec" and len(item.args) >= 3:
                outcome = await rt.run_inline(ch, item.args[0], item.args[1], int(item.args[2]))
                if outcome is not None:
                    return outcome
            elif item.action in ("playback", "playback_and_continue") and item.args:
                await media.play(rt, ch, item.args[0].split("&"))
            else:
                result = rt.confs.menu_action(member, item.action)
                if result is not None:
                    rt.confs.leave(member, result)
                    return None
            if ch.member is not member:
                return None  # kicked while the action ran
