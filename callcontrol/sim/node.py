"""One simulated Asterisk node (AMI server + channel runtime) and a cluster of them.

node = SimNode(NodeConfig(dialplan="dialplan/extensions.conf", ami_port=0))
await node.start()
node.ami_port                    # where callcontrol connects
node.add_callee("+4930123", kind="busy")
caller = node.place_call("18005551234", "+4930555", digits="123456789#")
await node.stop()
"""

from __future__ import annotations

import copy
import gc
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callcontrol.sim import faults
from callcontrol.sim.ami_actions import ActionHandler
from callcontrol.sim.ami_server import AmiServer
from callcontrol.sim.callees import CalleeBehaviour, CalleeBook
from callcontrol.sim.callers import Caller, Step, place_call
from callcontrol.sim.clock import SimClock
from callcontrol.sim.event_filter import load_event_filter
from callcontrol.sim.events import EventBus, Fields
from callcontrol.sim.plan import Plan
from callcontrol.sim.profiles import ProfileBook
from callcontrol.sim.runtime import Runtime
from callcontrol.sim.runtime_config import RuntimeConfig

log = logging.getLogger(__name__)


@dataclass
class NodeConfig:
    name: str = "sim-1"
    host: str = "127.0.0.1"
    ami_port: int = 0  # 0 = any free port
    ami_user: str = "callcontrol"
    ami_secret: str = "callcontrol"
    dialplan: str = "dialplan/extensions.conf"
    confbridge: str | None = "dialplan/confbridge.conf"
    time_scale: float = 1.0
    timestamp_events: bool = True
    agi_host: str | None = None  # overrides the CC_AGI_HOST global
    # manager.conf whose eventfilter lines for ami_user apply, as in production (None: all).
    manager_conf: str | None = None
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    default_callee: CalleeBehaviour = field(default_factory=CalleeBehaviour)


def contract_node(root: Path, agi_port: int, **overrides: Any) -> NodeConfig:
    """A node running the contract files of a callcontrol checkout at `root` (dialplan,
    ConfBridge profiles, manager.conf's event filter), calling FastAGI on `agi_port`."""
    config = NodeConfig(
        name="pbx1",
        dialplan=str(root / "dialplan" / "extensions.conf"),
        confbridge=str(root / "dialplan" / "confbridge.conf"),
        agi_host=f"127.0.0.1:{agi_port}",
        manager_conf=str(root / "config" / "asterisk" / "manager.conf"),
    )
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


def tune_gc() -> None:
    """Collector settings for a process that holds many channels (the ``sim`` command).

    Each held call is some 40 long-lived objects. With CPython's default thresholds a
    full collection runs whenever the heap has grown by a quarter and rescans all of
    them: about a second of stopped event loop at 20,000 channels. Ended calls are freed
    by reference counting (no cycles), so collections can be much rarer.
    """
    gc.collect()
    gc.freeze()  # what exists now (modules, the loaded dialplan) is never garbage
    gc.set_threshold(50_000, 50, 100)


class SimNode:
    def __init__(self, config: NodeConfig | None = None, **overrides: Any) -> None:
        self.config = config or NodeConfig()
        for key, value in overrides.items():
            setattr(self.config, key, value)
        self.clock = SimClock(self.config.time_scale)
        self.bus = EventBus(self.clock, timestamp_events=self.config.timestamp_events)
        self.callees = CalleeBook(self.config.default_callee)
        self.runtime: Runtime | None = None
        self.server: AmiServer | None = None
        self.recorded: list[tuple[str, Fields]] = []
        self._recording = False

    async def start(self) -> None:
        plan = Plan.load(self.config.dialplan)
        profiles = ProfileBook.load(self.config.confbridge)
        runtime_config = self.config.runtime
        if self.config.agi_host:
            runtime_config.globals_override["CC_AGI_HOST"] = self.config.agi_host
        self.runtime = Runtime(self.bus, self.clock, plan, profiles, runtime_config)
        self.server = AmiServer(
            self.bus,
            self.clock,
            ActionHandler(self.runtime, self.callees),
            username=self.config.ami_user,
            secret=self.config.ami_secret,
            host=self.config.host,
            port=self.config.ami_port,
        )
        if self.config.manager_conf:
            self.server.event_filter = load_event_filter(
                Path(self.config.manager_conf), self.config.ami_user
            )
        await self.server.start()
        log.info(
            "simulated node %s: AMI on %s:%d", self.config.name, self.config.host, self.ami_port
        )

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        if self.server is not None:
            await self.server.stop()

    @property
    def ami_port(self) -> int:
        if self.server is None:
            raise RuntimeError("node not started")
        return self.server.port

    @property
    def rt(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("node not started")
        return self.runtime

    # -- callers and callees ------------------------------------------------------------

    def place_call(
        self,
        did: str,
        caller_num: str,
        caller_name: str = "",
        script: list[Step] | None = None,
        **kwargs: Any,
    ) -> Caller:
        return place_call(self.rt, did, caller_num, caller_name, script, **kwargs)

    def add_callee(
        self, number: str, behaviour: CalleeBehaviour | None = None, **kwargs: Any
    ) -> CalleeBehaviour:
        return self.callees.add(number, behaviour, **kwargs)

    def channels(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        return [
            {
                **dict(ch.fields()),
                "Application": ch.app,
                "AppData": ch.app_data,
                "Conference": ch.member.conference.name if ch.member is not None else None,
                "Muted": ch.member.muted if ch.member is not None else None,
                "Seconds": round(now - ch.created_at, 3),
            }
            for ch in self.rt.channels.values()
            if not ch.gone
        ]

    def conferences(self) -> list[dict[str, Any]]:
        return [
            {
                "Conference": room.name,
                "Locked": room.locked,
                "Members": [m.channel.name for m in room.members],
            }
            for room in self.rt.confs.rooms.values()
        ]

    def record_events(self) -> list[tuple[str, Fields]]:
        """Keep every event emitted from now on (name, headers) in ``recorded``."""
        if not self._recording:
            self._recording = True
            self.bus.subscribe(lambda name, headers, frame: self.recorded.append((name, headers)))
        return self.recorded

    # -- faults -------------------------------------------------------------------------

    def fault_drop_connections(self) -> int:
        return faults.drop_connections(self)

    def fault_delay_events(self, ms: float) -> None:
        faults.delay_events(self, ms)

    def fault_silent_ping(self, silent: bool = True) -> None:
        faults.silent_ping(self, silent)

    def fault_malformed_frame(self, data: bytes | None = None) -> None:
        faults.malformed_frame(self, data)

    async def fault_restart(self, downtime_s: float = 0.2, crash: bool = False) -> None:
        await faults.restart(self, downtime_s, crash)


class SimCluster:
    """Several nodes in one process, AMI ports ``base_port``, ``base_port + 1`` ..."""

    def __init__(self, count: int, base: NodeConfig | None = None) -> None:
        base = base or NodeConfig()
        self.nodes = []
        for index in range(count):
            config = copy.deepcopy(base)
            config.name = f"{base.name.rsplit('-', 1)[0]}-{index + 1}"
            config.ami_port = base.ami_port + index if base.ami_port else 0
            self.nodes.append(SimNode(config))

    async def start(self) -> None:
        for node in self.nodes:
            await node.start()

    async def stop(self) -> None:
        for node in self.nodes:
            await node.stop()

    def __getitem__(self, index: int) -> SimNode:
        return self.nodes[index]

    def __len__(self) -> int:
        return len(self.nodes)
