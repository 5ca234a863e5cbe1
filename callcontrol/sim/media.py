"""Prompts and keypad: virtual playback, DTMF delivery and digit collection.

Nothing is played; a prompt just takes its configured virtual duration. DTMF follows
what the traces show: DTMFBegin, 100 ms later DTMFEnd (``Direction: Received`` on
the channel that hears it), and the digit counts on the End.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from callcontrol.sim.channels import Channel

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

DTMF_DIGITS = set("0123456789*#ABCD")
DIGIT_DURATION_S = 0.1
DIGIT_GAP_S = 0.25  # SendDTMF's default pause between digits


async def deliver_digit(
    rt: Runtime, ch: Channel, digit: str, duration_s: float = DIGIT_DURATION_S
) -> None:
    """A digit pressed by whoever is at the other end of ``ch``."""
    if ch.gone or digit not in DTMF_DIGITS:
        return
    rt.bus.dtmf(ch, digit, end=False)
    await rt.clock.sleep(duration_s)
    if ch.gone:
        return
    rt.bus.dtmf(ch, digit, end=True)
    ch.dtmf.put_nowait(digit)


async def deliver_digits(
    rt: Runtime,
    ch: Channel,
    digits: str,
    gap_s: float = DIGIT_GAP_S,
    duration_s: float = DIGIT_DURATION_S,
) -> None:
    for index, digit in enumerate(digits):
        if index:
            await rt.clock.sleep(gap_s)
        await deliver_digit(rt, ch, digit, duration_s)


async def next_digit(rt: Runtime, ch: Channel, timeout_s: float | None) -> str | None:
    """The next digit heard on ``ch``; None after ``timeout_s`` of silence."""
    if timeout_s is None:
        return await ch.dtmf.get()
    try:
        # asyncio.timeout, not wait_for: no extra task per digit.
        async with asyncio.timeout(rt.clock.real(timeout_s)):
            return await ch.dtmf.get()
    except TimeoutError:
        return None


async def play(rt: Runtime, ch: Channel, prompts: list[str], escape: str = "") -> str | None:
    """Play prompts; a digit in ``escape`` stops them and is returned."""
    for prompt in prompts:
        if not prompt:
            continue
        duration = rt.config.prompt_duration(prompt)
        if not escape:
            await rt.clock.sleep(duration)
            continue
        deadline = rt.clock.now() + duration
        while (left := deadline - rt.clock.now()) > 0:
            digit = await next_digit(rt, ch, left)
            if digit is None:
                break
            if digit in escape:
                return digit
    return None


async def collect(
    rt: Runtime,
    ch: Channel,
    prompts: list[str],
    max_digits: int,
    timeout_s: float,
    terminator: str = "#",
) -> tuple[str, bool]:
    """ast_app_getdata(): prompts interruptible by any digit, then digits until
    ``max_digits``, the terminator, or ``timeout_s`` without a digit.
    Returns (digits, timed_out)."""
    ch.listening.set()
    try:
        digits = ""
        first = await play(rt, ch, prompts, escape="".join(sorted(DTMF_DIGITS)))
        pending = first
        while True:
            digit = pending if pending is not None else await next_digit(rt, ch, timeout_s)
            pending = None
            if digit is None:
                return digits, True
            if digit in terminator:
                return digits, False
            digits += digit
            if max_digits and len(digits) >= max_digits:
                return digits, False
    finally:
        ch.listening.clear()
