"""AGI commands and their ``200 result=...`` replies, as res_agi.c writes them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callcontrol.sim import media
from callcontrol.sim.channels import Channel

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

USAGE = "520 Invalid command syntax.  Proper usage not available."
UNKNOWN = "510 Invalid or unknown command"
SAMPLES_PER_SECOND = 8000
DEFAULT_GETDATA_TIMEOUT_S = 6.0


def _ms(text: str, default_s: float) -> float:
    try:
        value = int(text)
    except ValueError:
        return default_s
    return value / 1000 if value > 0 else default_s


async def execute(rt: Runtime, ch: Channel, words: list[str]) -> tuple[str, bool]:
    """Run one command; returns (reply line, the channel was hung up by it)."""
    upper = [w.upper() for w in words[:3]]
    try:
        if upper[:1] == ["ANSWER"]:
            rt.answer(ch)
            return "200 result=0", False
        if upper[:1] == ["HANGUP"]:
            return "200 result=1", True
        if upper[:1] in (["NOOP"], ["VERBOSE"]):
            return ("200 result=0" if upper[0] == "NOOP" else "200 result=1"), False
        if upper[:2] == ["STREAM", "FILE"]:
            return await _stream_file(rt, ch, words[2], words[3] if len(words) > 3 else ""), False
        if upper[:2] == ["GET", "DATA"]:
            return await _get_data(rt, ch, words[2:]), False
        if upper[:2] == ["SET", "VARIABLE"]:
            rt.set_var(ch, words[2], words[3] if len(words) > 3 else "")
            return "200 result=1", False
        if upper[:3] == ["GET", "FULL", "VARIABLE"]:
            return f"200 result=1 ({rt.substitute(ch, words[3])})", False
        if upper[:2] == ["GET", "VARIABLE"]:
            value = rt.get_var(ch, words[2])
            return (f"200 result=1 ({value})" if value else "200 result=0"), False
        if upper[:1] == ["EXEC"]:
            return await _exec(rt, ch, words[1], " ".join(words[2:]))
        if upper[:2] == ["CHANNEL", "STATUS"]:
            return f"200 result={ch.state}", False
        if upper[:3] == ["WAIT", "FOR", "DIGIT"]:
            return await _wait_for_digit(rt, ch, words[3] if len(words) > 3 else "-1"), False
        if upper[:2] in (["SAY", "DIGITS"], ["SAY", "NUMBER"]):
            await rt.clock.sleep(0.5 * len(words[2]))
            return "200 result=0", False
        if upper[:2] in (["SET", "CONTEXT"], ["SET", "EXTENSION"], ["SET", "PRIORITY"]):
            _set_location(ch, upper[1], words[2])
            return "200 result=0", False
    except IndexError:
        return USAGE, False
    log.warning("channel %s: AGI command not simulated: %s", ch.name, " ".join(words))
    return UNKNOWN, False


def _set_location(ch: Channel, what: str, value: str) -> None:
    if what == "CONTEXT":
        ch.context = value
    elif what == "EXTENSION":
        ch.exten = value
    elif value.isdigit():
        ch.priority = int(value)


async def _stream_file(rt: Runtime, ch: Channel, prompt: str, escape: str) -> str:
    start = rt.clock.now()
    if escape:
        ch.listening.set()
    try:
        digit = await media.play(rt, ch, [prompt], escape=escape)
    finally:
        ch.listening.clear()
    played = rt.clock.now() - start if digit else rt.config.prompt_duration(prompt)
    endpos = int(played * SAMPLES_PER_SECOND)
    return f"200 result={ord(digit) if digit else 0} endpos={endpos}"


async def _get_data(rt: Runtime, ch: Channel, args: list[str]) -> str:
    prompt = args[0]
    timeout = (
        _ms(args[1], DEFAULT_GETDATA_TIMEOUT_S) if len(args) > 1 else DEFAULT_GETDATA_TIMEOUT_S
    )
    max_digits = int(args[2]) if len(args) > 2 and args[2].isdigit() else 1024
    digits, timed_out = await media.collect(rt, ch, [prompt], max_digits, timeout)
    return f"200 result={digits} (timeout)" if timed_out else f"200 result={digits}"


async def _wait_for_digit(rt: Runtime, ch: Channel, timeout_text: str) -> str:
    try:
        timeout_ms = int(timeout_text)
    except ValueError:
        return USAGE
    ch.listening.set()
    try:
        digit = await media.next_digit(rt, ch, None if timeout_ms < 0 else timeout_ms / 1000)
    finally:
        ch.listening.clear()
    return f"200 result={ord(digit) if digit else 0}"


async def _exec(rt: Runtime, ch: Channel, app: str, data: str) -> tuple[str, bool]:
    from callcontrol.sim import apps

    if app.lower() not in apps.APPS:
        return "200 result=-2", False
    outcome = await apps.run(rt, ch, app, data)
    if outcome is not None:
        return "200 result=-1", True
    return "200 result=0", False
