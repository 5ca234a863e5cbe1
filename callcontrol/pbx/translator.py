"""The one translator from raw AMI messages to typed PBX events.

Table-driven: each event name the service understands has one small converter. A
message never makes the translator raise: the result is a typed event, ``None`` (a
response, or an event the service knowingly ignores), :class:`UnknownEvent` (a name
nobody handles; the caller counts it in a metric) or :class:`TranslationError` (a known
event with a missing or malformed header; the caller logs it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from callcontrol.domain import pbx_events as ev
from callcontrol.pbx.ami_parser import EVENT, AmiMessage

# Variables whose VarSet the service reads: the ones the FastAGI scripts set, plus what
# ConfBridge and AGI leave behind (why a caller left, whether the AGI server answered).
TRACKED_VARIABLES: Final = frozenset(
    {
        "CC_LEG_ID",
        "CC_ROUTE",
        "CC_CONF",
        "CC_BRIDGE_PROFILE",
        "CC_USER_PROFILE",
        "CC_MENU",
        "CC_MOH_CLASS",
        "CC_PROMPT",
        "CC_HAND",
        "CC_CONF_RESULT",
        "CC_AGI_STATUS",
        "CC_END_REASON",
        "CONFBRIDGE_RESULT",
        "AGISTATUS",
    }
)

# Known events the service has no use for (Cdr and Bridge* among them: legs are timed from
# channel and ConfBridge events, and BridgeNumChannels counts ConfBridge's announcer).
_IGNORED = (
    "Cdr CEL Newexten DTMFBegin DeviceStateChange NewCallerid NewConnectedLine LocalBridge "
    "BridgeCreate BridgeEnter BridgeLeave BridgeDestroy DialBegin DialEnd DialState "
    "SoftHangupRequest AGIExecStart AGIExecEnd SuccessfulAuth RequestBadFormat Status "
    "StatusComplete RTCPSent RTCPReceived"
)
IGNORED_EVENTS: Final = frozenset(_IGNORED.split())


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    node: str
    name: str


@dataclass(frozen=True, slots=True)
class TranslationError:
    node: str
    name: str
    reason: str
    headers: tuple[tuple[str, str], ...]


Translated = ev.PbxEvent | UnknownEvent | TranslationError | None


def _text(m: AmiMessage, key: str) -> str:
    value = m.get(key)
    if value is None:
        raise KeyError(key)
    return value


def _int(m: AmiMessage, key: str) -> int:
    return int(_text(m, key))


def _flag(m: AmiMessage, key: str) -> bool:
    value = _text(m, key).lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise ValueError(f"{key}={value!r} is not a yes/no flag")


def _caller(value: str | None) -> str:
    return "" if value is None or value == "<unknown>" else value


def at_ms(m: AmiMessage, received_at_ms: int) -> int:
    """The event's ``Timestamp`` (timestampevents=yes) in ms, else the receive time."""
    ts = m.headers.get("Timestamp")
    if ts is None:
        return received_at_ms
    sec, _, frac = ts.partition(".")
    if not sec.isdigit() or not (frac == "" or frac.isdigit()):
        return received_at_ms
    return int(sec) * 1000 + int((frac + "000")[:3])


Converter = Callable[[AmiMessage, str, int], ev.PbxEvent | None]


