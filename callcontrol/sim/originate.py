"""AMI Originate: Local channel pairs and trunk (PJSIP) calls to scripted callees.

OriginateResponse Reason codes and event order follow the callme_* and
ami_originate_failure traces: 4 answered, 5 busy, 8 congestion, 3 no answer,
1 hung up before answer, 0 no channel. A failed response carries the dial string as
Channel and the ChannelId (or ``<unknown>``) as Uniqueid; for busy it comes before
the Hangup events, for congestion and no answer after them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from callcontrol.sim import apps
from callcontrol.sim.channels import DOWN, RING, RINGING, UP, Channel, Interrupt
from callcontrol.sim.events import CALL

if TYPE_CHECKING:
    from callcontrol.sim.callees import CalleeBook
    from callcontrol.sim.runtime import Runtime

log = logging.getLogger(__name__)

REASONS = {"ANSWER": 4, "BUSY": 5, "CONGESTION": 8, "NOANSWER": 3, "HANGUP": 1, "CHANUNAVAIL": 0}


@dataclass
class OriginateRequest:
    channel: str
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    data: str = ""
    timeout_s: float = 30.0
    caller_num: str = ""
    caller_name: str = ""
    variables: list[tuple[str, str]] = field(default_factory=list)
    action_id: str | None = None
    channel_id: str | None = None
    other_channel_id: str | None = None


def respond(rt: Runtime, req: OriginateRequest, ch: Channel | None, status: str) -> None:
    success = status == "ANSWER" and ch is not None
    fields = [("ActionID", req.action_id)] if req.action_id is not None else []
    fields += [
        ("Response", "Success" if success else "Failure"),
        ("Channel", ch.name if success and ch is not None else req.channel),
        ("Context", req.context),
        ("Exten", req.exten),
        ("Reason", str(REASONS.get(status, 0))),
        ("Uniqueid", ch.uniqueid if success and ch is not None else req.channel_id or "<unknown>"),
        ("CallerIDNum", req.caller_num or "<unknown>"),
        ("CallerIDName", req.caller_name or "<unknown>"),
    ]
    rt.bus.emit("OriginateResponse", CALL, fields)


def _prepare(rt: Runtime, req: OriginateRequest, *channels: Channel) -> None:
    for ch in channels:
        ch.caller_num = ch.connected_num = req.caller_num
        ch.caller_name = ch.connected_name = req.caller_name
    for name, value in req.variables:
        for ch in channels:
            rt.set_var(ch, name, value)


async def originate(rt: Runtime, req: OriginateRequest, callees: CalleeBook) -> None:
    tech, _, rest = req.channel.partition("/")
    if tech.lower() == "local" and "@" in rest:
        await _local(rt, req, rest)
    elif tech.upper() == "PJSIP" and rest:
        await _trunk(rt, req, rest, callees)
    else:
        log.info("Originate to %s: no such channel technology", req.channel)
        respond(rt, req, None, "CHANUNAVAIL")


async def _local(rt: Runtime, req: OriginateRequest, rest: str) -> None:
    exten, _, context = rest.split("/")[0].partition("@")
    base = f"Local/{exten}@{context}-{rt.ids.name_suffix()}"
    one = rt.new_channel("Local", base + ";1", context, exten, state=DOWN, uniqueid=req.channel_id)
    two = rt.new_channel(
        "Local", base + ";2", context, exten, state=RING,
        uniqueid=_far_half_id(req), linkedid=one.uniqueid,
    )  # fmt: skip
    one.peer, two.peer = two, one
    one.app, one.app_data = "AppDial2", "(Outgoing Line)"
    rt.bus.newexten(one)
    _prepare(rt, req, one, two)
    if not rt.plan.has_exten(context, exten):
        rt.vanish(two, 0)
        respond(rt, req, None, "CHANUNAVAIL")
        rt.vanish(one, 0)
        return
    rt.bus.local_bridge(one, two)
    rt.bus.dial_begin(one, f"{exten}@{context}")
    status = await _dial(rt, req, one, lambda: rt.start(two))
    if status == "ANSWER":
        return
    if not two.gone:
        cause = 19 if status == "NOANSWER" else 0
        rt.interrupt(two, Interrupt("remote", cause))
        if status == "BUSY":
            respond(rt, req, None, status)
        await _finished(two)
        rt.vanish(one, cause)
        if status != "BUSY":
            respond(rt, req, None, status)
    else:
        rt.vanish(one, two.hangup_cause)
        respond(rt, req, None, status)


def _far_half_id(req: OriginateRequest) -> str | None:
    """The ;2 half's Uniqueid: OtherChannelId, else "<ChannelId>;2" (core_unreal.c)."""
    if req.other_channel_id:
        return req.other_channel_id
    return f"{req.channel_id};2" if req.channel_id else None


