"""Simulated channels and the header blocks Asterisk writes for them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callcontrol.sim.confbridge import Member

# ast_state2str() names for the states the simulator uses.
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
DOWN, RING, RINGING, UP, BUSY = 0, 4, 5, 6, 7

# Q.850 cause texts as ast_cause2str() spells them.
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def _cid(value: str) -> str:
    return value if value else "<unknown>"


@dataclass(frozen=True)
class Interrupt:
    """Why a channel's running application must stop now."""

    kind: str  # "redirect" | "hangup" (AMI Hangup) | "remote" (far end hung up)
    cause: int = 0
    target: tuple[str, str, int] | None = None
    announced: bool = False  # the HangupRequest was already written by the peer


@dataclass(eq=False)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    tech: str  # "PJSIP" | "Local"
    context: str
    exten: str
    priority: int = 1
    state: int = DOWN
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    language: str = "en"
    accountcode: str = ""
    dnid: str = ""
    created_at: float = 0.0
    answered_at: float | None = None
    variables: dict[str, str] = field(default_factory=dict)
    app: str = ""
    app_data: str = ""
    # Local channels: the other half (;1 <-> ;2).
    peer: Channel | None = None
    # Trunk channels: the scripted phone at the far end (callers.Caller / callees.Callee).
    far_end: Any = None
    member: Member | None = None
    task: asyncio.Task[None] | None = None
    pending: Interrupt | None = None
    hanging_up: bool = False
    gone: bool = False
    jumped: bool = False
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    # Set while an application reads DTMF, so a scripted phone can wait for the prompt.
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    hangup_cause: int = 0
    agi_writer: Any = None
    # Set while an Originate waits for this channel to be answered.
    dial_wait: asyncio.Future[str] | None = None
    # True while an Originate owns the channel (before answer): the Originate, not the
    # runtime, ends it when the dial fails.
    originating: bool = False

    def fields(self, prefix: str = "") -> list[tuple[str, str]]:
        """The standard channel snapshot block, in Asterisk's order."""
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (prefix + "CallerIDNum", _cid(self.caller_num)),
            (prefix + "CallerIDName", _cid(self.caller_name)),
            (prefix + "ConnectedLineNum", _cid(self.connected_num)),
            (prefix + "ConnectedLineName", _cid(self.connected_name)),
            (prefix + "Language", self.language),
            (prefix + "AccountCode", self.accountcode),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]

    @property
    def is_up(self) -> bool:
        return self.state == UP

    def clear_dtmf(self) -> None:
        while not self.dtmf.empty():
            self.dtmf.get_nowait()


class ChannelIds:
    """Allocates channel name suffixes and uniqueids like Asterisk: one counter for
    everything, uniqueid = ``<epoch at creation>.<counter>``."""

    def __init__(self) -> None:
        self._name_seq = 0
        self._uid_seq = 0

    def name_suffix(self) -> str:
        self._name_seq += 1
        return f"{self._name_seq:08x}"

    def uniqueid(self, now: float) -> str:
        self._uid_seq += 1
        return f"{int(now)}.{self._uid_seq}"