def _newchannel(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ChannelCreated(
        node,
        _text(m, "Uniqueid"),
        _text(m, "Linkedid"),
        _text(m, "Channel"),
        _caller(m.get("CallerIDNum")),
        _caller(m.get("CallerIDName")),
        m.get("Exten") or "",
        m.get("Context") or "",
        at,
    )


def _newstate(m: AmiMessage, node: str, at: int) -> ev.PbxEvent | None:
    if _int(m, "ChannelState") != 6:  # 6 = Up; ringing and the like do not matter here
        return None
    return ev.ChannelAnswered(
        node, _text(m, "Uniqueid"), _text(m, "Linkedid"), _text(m, "Channel"), at
    )


def _hangup(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ChannelHungUp(
        node,
        _text(m, "Uniqueid"),
        _text(m, "Linkedid"),
        _text(m, "Channel"),
        _int(m, "Cause"),
        m.get("Cause-txt") or "",
        at,
    )


def _hangup_request(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    cause = m.get("Cause")
    return ev.HangupRequested(
        node, _text(m, "Uniqueid"), _text(m, "Channel"), int(cause) if cause else None, at
    )


def _dtmf_end(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.DtmfReceived(
        node,
        _text(m, "Uniqueid"),
        _text(m, "Channel"),
        _text(m, "Digit"),
        _text(m, "Direction"),
        int(m.get("DurationMs") or 0),
        at,
    )


def _moh_start(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.MusicOnHoldStarted(
        node, _text(m, "Uniqueid"), _text(m, "Channel"), m.get("Class") or "", at
    )


def _moh_stop(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.MusicOnHoldStopped(node, _text(m, "Uniqueid"), _text(m, "Channel"), at)


def _conf_start(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceStarted(node, _text(m, "Conference"), m.get("BridgeUniqueid") or "", at)


def _conf_end(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceEnded(node, _text(m, "Conference"), m.get("BridgeUniqueid") or "", at)


def _conf_join(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceJoined(
        node,
        _text(m, "Conference"),
        _text(m, "Uniqueid"),
        _text(m, "Linkedid"),
        _text(m, "Channel"),
        _caller(m.get("CallerIDNum")),
        _flag(m, "Admin"),
        _flag(m, "Muted"),
        at,
    )


def _conf_leave(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    admin = m.get("Admin")
    return ev.ConferenceLeft(
        node,
        _text(m, "Conference"),
        _text(m, "Uniqueid"),
        _text(m, "Channel"),
        admin is not None and _flag(m, "Admin"),
        at,
    )


def _conf_mute(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceMuted(
        node, _text(m, "Conference"), _text(m, "Uniqueid"), _text(m, "Channel"), at
    )


def _conf_unmute(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceUnmuted(
        node, _text(m, "Conference"), _text(m, "Uniqueid"), _text(m, "Channel"), at
    )


def _conf_talking(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceTalking(
        node,
        _text(m, "Conference"),
        _text(m, "Uniqueid"),
        _text(m, "Channel"),
        _flag(m, "TalkingStatus"),
        at,
    )


def _originate_response(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    uniqueid = m.get("Uniqueid")
    return ev.OriginateResult(
        node,
        m.action_id or "",
        None if not uniqueid or uniqueid == "<unknown>" else uniqueid,
        m.get("Channel") or "",
        _text(m, "Response") == "Success",
        _int(m, "Reason"),
        at,
    )


def _varset(m: AmiMessage, node: str, at: int) -> ev.PbxEvent | None:
    name = _text(m, "Variable")
    if name not in TRACKED_VARIABLES:
        return None
    return ev.VariableSet(
        node, _text(m, "Uniqueid"), _text(m, "Channel"), name, m.get("Value") or "", at
    )


def _fully_booted(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.NodeBooted(node, _int(m, "Uptime"), _int(m, "LastReload"), at)


def _shutdown(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    restart = m.get("Restart")
    return ev.NodeShutdown(node, restart is not None and _flag(m, "Restart"), at)


def _core_show_channel(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ChannelListed(
        node,
        m.action_id or "",
        _text(m, "Uniqueid"),
        _text(m, "Linkedid"),
        _text(m, "Channel"),
        _int(m, "ChannelState"),
        m.get("Context") or "",
        m.get("Exten") or "",
        m.get("Application") or "",
        _caller(m.get("CallerIDNum")),
        m.get("BridgeId") or "",
        at,
    )


def _conf_list(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceMemberListed(
        node,
        m.action_id or "",
        _text(m, "Conference"),
        _text(m, "Uniqueid"),
        _text(m, "Linkedid"),
        _text(m, "Channel"),
        _flag(m, "Admin"),
        _flag(m, "Muted"),
        _flag(m, "Talking"),
        at,
    )


def _conf_list_rooms(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ConferenceRoomListed(
        node,
        m.action_id or "",
        _text(m, "Conference"),
        _int(m, "Parties"),
        _flag(m, "Locked"),
        _flag(m, "Muted"),
        at,
    )


def _list_complete(m: AmiMessage, node: str, at: int) -> ev.PbxEvent:
    return ev.ListCompleted(node, m.action_id or "", m.name, _int(m, "ListItems"), at)


CONVERTERS: Final[dict[str, Converter]] = {
    "Newchannel": _newchannel,
    "Newstate": _newstate,
    "Hangup": _hangup,
    "HangupRequest": _hangup_request,
    "DTMFEnd": _dtmf_end,
    "MusicOnHoldStart": _moh_start,
    "MusicOnHoldStop": _moh_stop,
    "ConfbridgeStart": _conf_start,
    "ConfbridgeEnd": _conf_end,
    "ConfbridgeJoin": _conf_join,
    "ConfbridgeLeave": _conf_leave,
    "ConfbridgeMute": _conf_mute,
    "ConfbridgeUnmute": _conf_unmute,
    "ConfbridgeTalking": _conf_talking,
    "OriginateResponse": _originate_response,
    "VarSet": _varset,
    "FullyBooted": _fully_booted,
    "Shutdown": _shutdown,
    "CoreShowChannel": _core_show_channel,
    "CoreShowChannelsComplete": _list_complete,
    "ConfbridgeList": _conf_list,
    "ConfbridgeListComplete": _list_complete,
    "ConfbridgeListRooms": _conf_list_rooms,
    "ConfbridgeListRoomsComplete": _list_complete,
}

# What the AMI parser should fully parse; everything else it may skip unread.
WANTED_EVENTS: Final = frozenset(CONVERTERS)


def translate(message: AmiMessage, node: str, received_at_ms: int) -> Translated:
    """Turn one parsed AMI message into a typed event (see the module doc for results)."""
    if message.kind != EVENT:
        return None
    converter = CONVERTERS.get(message.name)
    if converter is None:
        return None if message.name in IGNORED_EVENTS else UnknownEvent(node, message.name)
    try:
        return converter(message, node, at_ms(message, received_at_ms))
    except KeyError as exc:
        reason = f"missing header {exc.args[0]}"
    except ValueError as exc:
        reason = f"bad value: {exc}"
    return TranslationError(node, message.name, reason, tuple(message.items_all()))


class Translator:
    """:func:`translate` plus counts of unknown names and errors, for metrics and logs."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.unknown: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def __call__(self, message: AmiMessage, received_at_ms: int) -> Translated:
        result = translate(message, self.node, received_at_ms)
        if isinstance(result, UnknownEvent):
            self.unknown[result.name] += 1
        elif isinstance(result, TranslationError):
            self.errors[result.name] += 1
        return result
