"""A whole call-control stack for tests: real PostgreSQL, the PBX simulator over real AMI and
FastAGI sockets, and call control wired as in production."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from callcontrol.clock import now_ms
from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.legs import LegState
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.sessions import AudioOptions, Session, SessionState
from callcontrol.service.callcontrol import CallControl, Hooks
from callcontrol.service.wiring import build_call_control
from callcontrol.settings import (
    AgiSettings,
    CallSettings,
    LockoutSettings,
    PbxNode,
    Secret,
    Settings,
)
from callcontrol.sim.callers import Caller, Digits, Hangup, Step, WaitMs
from callcontrol.sim.node import SimNode, contract_node
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.database import Database
from callcontrol.store.legs import LegRow
from callcontrol.store.sessions import SessionRepository

REPO = Path(__file__).resolve().parents[2]
# The real-Asterisk suite's test phones (tests/asterisk): with `test_phones`, the simulator
# runs them next to our dialplan and Call Me rings them through a Local channel.
TEST_PHONES = REPO / "tests" / "asterisk" / "cc-test-callers.conf"
TEST_CALLEE_DIAL = "Local/{e164}@cc-test-callee"
TOLL_DID = Did("+18005550100", "US", NumberKind.TOLL)
TOLLFREE_DID = Did("+18885550100", "US", NumberKind.TOLL_FREE)
TOLLFREE_DID_FR = Did("+33805550100", "FR", NumberKind.TOLL_FREE)
TOLL_DID_DE = Did("+4930555010", "DE", NumberKind.TOLL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    database: Database
    sims: list[SimNode]
    cc: CallControl
    settings: Settings
    sessions: SessionRepository
    accounts: AccountRepository

    @property
    def sim(self) -> SimNode:
        return self.sims[0]

    async def add_account(self, account_id: str = "acme", advanced_audio: bool = True) -> Account:
        account = Account(account_id, Plan.PRO, advanced_audio, BillingMode.ONLINE, "u-billing")
        await self.accounts.save(account)
        return account

    async def add_session(
        self,
        session_id: str = "s1",
        access_code: str = "123456789",
        state: SessionState = SessionState.SCHEDULED,
        account_id: str = "acme",
        tollfree: frozenset[str] = frozenset({"US"}),
        audio: AudioOptions | None = None,
    ) -> Session:
        at = now_ms()
        session = Session(
            session_id=session_id,
            account_id=account_id,
            organizer_id="u-org",
            title="Quarterly results",
            starts_at_ms=at,
            access_code=access_code,
            organizer_pin="4321",
            state=state,
            tollfree_countries=tollfree,
            audio=audio or AudioOptions(),
            started_at_ms=at if state is SessionState.STARTED else None,
        )
        await self.sessions.insert(session)
        return session

    async def leg_rows(self, session_id: str | None = None) -> list[LegRow]:
        await self.cc.writer.flush()
        if session_id is not None:
            return await self.cc.legs.for_session(session_id)
        async with self.database.connection() as conn:
            ids = [
                r["leg_id"]
                for r in await conn.fetch("SELECT leg_id FROM legs ORDER BY created_at_ms")
            ]
        return [row for i in ids if (row := await self.cc.legs.get(i)) is not None]

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)

    def live_states(self) -> list[LegState]:
        return [lv.leg.state for lv in self.cc.registry.legs.values()]

    async def started_with(self, *callers: str, organizer: str | None = None) -> list[Caller]:
        """Account, started session s1, and these callers (the organizer with its PIN) in
        its conference, each staying a minute."""
        await self.add_account()
        await self.add_session(state=SessionState.STARTED)
        placed = [self.sim.place_call(TOLL_DID.e164, number, script=stays()) for number in callers]
        if organizer is not None:
            placed.append(self.sim.place_call(TOLL_DID.e164, organizer, script=stays("4321")))
        await self.wait_for(lambda: self.live_states().count(LegState.IN_CONFERENCE) == len(placed))
        return placed


def stays(pin: str = "") -> list[Step]:
    """A caller who types s1's access code and the PIN (or just #), then stays a minute."""
    return [Digits("123456789#"), Digits(f"{pin}#"), WaitMs(60_000), Hangup()]


async def seed_dids(database: Database, dids: list[Did]) -> None:
    async with database.connection() as conn:
        await conn.executemany(
            "INSERT INTO dids (e164, country, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(d.e164, d.country, d.kind.value) for d in dids],
        )


def stack_settings(
    sim_ports: list[int],
    agi_port: int,
    calls: CallSettings,
    lockout: LockoutSettings | None = None,
    dial_template: str | None = None,
) -> Settings:
    dial = {"dial_template": dial_template} if dial_template is not None else {}
    nodes = tuple(
        PbxNode(
            name=f"pbx{i + 1}",
            port=port,
            secret=Secret("callcontrol"),
            ping_interval=0.5,
            connect_timeout=2.0,
            action_timeout=5.0,
            reconnect_max=0.5,
            **dial,
        )
        for i, port in enumerate(sim_ports)
    )
    return Settings(
        nodes=nodes,
        agi=AgiSettings(port=agi_port),
        calls=calls,
        lockout=lockout or LockoutSettings(),
    )


@asynccontextmanager
async def running_stack(
    db_url: str,
    calls: CallSettings | None = None,
    nodes: int = 1,
    time_scale: float = 1.0,
    hooks: Hooks | None = None,
    lockout: LockoutSettings | None = None,
    test_phones: Path | None = None,
) -> AsyncIterator[Stack]:
    """Call control against `nodes` simulators. `test_phones`: a directory where a dialplan
    of ours plus TEST_PHONES is written for the simulators, whose Call Me rings them."""
    from callcontrol.settings import DatabaseSettings

    agi_port = free_port()
    dialplan = REPO / "dialplan" / "extensions.conf"
    if test_phones is not None:
        lab = test_phones / "extensions.conf"
        lab.write_text(f'#include "{dialplan}"\n#include "{TEST_PHONES}"\n', encoding="utf-8")
        dialplan = lab
    sims = [
        SimNode(
            contract_node(
                REPO, agi_port, name=f"pbx{i + 1}", dialplan=str(dialplan), time_scale=time_scale
            )
        )
        for i in range(nodes)
    ]
    for sim in sims:
        sim.config.runtime = dataclasses.replace(
            sim.config.runtime,
            default_prompt_s=0.05,
            globals_override={"CC_NODE": sim.config.name},
        )
        await sim.start()
    database = Database(DatabaseSettings(url=Secret(db_url), pool_max=20, flush_interval=0.02))
    await database.start()
    settings = stack_settings(
        [s.ami_port for s in sims],
        agi_port,
        calls or CallSettings(digit_timeout_ms=3000),
        lockout,
        TEST_CALLEE_DIAL if test_phones is not None else None,
    )
    settings = dataclasses.replace(settings, database=database.settings)
    await seed_dids(database, [TOLL_DID, TOLLFREE_DID, TOLLFREE_DID_FR, TOLL_DID_DE])
    cc = build_call_control(settings, database, hooks)
    stack = Stack(
        database, sims, cc, settings, SessionRepository(database), AccountRepository(database)
    )
    await cc.start()
    try:
        await stack.wait_for(lambda: all(link.connected for link in cc.nodes.links.values()))
        yield stack
    finally:
        await cc.stop()
        for sim in sims:
            await sim.stop()
        await database.close()