async def _trunk(rt: Runtime, req: OriginateRequest, rest: str, callees: CalleeBook) -> None:
    number = rest.partition("@")[0]
    ch = rt.new_channel(
        "PJSIP", rt.trunk_name(), rt.config.inbound_context, "s",
        state=DOWN, uniqueid=req.channel_id,
    )  # fmt: skip
    _prepare(rt, req, ch)
    rt.bus.dial_begin(ch, rest)
    callee = callees.session_for(number)
    ch.far_end = callee
    status = await _dial(rt, req, ch, lambda: callee.start(rt, ch))
    if status == "ANSWER" or ch.gone:
        if ch.gone and status != "ANSWER":
            respond(rt, req, None, status)
        return
    if status == "BUSY":
        respond(rt, req, None, status)
        rt.vanish(ch, 17)
        return
    rt.vanish(ch, {"CONGESTION": 34, "NOANSWER": 19}.get(status, 0))
    respond(rt, req, None, status)


async def _dial(
    rt: Runtime, req: OriginateRequest, ch: Channel, start: Callable[[], object]
) -> str:
    ch.dial_wait = asyncio.get_running_loop().create_future()
    ch.originating = True
    start()
    try:
        status = await asyncio.wait_for(asyncio.shield(ch.dial_wait), rt.clock.real(req.timeout_s))
    except TimeoutError:
        status = "NOANSWER"
    finally:
        ch.dial_wait = None
    if status == "ANSWER" and not ch.gone:
        ch.originating = False
        rt.bus.dial_end(ch, "ANSWER")
        respond(rt, req, ch, "ANSWER")
        _run_answered(rt, req, ch)
    elif status in ("BUSY", "CONGESTION") and not ch.gone:
        rt.bus.dial_end(ch, status)
    return status


def _run_answered(rt: Runtime, req: OriginateRequest, ch: Channel) -> None:
    if req.application:
        ch.context, ch.exten, ch.priority = "", "", 1
        ch.task = rt.spawn(
            _run_application(rt, ch, req.application, req.data), name=f"originate app {ch.name}"
        )
        return
    ch.context, ch.exten, ch.priority = req.context, req.exten, req.priority
    rt.start(ch)


async def _run_application(rt: Runtime, ch: Channel, application: str, data: str) -> None:
    ch.app, ch.app_data = application, data
    try:
        outcome = await apps.run(rt, ch, application, data)
    except asyncio.CancelledError:
        rt.hangup_interrupted(ch, rt.take_interrupt(ch))
        return
    rt.terminate(ch, outcome.cause if outcome else 16, peer_cause=16)


async def _finished(ch: Channel) -> None:
    task = ch.task
    if task is not None and not task.done():
        await asyncio.wait([task], timeout=5)


def far_end_ringing(rt: Runtime, ch: Channel) -> None:
    if ch.dial_wait is not None and ch.state != RINGING:
        rt.set_state(ch, RINGING)
        rt.bus.dial_state(ch, "RINGING")


def far_end_answered(rt: Runtime, ch: Channel) -> None:
    if ch.dial_wait is not None and ch.state != UP:
        rt.set_state(ch, UP)
        ch.answered_at = rt.clock.now()
        apps.resolve_dial(ch, "ANSWER")


def far_end_refused(ch: Channel, status: str) -> None:
    apps.resolve_dial(ch, status)
