"""AMI ConfBridge actions with app_confbridge's replies and list events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from callcontrol.sim.ami_server import error, response, success
from callcontrol.sim.ami_wire import Headers, Message
from callcontrol.sim.confbridge import Member, yes_no

if TYPE_CHECKING:
    from callcontrol.sim.runtime import Runtime

NO_NAME = "No Conference name provided."
NO_CONF = "No Conference by that name found."
NO_CHANNEL = "No Channel by that name found in Conference."


def _names(msg: Message) -> tuple[str, str]:
    return (msg.get("Conference") or "").strip(), (msg.get("Channel") or "").strip()


def _mute(rt: Runtime, msg: Message, mute: bool) -> list[Headers]:
    conference, channel = _names(msg)
    if not conference:
        return [error(msg, NO_NAME)]
    if not channel:
        return [error(msg, "No channel name provided.")]
    members = rt.confs.select(conference, channel)
    if members is None:
        return [error(msg, NO_CONF)]
    if not members and channel not in ("all", "participants"):
        return [error(msg, NO_CHANNEL)]
    for member in members:
        rt.confs.set_muted(member, mute)
    return [success(msg, "User muted" if mute else "User unmuted")]


def mute(rt: Runtime, msg: Message) -> list[Headers]:
    return _mute(rt, msg, True)


def unmute(rt: Runtime, msg: Message) -> list[Headers]:
    return _mute(rt, msg, False)


def kick(rt: Runtime, msg: Message) -> list[Headers]:
    conference, channel = _names(msg)
    if not conference:
        return [error(msg, NO_NAME)]
    members = rt.confs.select(conference, channel)
    if members is None:
        return [error(msg, NO_CONF)]
    if not members:
        return [error(msg, NO_CHANNEL)]
    for member in members:
        rt.confs.remove(member, "KICKED")
    return [success(msg, "All participants kicked" if channel == "all" else "User kicked")]


def _lock(rt: Runtime, msg: Message, lock: bool) -> list[Headers]:
    conference, _ = _names(msg)
    if not conference:
        return [error(msg, NO_NAME)]
    room = rt.confs.rooms.get(conference)
    if room is None:
        return [error(msg, NO_CONF)]
    room.locked = lock
    return [success(msg, "Conference locked" if lock else "Conference unlocked")]


def lock(rt: Runtime, msg: Message) -> list[Headers]:
    return _lock(rt, msg, True)


def unlock(rt: Runtime, msg: Message) -> list[Headers]:
    return _lock(rt, msg, False)


def _action_id(msg: Message) -> Headers:
    return [("ActionID", msg.action_id)] if msg.action_id is not None else []


def list_rooms(rt: Runtime, msg: Message) -> list[Headers]:
    if not rt.confs.rooms:
        return [error(msg, "No active conferences.")]
    frames = [
        response(
            "Success",
            msg,
            ("EventList", "start"),
            ("Message", "Confbridge conferences will follow"),
        )
    ]
    for room in rt.confs.rooms.values():
        frames.append(
            [
                ("Event", "ConfbridgeListRooms"),
                *_action_id(msg),
                ("Conference", room.name),
                ("Parties", str(len(room.members))),
                ("Marked", str(room.marked_count)),
                ("Locked", yes_no(room.locked)),
                ("Muted", "No"),
            ]
        )
    frames.append(
        [("Event", "ConfbridgeListRoomsComplete"), *_action_id(msg), ("EventList", "Complete"),
         ("ListItems", str(len(rt.confs.rooms)))]
    )  # fmt: skip
    return frames


def _list_item(rt: Runtime, msg: Message, member: Member) -> Headers:
    p = member.profile
    ch = member.channel
    answered = int(rt.clock.now() - (ch.answered_at or ch.created_at))
    waiting = p.wait_marked and member.conference.marked_count == 0
    return [
        ("Event", "ConfbridgeList"),
        *_action_id(msg),
        ("Conference", member.conference.name),
        ("Admin", yes_no(p.admin)),
        ("MarkedUser", yes_no(p.marked)),
        ("WaitMarked", yes_no(p.wait_marked)),
        ("EndMarked", yes_no(p.end_marked)),
        ("EndMarkedAny", yes_no(p.end_marked_any)),
        ("Waiting", yes_no(waiting)),
        ("Muted", yes_no(member.muted)),
        ("Talking", yes_no(member.talking)),
        ("AnsweredTime", str(answered)),
        *ch.fields(),
    ]


def list_members(rt: Runtime, msg: Message) -> list[Headers]:
    conference, _ = _names(msg)
    if not conference:
        return [error(msg, NO_NAME)]
    if not rt.confs.rooms:
        return [error(msg, "No active conferences.")]
    room = rt.confs.rooms.get(conference)
    if room is None:
        return [error(msg, NO_CONF)]
    frames = [
        response(
            "Success", msg, ("EventList", "start"), ("Message", "Confbridge user list will follow")
        )
    ]
    frames += [_list_item(rt, msg, member) for member in room.members]
    frames.append(
        [("Event", "ConfbridgeListComplete"), *_action_id(msg), ("EventList", "Complete"),
         ("ListItems", str(len(room.members)))]
    )  # fmt: skip
    return frames


CONFBRIDGE_ACTIONS: dict[str, Callable[[Runtime, Message], list[Headers]]] = {
    "confbridgemute": mute,
    "confbridgeunmute": unmute,
    "confbridgekick": kick,
    "confbridgelock": lock,
    "confbridgeunlock": unlock,
    "confbridgelistrooms": list_rooms,
    "confbridgelist": list_members,
}
