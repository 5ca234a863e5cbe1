"""ConfBridge rooms: join, leave, mute, kick, lock, keypad menu, talking.

Event order and fields follow app_confbridge in Asterisk 22 (see the traces).
``BridgeNumChannels`` counts ConfBridge's hidden announcer channel, as Asterisk does.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from callcontrol.sim.channels import Channel
from callcontrol.sim.clock import SimClock
from callcontrol.sim.events import CALL, EventBus, Fields
from callcontrol.sim.profiles import Menu, UserProfile

log = logging.getLogger(__name__)

KICK = "\x00kick"  # queued into the member's DTMF queue to wake its ConfBridge app


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass(eq=False)
class Member:
    channel: Channel
    conference: Conference
    profile: UserProfile
    menu: Menu
    muted: bool = False
    talking: bool = False
    joined_at: float = 0.0
    result: str | None = None  # set when removed by someone else (KICKED, ENDMARKED)


@dataclass(eq=False)
class Conference:
    name: str
    bridge_uid: str
    members: list[Member] = field(default_factory=list)
    locked: bool = False

    def bridge_fields(self, count: int | None = None) -> Fields:
        num = len(self.members) + 1 if count is None else count
        return [
            ("BridgeUniqueid", self.bridge_uid),
            ("BridgeType", "base"),
            ("BridgeTechnology", "softmix"),
            ("BridgeCreator", "ConfBridge"),
            ("BridgeName", self.name),
            ("BridgeNumChannels", str(num)),
            ("BridgeVideoSourceMode", "none"),
        ]

    @property
    def marked_count(self) -> int:
        return sum(1 for m in self.members if m.profile.marked)


class Conferences:
    def __init__(self, bus: EventBus, clock: SimClock) -> None:
        self.bus = bus
        self.clock = clock
        self.rooms: dict[str, Conference] = {}

    # -- join / leave -----------------------------------------------------------------

    def can_join(self, name: str, profile: UserProfile, max_members: int) -> bool:
        room = self.rooms.get(name)
        if room is None:
            return True
        if max_members and len(room.members) >= max_members:
            return False
        return not room.locked or profile.admin

    def join(self, ch: Channel, name: str, profile: UserProfile, menu: Menu) -> Member:
        room = self.rooms.get(name)
        if room is None:
            room = Conference(name, str(uuid.uuid4()))
            self.rooms[name] = room
            self.bus.emit("BridgeCreate", CALL, room.bridge_fields(0))
            self.bus.emit("ConfbridgeStart", CALL, [("Conference", name), *room.bridge_fields()])
        member = Member(
            ch, room, profile, menu, muted=profile.startmuted, joined_at=self.clock.now()
        )
        room.members.append(member)
        ch.member = member
        self.bus.emit("BridgeEnter", CALL, [*room.bridge_fields(), *ch.fields()])
        self._member_event(
            "ConfbridgeJoin",
            member,
            [("Admin", yes_no(profile.admin)), ("Muted", yes_no(member.muted))],
        )
        return member

    def leave(self, member: Member, result: str) -> None:
        """Take a member out of its room: Leave (and End when it was the last one)."""
        room = member.conference
        if member not in room.members:
            return
        ch = member.channel
        ch.variables["CONFBRIDGE_RESULT"] = result
        if result != "HANGUP":  # a kicked member learns its result before it leaves
            self.bus.varset(ch, "CONFBRIDGE_RESULT", result)
        self._member_event("ConfbridgeLeave", member, [("Admin", yes_no(member.profile.admin))])
        room.members.remove(member)
        ch.member = None
        self.bus.emit("BridgeLeave", CALL, [*room.bridge_fields(), *ch.fields()])
        if result == "HANGUP":
            self.bus.varset(ch, "CONFBRIDGE_RESULT", result)
        if not room.members:
            self._end(room)
            return
        if member.profile.marked and room.marked_count == 0:
            for other in list(room.members):
                if other.profile.end_marked or other.profile.end_marked_any:
                    self.remove(other, "ENDMARKED")

    def remove(self, member: Member, result: str) -> None:
        """Removal decided by someone else (kick, end_marked): wake the member's app."""
        member.result = result
        self.leave(member, result)
        member.channel.dtmf.put_nowait(KICK)

    def _end(self, room: Conference) -> None:
        self.rooms.pop(room.name, None)
        self.bus.emit("ConfbridgeEnd", CALL, [("Conference", room.name), *room.bridge_fields(1)])
        self.bus.emit("BridgeDestroy", CALL, room.bridge_fields(0))

    # -- control ------------------------------------------------------------------------

    def select(self, name: str, target: str) -> list[Member] | None:
        """Members addressed by an AMI Channel header; None when the room is unknown."""
        room = self.rooms.get(name)
        if room is None:
            return None
        if target == "all":
            return list(room.members)
        if target == "participants":
            return [m for m in room.members if not m.profile.admin]
        return [m for m in room.members if m.channel.name == target]

    def set_muted(self, member: Member, muted: bool) -> None:
        member.muted = muted
        name = "ConfbridgeMute" if muted else "ConfbridgeUnmute"
        self._member_event(name, member, [("Admin", yes_no(member.profile.admin))])

    def set_talking(self, member: Member, talking: bool) -> None:
        if member.talking == talking:
            return
        member.talking = talking
        if member.profile.talk_detection_events and member.conference.members:
            self._member_event(
                "ConfbridgeTalking",
                member,
                [
                    ("TalkingStatus", "on" if talking else "off"),
                    ("Admin", yes_no(member.profile.admin)),
                ],
            )

    def menu_action(self, member: Member, action: str) -> str | None:
        """Run one keypad action; returns a CONFBRIDGE_RESULT when the member leaves."""
        room = member.conference
        if action == "toggle_mute":
            self.set_muted(member, not member.muted)
        elif action == "leave_conference":
            return "DTMF"
        elif action == "admin_toggle_conference_lock" and member.profile.admin:
            room.locked = not room.locked
        elif action == "admin_toggle_mute_participants" and member.profile.admin:
            others = [m for m in room.members if not m.profile.admin]
            mute = not all(m.muted for m in others)
            for other in others:
                if other.muted != mute:
                    self.set_muted(other, mute)
        elif action == "admin_kick_last" and member.profile.admin:
            last = next((m for m in reversed(room.members) if not m.profile.admin), None)
            if last is not None:
                self.remove(last, "KICKED")
        else:
            log.debug("menu action %s has no event effect", action)
        return None

    def discard(self, member: Member) -> None:
        """Forget a member whose channel vanished without events."""
        room = member.conference
        if member in room.members:
            room.members.remove(member)
        member.channel.member = None
        if not room.members and self.rooms.get(room.name) is room:
            del self.rooms[room.name]

    def drop_all(self) -> None:
        """Node restart: rooms vanish without events."""
        self.rooms.clear()

    def _member_event(self, name: str, member: Member, extra: Fields) -> None:
        room = member.conference
        self.bus.emit(
            name,
            CALL,
            [("Conference", room.name), *room.bridge_fields(), *member.channel.fields(), *extra],
        )
