"""Simulated callers for the demo: dial-ins from several countries, wrong codes, Call Me
requests, waiting callers and session starts, so every feature shows within a minute."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from callcontrol.clock import now_ms
from callcontrol.domain.legs import LegRole
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.sessions import Session, SessionEvent, SessionState, apply
from callcontrol.logsetup import get_logger
from callcontrol.service.callcontrol import CallControl
from callcontrol.service.ports import CallControlError, CallMeRequest
from callcontrol.sim.callers import Digits, Hangup, Keypad, Step, WaitMs
from callcontrol.sim.node import SimNode
from callcontrol.store.database import Database
from callcontrol.store.dids import DidRepository
from callcontrol.store.sessions import SessionRepository
from callcontrol.tasks import OwnedTask

log = get_logger("demo")

# Caller numbers by country (fictional, valid in form).
CALLERS = {
    "US": "+1415555{:04d}",
    "FR": "+33612{:06d}",
    "DE": "+49151{:07d}",
    "GB": "+447700{:06d}",
}
CALLEE_KINDS = ("answer", "answer", "answer", "busy", "noanswer", "answer-ignore")


class DemoTraffic:
    def __init__(
        self, sim: SimNode, cc: CallControl, database: Database, rng: random.Random
    ) -> None:
        self.sim = sim
        self.cc = cc
        self.sessions = SessionRepository(database)
        self.dids = DidRepository(database)
        self.rng = rng
        self._task = OwnedTask("demo-traffic", self._run)
        self.start = self._task.start
        self.stop = self._task.stop
        self._n = 0
        self._scheduled: list[str] = []  # sessions scheduled during the demo

    async def _run(self) -> None:
        actions: list[tuple[int, Callable[[], Awaitable[None]]]] = [
            (5, self.dial_in_live),
            (2, self.dial_in_tollfree),
            (2, self.dial_in_waiting),
            (1, self.wrong_code),
            (3, self.call_me),
            (1, self.custom_audio_caller),
        ]
        weights = [w for w, _ in actions]
        tick = 0
        while True:
            tick += 1
            try:
                if tick % 50 == 0:
                    await self.start_a_scheduled_session()
                else:
                    action = self.rng.choices(actions, weights)[0][1]
                    await action()
            except (CallControlError, OSError) as exc:
                log.warning("demo action failed", error=str(exc))
            await asyncio.sleep(self.rng.uniform(0.8, 2.0))

    # -- helpers -------------------------------------------------------------------------
    def _caller(self) -> tuple[str, str]:
        self._n += 1
        country = self.rng.choice(list(CALLERS))
        return country, CALLERS[country].format(self.rng.randrange(10_000) + self._n)

    async def _session(self, state: SessionState, account: str | None = None) -> Session | None:
        ids = ("acme-keynote", "globex-town-hall", "initech-quarterly", "acme-training",
               "acme-board", "acme-retro", *self._scheduled)  # fmt: skip
        found = [s for i in ids if (s := await self.sessions.get(i)) and s.state is state]
        found = [s for s in found if account is None or s.account_id == account]
        return self.rng.choice(found) if found else None

    async def _did(self, country: str, kind: NumberKind) -> Did | None:
        numbers = await self.dids.numbers(frozenset({country}), kind)
        return numbers[0] if numbers else None

    def _script(self, code: str, pin: str = "", stay_s: float = 30.0) -> list[Step]:
        script: list[Step] = [Digits(f"{code}#"), Digits(f"{pin}#")]
        if self.rng.random() < 0.3:
            script += [WaitMs(int(stay_s * 300)), Keypad("*6")]
        return [*script, WaitMs(int(stay_s * 1000)), Hangup()]

    # -- what callers do ----------------------------------------------------------------------
    async def dial_in_live(self) -> None:
        session = await self._session(SessionState.STARTED)
        country, caller = self._caller()
        did = await self._did(country, NumberKind.TOLL)
        if session is None or did is None:
            return
        log.info("demo: toll caller dials in", caller=caller, did=did.e164, session=session.title)
        stay = self.rng.uniform(20, 120)
        self.sim.place_call(did.e164, caller, script=self._script(session.access_code, stay_s=stay))

    async def dial_in_tollfree(self) -> None:
        session = await self._session(SessionState.STARTED, "acme")
        country, caller = self._caller()
        did = await self._did(country, NumberKind.TOLL_FREE)
        if session is None or did is None:
            return
        log.info("demo: toll-free caller", caller=caller, did=did.e164, country=country)
        stay = self.rng.uniform(20, 90)
        self.sim.place_call(did.e164, caller, script=self._script(session.access_code, stay_s=stay))

    async def dial_in_waiting(self) -> None:
        session = await self._session(SessionState.SCHEDULED) or await self._session(
            SessionState.ORGANIZER_JOINED
        )
        country, caller = self._caller()
        did = await self._did(country, NumberKind.TOLL)
        if session is None or did is None:
            return
        log.info("demo: early caller will wait", caller=caller, session=session.title)
        self.sim.place_call(did.e164, caller, script=self._script(session.access_code, stay_s=600))

    async def wrong_code(self) -> None:
        country, caller = self._caller()
        did = await self._did(country, NumberKind.TOLL)
        if did is None:
            return
        log.info("demo: caller with a wrong code", caller=caller)
        codes = [f"{self.rng.randrange(10**8, 10**9)}#" for _ in range(3)]
        script: list[Step] = [Digits(c) for c in codes]
        self.sim.place_call(did.e164, caller, script=[*script, WaitMs(20_000), Hangup()])

    async def custom_audio_caller(self) -> None:
        session = await self.sessions.get("initech-podcast")
        did = await self._did("US", NumberKind.TOLL)
        if session is None or did is None:
            return
        _, caller = self._caller()
        log.info("demo: caller for a session with its own audio", caller=caller)
        self.sim.place_call(did.e164, caller, script=self._script(session.access_code, stay_s=10))

    async def call_me(self) -> None:
        session = await self._session(SessionState.STARTED, "acme") or await self._session(
            SessionState.STARTED, "initech"
        )
        if session is None:
            return
        country, phone = self._caller()
        kind = self.rng.choice(CALLEE_KINDS)
        ignore = kind == "answer-ignore"
        self.sim.add_callee(
            phone,
            kind="answer" if ignore else kind,
            ring_s=self.rng.uniform(1, 4),
            digits="" if ignore else "1",
            hangup_after_s=self.rng.uniform(30, 120),
        )
        log.info("demo: Call Me requested", phone=phone, callee_behaviour=kind)
        request = CallMeRequest(session, phone, country, "Demo participant", LegRole.ATTENDEE)
        await self.cc.request_callme(request)

    async def start_a_scheduled_session(self) -> None:
        session = await self._session(SessionState.ORGANIZER_JOINED) or await self._session(
            SessionState.SCHEDULED
        )
        if session is None:
            return
        started = apply(session, SessionEvent.START, max(session.starts_at_ms, now_ms()))
        await self.sessions.save(started)
        log.info("demo: organizer starts the session", session=session.title)
        await self.cc.session_changed(started, SessionEvent.START)
        await self._schedule_next(session)

    async def _schedule_next(self, template: Session) -> None:
        """Keep a session waiting to start, so early callers and idle drops keep showing."""
        number = len(self._scheduled) + 2
        session = replace(
            template,
            session_id=f"{template.session_id.split('-n')[0]}-n{number}",
            title=f"{template.title.split(' #')[0]} #{number}",
            access_code=f"{self.rng.randrange(10**8, 10**9)}",
            state=SessionState.SCHEDULED,
            starts_at_ms=now_ms() + 600_000,
            organizer_joined_at_ms=None,
            started_at_ms=None,
        )
        await self.sessions.insert(session)
        self._scheduled.append(session.session_id)
        log.info("demo: a new session is scheduled", session=session.title)
