"""Call control against a real Asterisk: the target from the environment and the stack.

CALLCONTROL_TEST_ASTERISK=host:port[:user:secret] names the Asterisk's AMI (user defaults to
`callcontrol`). That Asterisk must load dialplan/ and config/asterisk/ (AMI on the given port)
plus the test phones of tests/asterisk/cc-test-callers.conf (`[cc-test-caller]` places
dial-in calls, `[cc-test-callee]` answers Call Me), #included from its own config directory,
never from dialplan/. The dialplan's CC_AGI_HOST global names our FastAGI port:
CALLCONTROL_TEST_AGI_PORT (default 4573) must match it; the stack checks this with a Getvar
of the global before it starts and fails with a clear message when they differ.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from callcontrol.service.wiring import build_call_control
from callcontrol.settings import (
    AgiSettings,
    CallSettings,
    DatabaseSettings,
    PbxNode,
    Secret,
    Settings,
)
from callcontrol.store.accounts import AccountRepository
from callcontrol.store.database import Database
from callcontrol.store.sessions import SessionRepository
from tests.asterisk.wire import AmiDriver, LinkCutter, Target
from tests.callflow.harness import (
    TEST_CALLEE_DIAL,
    TOLL_DID,
    TOLL_DID_DE,
    TOLLFREE_DID,
    TOLLFREE_DID_FR,
    Stack,
    seed_dids,
)

DEFAULT_CALLS = CallSettings(
    digit_timeout_ms=3000, callme_confirm_timeout_ms=8000, callme_ring_timeout_ms=4000
)
ENV_TARGET = "CALLCONTROL_TEST_ASTERISK"
ENV_AGI_PORT = "CALLCONTROL_TEST_AGI_PORT"
# A shell command that kills the Asterisk at once (no clean shutdown) and starts it again,
# e.g. 'kill -9 $(pidof asterisk); asterisk -C /etc/asterisk/asterisk.conf'.
ENV_RESTART = "CALLCONTROL_TEST_ASTERISK_RESTART"
SKIP_REASON = f"set {ENV_TARGET}=host:port[:user:secret] to run against a real Asterisk"


def target_from_env() -> Target | None:
    raw = os.environ.get(ENV_TARGET, "").strip()
    if not raw:
        return None
    parts = raw.split(":", 3)
    if len(parts) not in (2, 4) or not parts[1].isdigit():
        raise ValueError(f"{ENV_TARGET} must be host:port[:user:secret], got {raw!r}")
    user, secret = (parts[2], parts[3]) if len(parts) == 4 else ("callcontrol", "")
    return Target(parts[0], int(parts[1]), user, secret)


def agi_port_from_env() -> int:
    return int(os.environ.get(ENV_AGI_PORT, "4573"))


@dataclass
class RealStack:
    stack: Stack
    ami: AmiDriver
    cutter: LinkCutter
    calls: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    async def place_call(
        self,
        did: str,
        caller: str,
        dtmf: list[str],
        stay_s: float,
        first_s: float = 2.0,
        gap_s: float = 1.5,
    ) -> tuple[str, str]:
        """Originate Local/<did>@cc-inbound; its ;1 half dials `dtmf` groups from
        [cc-test-caller]. Returns the uniqueids of the phone (;1) and trunk (;2) halves."""
        tag = f"t{os.getpid()}x{time.monotonic_ns()}x{next(self.calls)}"
        phone, trunk = f"{tag}-1", f"{tag}-2"
        variables = {"T_FIRST": first_s, "T_DTMF": "-".join(dtmf), "T_GAP": gap_s, "T_STAY": stay_s}
        answer = await self.ami.action(
            {
                "Action": "Originate",
                "Channel": f"Local/{did}@cc-inbound",
                "Context": "cc-test-caller",
                "Exten": "s",
                "Priority": "1",
                "CallerID": f"Test <{caller}>",
                "Async": "true",
                "Timeout": "15000",
                "ChannelId": phone,
                "OtherChannelId": trunk,
                "Variable": ",".join(f"{k}={v}" for k, v in variables.items()),
            }
        )
        assert answer.get("Response") == "Success", answer
        return phone, trunk

    async def reconnect(self, target: Target, within_s: float = 30.0) -> None:
        """A new AMI driver once the Asterisk answers again (after a restart)."""
        await self.ami.close()
        deadline = time.monotonic() + within_s
        while True:
            driver = AmiDriver()
            try:
                await driver.connect(target)
            except (OSError, AssertionError, TimeoutError):
                await driver.close()
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
                continue
            self.ami = driver
            return

    async def hangup_test_calls(self) -> None:
        await self.ami.action({"Action": "Hangup", "Channel": "/^Local\\/.*@cc-inbound-/"})


async def _agi_port_agrees(ami: AmiDriver) -> int:
    port = agi_port_from_env()
    reply = await ami.action({"Action": "Getvar", "Variable": "CC_AGI_HOST"})
    agi_host = reply.get("Value") or ""
    if agi_host.rpartition(":")[2] != str(port):
        raise AssertionError(
            f"the dialplan's CC_AGI_HOST is {agi_host!r} but the test serves FastAGI on port "
            f"{port}; set {ENV_AGI_PORT} to the port CC_AGI_HOST names"
        )
    return port


@asynccontextmanager
async def real_stack(
    db_url: str, target: Target, calls: CallSettings | None = None
) -> AsyncIterator[RealStack]:
    """Call control wired as in production, its one node being the real Asterisk (through a
    LinkCutter), its FastAGI server on the port the dialplan calls."""
    ami = AmiDriver()
    await ami.connect(target)
    cutter = LinkCutter(target)
    database = Database(DatabaseSettings(url=Secret(db_url), pool_max=10, flush_interval=0.02))
    cc = None
    real: RealStack | None = None
    try:
        agi_port = await _agi_port_agrees(ami)
        await cutter.start()
        await database.start()
        node = PbxNode(
            name="pbx1",
            port=cutter.port,
            username=target.user,
            secret=Secret(target.secret),
            ping_interval=0.5,
            connect_timeout=2.0,
            action_timeout=5.0,
            reconnect_max=0.5,
            dial_template=TEST_CALLEE_DIAL,  # Call Me rings cc-test-callers.conf's phones
        )
        settings = Settings(
            nodes=(node,),
            agi=AgiSettings(port=agi_port),
            calls=calls or DEFAULT_CALLS,
            database=database.settings,
        )
        await seed_dids(database, [TOLL_DID, TOLLFREE_DID, TOLLFREE_DID_FR, TOLL_DID_DE])
        cc = build_call_control(settings, database)
        stack = Stack(
            database, [], cc, settings, SessionRepository(database), AccountRepository(database)
        )
        await cc.start()
        real = RealStack(stack, ami, cutter)
        await stack.wait_for(lambda: all(link.connected for link in cc.nodes.links.values()))
        try:
            yield real
        finally:
            await real.hangup_test_calls()
    finally:
        if cc is not None:
            await cc.stop()
        await cutter.stop()
        await database.close()
        await (real.ami if real is not None else ami).close()  # a restart test replaces it
