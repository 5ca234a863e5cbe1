"""Typed PBX events: the vocabulary the service understands, free of any AMI detail.

``pbx.translator`` is the only producer. Every event names the PBX ``node`` it came from
and carries ``at_ms``: the event's own time (AMI ``Timestamp``) when Asterisk sent one,
otherwise the time the service received it.

Facts from real Asterisk 22 traces shaped these types:
- a ConfBridge mute/unmute event has no ``Muted`` field: mute and unmute are two events;
- ``SoftHangupRequest``'s cause is an internal flag, so only ``Hangup``/``HangupRequest``
  give causes (Q.850);
- a failed ``OriginateResponse`` may carry ``Uniqueid: <unknown>`` (``uniqueid`` is
  ``None`` then), or, when the Originate set a ChannelId, that ChannelId.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class OriginateReason(IntEnum):
    """``OriginateResponse`` ``Reason`` codes (Asterisk's last control frame seen)."""

    FAILED = 0
    HANGUP = 1
    RINGING = 3
    ANSWERED = 4
    BUSY = 5
    CONGESTION = 8


@dataclass(frozen=True, slots=True)
class ChannelCreated:
    node: str
    uniqueid: str
    linkedid: str
    channel: str
    caller_num: str
    caller_name: str
    exten: str
    context: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ChannelAnswered:
    """A channel reached state Up (``Newstate`` with ``ChannelState: 6``)."""

    node: str
    uniqueid: str
    linkedid: str
    channel: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    node: str
    uniqueid: str
    linkedid: str
    channel: str
    cause: int
    cause_txt: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class HangupRequested:
    node: str
    uniqueid: str
    channel: str
    cause: int | None
    at_ms: int


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """One completed key press (``DTMFEnd``); ``direction`` is "Received" or "Sent"."""

    node: str
    uniqueid: str
    channel: str
    digit: str
    direction: str
    duration_ms: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class MusicOnHoldStarted:
    node: str
    uniqueid: str
    channel: str
    moh_class: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class MusicOnHoldStopped:
    node: str
    uniqueid: str
    channel: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceStarted:
    node: str
    conference: str
    bridge_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceEnded:
    node: str
    conference: str
    bridge_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceJoined:
    node: str
    conference: str
    uniqueid: str
    linkedid: str
    channel: str
    caller_num: str
    admin: bool
    muted: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceLeft:
    node: str
    conference: str
    uniqueid: str
    channel: str
    admin: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceMuted:
    node: str
    conference: str
    uniqueid: str
    channel: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceUnmuted:
    node: str
    conference: str
    uniqueid: str
    channel: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceTalking:
    node: str
    conference: str
    uniqueid: str
    channel: str
    talking: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """The outcome of an async Originate, matched to it by ``action_id``."""

    node: str
    action_id: str
    uniqueid: str | None
    channel: str
    success: bool
    reason: int
    at_ms: int

    @property
    def outcome(self) -> OriginateReason | None:
        """The reason as a known code, ``None`` for a code Asterisk has not shown us."""
        try:
            return OriginateReason(self.reason)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class VariableSet:
    """A channel variable the service reads (``VarSet``), e.g. CC_LEG_ID."""

    node: str
    uniqueid: str
    channel: str
    name: str
    value: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class NodeBooted:
    node: str
    uptime_s: int
    last_reload_s: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class NodeShutdown:
    node: str
    restart: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class ChannelListed:
    """One ``CoreShowChannel`` entry, for resynchronisation after a reconnect."""

    node: str
    action_id: str
    uniqueid: str
    linkedid: str
    channel: str
    state: int
    context: str
    exten: str
    application: str
    caller_num: str
    bridge_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceMemberListed:
    """One ``ConfbridgeList`` entry."""

    node: str
    action_id: str
    conference: str
    uniqueid: str
    linkedid: str
    channel: str
    admin: bool
    muted: bool
    talking: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class ConferenceRoomListed:
    """One ``ConfbridgeListRooms`` entry."""

    node: str
    action_id: str
    conference: str
    parties: int
    locked: bool
    muted: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class ListCompleted:
    """End of a list answer (``...Complete``): ``list_name`` is the event name."""

    node: str
    action_id: str
    list_name: str
    items: int
    at_ms: int


PbxEvent = (
    ChannelCreated
    | ChannelAnswered
    | ChannelHungUp
    | HangupRequested
    | DtmfReceived
    | MusicOnHoldStarted
    | MusicOnHoldStopped
    | ConferenceStarted
    | ConferenceEnded
    | ConferenceJoined
    | ConferenceLeft
    | ConferenceMuted
    | ConferenceUnmuted
    | ConferenceTalking
    | OriginateResult
    | VariableSet
    | NodeBooted
    | NodeShutdown
    | ChannelListed
    | ConferenceMemberListed
    | ConferenceRoomListed
    | ListCompleted
)
