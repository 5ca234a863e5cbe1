"""confbridge.conf model: bridge profiles, user profiles and DTMF menus.

Options and their defaults follow app_confbridge's conf_config_parser.c.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from callcontrol.sim.dialplan.errors import ConfBridgeConfigError

TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0", "off"})

USER_BOOL = {
    "admin": "no", "send_events": "no", "echo_events": "no", "marked": "no",
    "startmuted": "no", "music_on_hold_when_empty": "no", "quiet": "no",
    "hear_own_join_sound": "yes", "announce_user_count": "no", "announce_only_user": "yes",
    "wait_marked": "no", "end_marked": "no", "end_marked_any": "no",
    "talk_detection_events": "no", "dtmf_passthrough": "no", "announce_join_leave": "no",
    "announce_join_leave_review": "no", "denoise": "no", "dsp_drop_silence": "no",
    "jitterbuffer": "no", "text_messaging": "yes", "answer_channel": "yes",
}  # fmt: skip
USER_UINT = {"dsp_silence_threshold": "2500", "dsp_talking_threshold": "160", "timeout": "0"}
USER_STR = {
    "pin": "",
    "music_on_hold_class": "",
    "announcement": "",
    "announce_user_count_all": "no",
}
BRIDGE_BOOL = {
    "jitterbuffer": "no", "binaural_active": "no", "record_conference": "no",
    "record_file_append": "yes", "record_file_timestamp": "yes", "enable_events": "no",
}  # fmt: skip
BRIDGE_UINT = {
    "max_members": "0", "video_update_discard": "2000", "remb_send_interval": "0",
    "remb_estimated_bitrate": "0", "mixing_interval": "20",
}  # fmt: skip
BRIDGE_STR = {
    "internal_sample_rate": "auto", "maximum_sample_rate": "none", "video_mode": "",
    "record_file": "", "record_options": "", "record_command": "", "regcontext": "",
    "language": "en", "remb_behavior": "average",
}  # fmt: skip
SIMPLE_ACTIONS = frozenset(
    {
        "toggle_mute", "toggle_binaural", "no_op", "increase_listening_volume",
        "decrease_listening_volume", "increase_talking_volume", "reset_listening_volume",
        "reset_talking_volume", "decrease_talking_volume", "admin_toggle_conference_lock",
        "admin_toggle_mute_participants", "participant_count", "admin_kick_last",
        "leave_conference", "set_as_single_video_src", "release_as_single_video_src",
    }
)  # fmt: skip
ARG_ACTIONS = frozenset({"dialplan_exec", "playback", "playback_and_continue"})


def _truth(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class BridgeProfile:
    name: str
    options: dict[str, str]
    file: str
    line: int

    @property
    def max_members(self) -> int:
        """0 means no limit."""
        return int(self.options["max_members"])

    @property
    def record_conference(self) -> bool:
        return _truth(self.options["record_conference"])

    @property
    def language(self) -> str:
        return self.options["language"]

    def sound(self, name: str) -> str | None:
        """A `sound_<name>` override, or None for Asterisk's default prompt."""
        return self.options.get(f"sound_{name}")


@dataclass(frozen=True)
class UserProfile:
    name: str
    options: dict[str, str]
    file: str
    line: int

    def flag(self, option: str) -> bool:
        return _truth(self.options[option])

    @property
    def admin(self) -> bool:
        return self.flag("admin")

    @property
    def marked(self) -> bool:
        return self.flag("marked")

    @property
    def startmuted(self) -> bool:
        return self.flag("startmuted")

    @property
    def quiet(self) -> bool:
        return self.flag("quiet")

    @property
    def wait_marked(self) -> bool:
        return self.flag("wait_marked")

    @property
    def end_marked(self) -> bool:
        return self.flag("end_marked")

    @property
    def end_marked_any(self) -> bool:
        return self.flag("end_marked_any")

    @property
    def music_on_hold_when_empty(self) -> bool:
        return self.flag("music_on_hold_when_empty")

    @property
    def announce_user_count(self) -> bool:
        return self.flag("announce_user_count")

    @property
    def announce_only_user(self) -> bool:
        return self.flag("announce_only_user")

    @property
    def announce_join_leave(self) -> bool:
        return self.flag("announce_join_leave")

    @property
    def dtmf_passthrough(self) -> bool:
        return self.flag("dtmf_passthrough")

    @property
    def talk_detection_events(self) -> bool:
        return self.flag("talk_detection_events")

    @property
    def music_on_hold_class(self) -> str | None:
        return self.options["music_on_hold_class"] or None

    @property
    def pin(self) -> str | None:
        return self.options["pin"] or None

    @property
    def timeout(self) -> int:
        """Seconds before the user is removed; 0 means never."""
        return int(self.options["timeout"])


@dataclass(frozen=True)
class MenuAction:
    """One menu action; dialplan_exec has (context, exten, priority) args,
    playback and playback_and_continue the file list as one arg."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Menu:
    name: str
    entries: dict[str, tuple[MenuAction, ...]]
    file: str
    line: int

    def actions(self, dtmf: str) -> tuple[MenuAction, ...] | None:
        return self.entries.get(dtmf)


@dataclass
class ConfBridgeConfig:
    path: Path
    bridge_profiles: dict[str, BridgeProfile] = field(default_factory=dict)
    user_profiles: dict[str, UserProfile] = field(default_factory=dict)
    menus: dict[str, Menu] = field(default_factory=dict)
    general: dict[str, str] = field(default_factory=dict)

    def bridge(self, name: str) -> BridgeProfile:
        return _lookup(self.bridge_profiles, name, "bridge profile")

    def user(self, name: str) -> UserProfile:
        return _lookup(self.user_profiles, name, "user profile")

    def menu(self, name: str) -> Menu:
        return _lookup(self.menus, name, "menu")


_T = TypeVar("_T")


def _lookup(table: dict[str, _T], name: str, what: str) -> _T:
    try:
        return table[name]
    except KeyError:
        raise ConfBridgeConfigError(f"no ConfBridge {what} named {name!r}") from None
