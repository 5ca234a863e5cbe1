"""The channel runtime: creates channels, runs their dialplan, and ends them.

Each channel runs in one asyncio task. A Redirect or an AMI Hangup interrupts the
running application by cancelling that task with ``Channel.pending`` set; the
applications emit their own clean-up events (MusicOnHoldStop, ConfbridgeLeave) in
``finally`` blocks, and the loop below then jumps or hangs up. Hang-up event order
follows the traces: SoftHangupRequest, the peer's HangupRequest, Hangup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from callcontrol.sim import agi_client, apps
from callcontrol.sim.channels import RING, UP, Channel, ChannelIds, Interrupt
from callcontrol.sim.clock import SimClock
from callcontrol.sim.confbridge import Conferences
from callcontrol.sim.events import EventBus
from callcontrol.sim.h_exten import run_h_exten
from callcontrol.sim.plan import Plan
from callcontrol.sim.profiles import ProfileBook
from callcontrol.sim.runtime_config import RuntimeConfig

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        bus: EventBus,
        clock: SimClock,
        plan: Plan,
        profiles: ProfileBook,
        config: RuntimeConfig | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.plan = plan
        self.profiles = profiles
        self.config = config or RuntimeConfig()
        self.ids = ChannelIds()
        self.confs = Conferences(bus, clock)
        self.channels: dict[str, Channel] = {}
        self.by_uid: dict[str, Channel] = {}
        self.globals = {**plan.globals, **self.config.globals_override}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.processed_calls = 0
        self.started_at = clock.now()

    # -- bookkeeping --------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name or None)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task %s failed", task.get_name(), exc_info=task.exception())

    def new_channel(
        self,
        tech: str,
        name: str,
        context: str,
        exten: str,
        *,
        state: int = RING,
        uniqueid: str | None = None,
        linkedid: str | None = None,
        caller: tuple[str, str] = ("", ""),
        dnid: str = "",
    ) -> Channel:
        now = self.clock.now()
        uid = uniqueid or self.ids.uniqueid(now)
        if uid in self.by_uid:
            raise ValueError(f"uniqueid {uid} already in use")
        ch = Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            tech=tech,
            context=context,
            exten=exten,
            state=state,
            created_at=now,
            caller_num=caller[0],
            caller_name=caller[1],
            dnid=dnid,
        )
        self.channels[name] = ch
        self.by_uid[uid] = ch
        self.processed_calls += 1
        self.bus.newchannel(ch)
        return ch

    def trunk_name(self) -> str:
        return f"PJSIP/{self.config.trunk_endpoint}-{self.ids.name_suffix()}"

    def find(self, name: str) -> Channel | None:
        ch = self.channels.get(name)
        return ch if ch is not None and not ch.gone else None

    def vanish(self, ch: Channel, cause: int) -> None:
        """A channel that never ran the dialplan goes away: just its Hangup event."""
        if ch.gone:
            return
        ch.hanging_up = True
        self.bus.hangup(ch, cause)
        self._forget(ch)
        if ch.far_end is not None:
            ch.far_end.pbx_hangup(ch, cause)

    def _forget(self, ch: Channel) -> None:
        ch.gone = True
        self.channels.pop(ch.name, None)
        self.by_uid.pop(ch.uniqueid, None)

    # -- variables and state ------------------------------------------------------------

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        self.plan.assign(self, ch, name, value)

    def get_var(self, ch: Channel, name: str) -> str | None:
        return self.plan.read(self, ch, name)

    def substitute(self, ch: Channel, text: str) -> str:
        return self.plan.substitute(self, ch, text)

    def set_state(self, ch: Channel, state: int) -> None:
        if ch.state != state:
            ch.state = state
            self.bus.newstate(ch)

    def answer(self, ch: Channel) -> None:
        if ch.state == UP:
            return
        self.set_state(ch, UP)
        ch.answered_at = self.clock.now()
        dialer = ch.peer if ch.peer is not None and ch.peer.dial_wait is not None else None
        if dialer is not None:
            self.set_state(dialer, UP)
            dialer.answered_at = ch.answered_at
            apps.resolve_dial(dialer, "ANSWER")
        if ch.far_end is not None:
            ch.far_end.pbx_answered(ch)

    # -- dialplan execution -------------------------------------------------------------

    def start(self, ch: Channel) -> None:
        ch.task = self.spawn(self._execute(ch), name=f"channel {ch.name}")

    async def _execute(self, ch: Channel) -> None:
        while not ch.gone:
            step = self.plan.step(ch.context, ch.exten, ch.priority)
            if step is None:
                # Auto-fallthrough: no such extension/priority ends the call normally.
                self.terminate(ch, 16, peer_cause=16)
                return
            ch.priority = step.priority
            ch.app = step.app
            ch.app_data = self.substitute(ch, step.raw_args)
            ch.jumped = False
            ch.clear_dtmf()
            self.bus.newexten(ch)
            try:
                outcome = await apps.run(self, ch, step.app, ch.app_data)
            except asyncio.CancelledError:
                interrupt = self.take_interrupt(ch)
                if interrupt.kind == "redirect" and interrupt.target is not None:
                    ch.context, ch.exten, ch.priority = interrupt.target
                    continue
                self.hangup_interrupted(ch, interrupt)
                return
            if outcome is not None:
                self.terminate(ch, outcome.cause, peer_cause=outcome.peer_cause)
                return
            if not ch.jumped:
                ch.priority += 1

    async def run_inline(
        self, ch: Channel, context: str, exten: str, priority: int
    ) -> apps.Stop | None:
        """ConfBridge's dialplan_exec: run an extension while staying in the conference,
        then come back to where the channel was."""
        saved = (ch.context, ch.exten, ch.priority, ch.app, ch.app_data)
        ch.context, ch.exten, ch.priority = context, exten, priority
        try:
            while (step := self.plan.step(ch.context, ch.exten, ch.priority)) is not None:
                ch.priority, ch.app, ch.jumped = step.priority, step.app, False
                ch.app_data = self.substitute(ch, step.raw_args)
                self.bus.newexten(ch)
                outcome = await apps.run(self, ch, step.app, ch.app_data)
                if outcome is not None:
                    return outcome
                if not ch.jumped:
                    ch.priority += 1
            return None
        finally:
            ch.context, ch.exten, ch.priority, ch.app, ch.app_data = saved

    def take_interrupt(self, ch: Channel) -> Interrupt:
        interrupt = ch.pending
        task = asyncio.current_task()
        if interrupt is None or task is None:
            raise asyncio.CancelledError
        ch.pending = None
        while task.cancelling():
            task.uncancel()
        return interrupt

    def interrupt(self, ch: Channel, interrupt: Interrupt) -> bool:
        """Stop what the channel is doing (Redirect, AMI Hangup, far end hung up)."""
        if ch.gone or ch.hanging_up:
            return False
        if ch.pending is not None and ch.pending.kind != "redirect":
            return True  # a hang-up is already on its way; it wins over anything else
        if interrupt.kind == "remote" and not interrupt.announced:
            # The far end's hang-up is announced before the application cleans up.
            self.bus.hangup_request(ch, interrupt.cause)
            interrupt = Interrupt("remote", interrupt.cause, announced=True)
        first = ch.pending is None
        ch.pending = interrupt
        if ch.task is None or ch.task.done():
            ch.pending = None
            if interrupt.kind == "redirect":
                return False
            self.hangup_interrupted(ch, interrupt)
            return True
        if first:
            ch.task.cancel()
        return True

    def hangup_interrupted(self, ch: Channel, interrupt: Interrupt) -> None:
        if interrupt.kind == "remote":
            # Busy()/Congestion() set their own cause; a ConfBridge member that lost its
            # far end ends with Normal Clearing (both seen in the traces).
            cause = ch.hangup_cause or interrupt.cause
            if cause == 0 and ch.app == "ConfBridge":
                cause = 16
            self.terminate(ch, cause, peer_cause=None)
        else:
            self.terminate(ch, interrupt.cause, peer_cause=interrupt.cause)

    # -- hang-up ----------------------------------------------------------------------

    def terminate(self, ch: Channel, cause: int, *, peer_cause: int | None) -> None:
        """End a channel: SoftHangupRequest, peer HangupRequest, Hangup, then the peer."""
        if ch.gone or ch.hanging_up:
            return
        ch.hanging_up = True
        ch.hangup_cause = cause
        apps.resolve_dial(ch, "HANGUP")
        if ch.peer is not None:
            apps.resolve_dial(ch.peer, "HANGUP")
        self.bus.soft_hangup_request(ch, 16)
        peer = ch.peer
        if peer is not None and not peer.gone and not peer.hanging_up and peer_cause is not None:
            self.bus.hangup_request(peer, peer_cause)
        if ch.task is not None:  # it ran the dialplan: Asterisk runs the context's h now
            run_h_exten(self, ch)
        self.bus.hangup(ch, cause)
        self._forget(ch)
        if ch.agi_writer is not None:
            agi_client.channel_gone(ch)
        if peer is not None and not peer.gone and not peer.hanging_up and not peer.originating:
            self.interrupt(peer, Interrupt("remote", peer_cause or 0, announced=True))
        if ch.far_end is not None:
            ch.far_end.pbx_hangup(ch, cause)
        task = ch.task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    def remote_hangup(self, ch: Channel, cause: int = 16) -> None:
        """The phone at the far end hung up (BYE)."""
        self.interrupt(ch, Interrupt("remote", cause))

    def restart(self) -> None:
        """All channels vanish without a single event (node crash/restart)."""
        for ch in list(self.channels.values()):
            self._forget(ch)
            if ch.agi_writer is not None:
                ch.agi_writer.close()
            if ch.task is not None and not ch.task.done():
                ch.task.cancel()
            if ch.far_end is not None:
                ch.far_end.pbx_vanished(ch)
        self.confs.drop_all()

    async def stop(self) -> None:
        self.restart()
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
