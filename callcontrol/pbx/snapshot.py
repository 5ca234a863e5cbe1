"""What a node has right now, as typed events: its channels and its conference members.

Asked after every (re)connect (CoreShowChannels, ConfbridgeListRooms, ConfbridgeList); the
list entries go through the same translator as every other AMI event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcontrol.clock import now_ms
from callcontrol.domain.pbx_events import (
    ChannelListed,
    ConferenceMemberListed,
    ConferenceRoomListed,
)
from callcontrol.logsetup import get_logger
from callcontrol.pbx import commands
from callcontrol.pbx.ami_client import AmiError, AmiLink
from callcontrol.pbx.translator import translate

log = get_logger(__name__)


@dataclass(frozen=True)
class NodeSnapshot:
    channels: dict[str, ChannelListed] = field(default_factory=dict)  # by Uniqueid
    members: dict[str, ConferenceMemberListed] = field(default_factory=dict)  # by Uniqueid
    locked_rooms: frozenset[str] = frozenset()  # conference names


async def list_rooms(link: AmiLink, node: str) -> list[ConferenceRoomListed]:
    """The node's conferences (none is an answer, not an error); raises AmiError."""
    try:
        listed = await link.send_list(commands.list_rooms())
    except AmiError as exc:
        if commands.no_conferences(str(exc)):
            return []
        raise
    at = now_ms()
    return [e for m in listed if isinstance(e := translate(m, node, at), ConferenceRoomListed)]


async def take_snapshot(link: AmiLink, node: str) -> NodeSnapshot:
    """The node's live channels and conference members; raises AmiError if it cannot say."""
    at = now_ms()
    channels = {
        e.uniqueid: e
        for m in await link.send_list(commands.list_channels())
        if isinstance(e := translate(m, node, at), ChannelListed)
    }
    rooms = await list_rooms(link, node)
    members: dict[str, ConferenceMemberListed] = {}
    for room in rooms:
        try:
            listed = await link.send_list(commands.list_members(room.conference))
        except AmiError as exc:  # the room emptied between the two questions
            log.info("conference gone during snapshot", conference=room.conference, error=str(exc))
            continue
        for m in listed:
            member = translate(m, node, at)
            if isinstance(member, ConferenceMemberListed) and member.uniqueid:
                members[member.uniqueid] = member
    locked = frozenset(room.conference for room in rooms if room.locked)
    return NodeSnapshot(channels, members, locked)
