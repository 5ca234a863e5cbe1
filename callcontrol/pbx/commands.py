"""The AMI actions call control sends, built in one place from typed arguments.

Contexts and priorities come from the contract (docs/asterisk.md). A Call Me dial string is
built only from a validated E.164 number, so nothing an API client sends reaches a channel
technology string unchecked.
"""

from __future__ import annotations

from typing import Any

from callcontrol.domain.numbers import require_e164

Action = dict[str, Any]

CALLME_CONTEXT = "cc-callme"
CONFERENCE_CONTEXT = "cc-conference"
IDLE_DROP_CONTEXT = "cc-idle-drop"
WAITING_CONTEXT = "cc-waiting"  # where a channel listed in it is waiting (resync)
NORMAL_CLEARING = 16


def dial_string(template: str, e164: str) -> str:
    """The node's dial template (e.g. ``PJSIP/{e164}@trunk``) with a checked E.164 number."""
    return template.format(e164=require_e164(e164))


def originate_callme(
    template: str, e164: str, leg_id: str, caller_id: str, ring_timeout_ms: int
) -> Action:
    """Phone a participant: ChannelId = leg id, so the channel's Uniqueid names the leg."""
    return {
        "Action": "Originate",
        "Channel": dial_string(template, e164),
        "Context": CALLME_CONTEXT,
        "Exten": "s",
        "Priority": "1",
        "ChannelId": leg_id,
        "Timeout": str(ring_timeout_ms),
        "CallerID": caller_id,
        "Async": "true",
        "Variable": f"CC_LEG_ID={leg_id}",
    }


def redirect(channel: str, context: str) -> Action:
    """Move a channel (keeps its name and Uniqueid) to priority 1 of `s` in `context`."""
    return {
        "Action": "Redirect",
        "Channel": channel,
        "Context": context,
        "Exten": "s",
        "Priority": "1",
    }


def hangup(channel: str) -> Action:
    return {"Action": "Hangup", "Channel": channel, "Cause": str(NORMAL_CLEARING)}


def mute(conference: str, channel: str, muted: bool) -> Action:
    """Mute one member, or every non-admin member with channel="participants"."""
    action = "ConfbridgeMute" if muted else "ConfbridgeUnmute"
    return {"Action": action, "Conference": conference, "Channel": channel}


def lower_hand(channel: str) -> Action:
    """What pressing *9 again does: [cc-keypad] hand reads CC_HAND, the VarSet reports it."""
    return {"Action": "Setvar", "Channel": channel, "Variable": "CC_HAND", "Value": "down"}


def lock(conference: str, locked: bool) -> Action:
    action = "ConfbridgeLock" if locked else "ConfbridgeUnlock"
    return {"Action": action, "Conference": conference}


def list_channels() -> Action:
    return {"Action": "CoreShowChannels"}


def list_rooms() -> Action:
    return {"Action": "ConfbridgeListRooms"}


def list_members(conference: str) -> Action:
    return {"Action": "ConfbridgeList", "Conference": conference}


def no_conferences(error_message: str) -> bool:
    """Asterisk answers a list of rooms or members with an error when there are none."""
    return "No active conferences" in error_message or "No Conference by that name" in error_message
