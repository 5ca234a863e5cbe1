"""ConfBridge user profiles and menus in the form the conference model needs.

callcontrol.sim.dialplan parses confbridge.conf; this module turns its profiles into
small frozen records and adds Asterisk's built-in defaults (default_user,
default_bridge, an empty default_menu).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from callcontrol.sim.dialplan import ConfBridgeConfig, load_confbridge


@dataclass(frozen=True)
class UserProfile:
    name: str = "default_user"
    admin: bool = False
    marked: bool = False
    startmuted: bool = False
    wait_marked: bool = False
    end_marked: bool = False
    end_marked_any: bool = False
    quiet: bool = False
    talk_detection_events: bool = False


@dataclass(frozen=True)
class MenuItem:
    action: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Menu:
    name: str = "default_menu"
    # DTMF sequence -> actions run in order (e.g. "*6" -> toggle_mute).
    entries: dict[str, tuple[MenuItem, ...]] = field(default_factory=dict)

    def is_prefix(self, digits: str) -> bool:
        return any(seq.startswith(digits) for seq in self.entries)


@dataclass
class ProfileBook:
    users: dict[str, UserProfile] = field(default_factory=dict)
    menus: dict[str, Menu] = field(default_factory=dict)
    # Bridge profile name -> max_members (0 = no limit).
    bridges: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None) -> ProfileBook:
        return cls.from_config(load_confbridge(Path(path))) if path else cls()

    @classmethod
    def from_config(cls, config: ConfBridgeConfig) -> ProfileBook:
        book = cls()
        for name, p in config.user_profiles.items():
            book.users[name] = UserProfile(
                name=name,
                admin=p.admin,
                marked=p.marked,
                startmuted=p.startmuted,
                wait_marked=p.wait_marked,
                end_marked=p.end_marked,
                end_marked_any=p.end_marked_any,
                quiet=p.quiet,
                talk_detection_events=p.talk_detection_events,
            )
        for name, m in config.menus.items():
            book.menus[name] = Menu(
                name,
                {
                    dtmf: tuple(MenuItem(a.name, tuple(a.args)) for a in actions)
                    for dtmf, actions in m.entries.items()
                },
            )
        book.bridges = {name: b.max_members for name, b in config.bridge_profiles.items()}
        return book

    def user(self, name: str) -> UserProfile | None:
        """None when the profile does not exist (ConfBridge then fails)."""
        if name in self.users:
            return self.users[name]
        return UserProfile() if name in ("", "default_user") else None

    def menu(self, name: str) -> Menu | None:
        if name in self.menus:
            return self.menus[name]
        return Menu() if name in ("", "default_menu") else None

    def max_members(self, bridge: str) -> int | None:
        if bridge in self.bridges:
            return self.bridges[bridge]
        return 0 if bridge in ("", "default_bridge") else None
