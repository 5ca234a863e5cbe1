"""Load confbridge.conf into a ConfBridgeConfig.

An unknown `type`, option, option value or menu action is an error with
file:line: Asterisk would refuse the option or drop the action silently, and
the simulator must not run a different configuration than production.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from callcontrol.sim.dialplan import confbridge as cb
from callcontrol.sim.dialplan.configfile import Entry, Section, read_config
from callcontrol.sim.dialplan.errors import ConfBridgeConfigError

_P = TypeVar("_P", cb.BridgeProfile | cb.UserProfile, cb.Menu)
_DTMF_KEY = re.compile(r"^[0-9A-D*#]+$")
_DEFAULTS = {
    "bridge": {**cb.BRIDGE_BOOL, **cb.BRIDGE_UINT, **cb.BRIDGE_STR},
    "user": {**cb.USER_BOOL, **cb.USER_UINT, **cb.USER_STR},
}


def load_confbridge(path: Path) -> cb.ConfBridgeConfig:
    path = Path(path)
    config = cb.ConfBridgeConfig(path=path)
    for section in read_config(path):
        if section.name.lower() == "general":
            config.general.update({e.key: e.value for e in section.entries})
            continue
        kind = _section_type(section)
        tables: dict[str, Mapping[str, object]] = {
            "bridge": config.bridge_profiles,
            "user": config.user_profiles,
            "menu": config.menus,
        }
        if section.name in tables[kind]:
            raise ConfBridgeConfigError(
                f"duplicate {kind} profile [{section.name}]", file=section.file, line=section.line
            )
        if kind == "menu":
            config.menus[section.name] = _menu(section, config)
        elif kind == "bridge":
            options = _options(section, "bridge", config.bridge_profiles)
            config.bridge_profiles[section.name] = cb.BridgeProfile(
                section.name, options, str(section.file), section.line
            )
        else:
            options = _options(section, "user", config.user_profiles)
            config.user_profiles[section.name] = cb.UserProfile(
                section.name, options, str(section.file), section.line
            )
    # app_confbridge adds the default profiles when the file does not define them
    config.bridge_profiles.setdefault(
        "default_bridge", cb.BridgeProfile("default_bridge", dict(_DEFAULTS["bridge"]), "", 0)
    )
    config.user_profiles.setdefault(
        "default_user", cb.UserProfile("default_user", dict(_DEFAULTS["user"]), "", 0)
    )
    config.menus.setdefault("default_menu", cb.Menu("default_menu", {}, "", 0))
    return config


def _section_type(section: Section) -> str:
    types = [e for e in section.entries if e.key.lower() == "type"]
    if not types:
        raise ConfBridgeConfigError(
            f"[{section.name}] has no 'type'", file=section.file, line=section.line
        )
    entry = types[-1]
    kind = entry.value.strip().lower()
    if kind not in ("bridge", "user", "menu"):
        raise ConfBridgeConfigError(
            f"[{section.name}] has unknown type {entry.value!r} (bridge, user or menu)",
            file=entry.file,
            line=entry.line,
        )
    return kind


def _template(e: Entry, table: Mapping[str, _P]) -> _P:
    base = table.get(e.value.strip())
    if base is None:
        raise ConfBridgeConfigError(
            f"template {e.value!r} is not defined above", file=e.file, line=e.line
        )
    return base


def _options(
    section: Section, kind: str, table: Mapping[str, cb.BridgeProfile | cb.UserProfile]
) -> dict[str, str]:
    options = dict(_DEFAULTS[kind])
    booleans = cb.BRIDGE_BOOL if kind == "bridge" else cb.USER_BOOL
    numbers = cb.BRIDGE_UINT if kind == "bridge" else cb.USER_UINT
    for e in section.entries:
        key, value = e.key.lower(), e.value.strip()
        if key == "type":
            continue
        if key == "template":
            options.update(_template(e, table).options)
            continue
        if key in booleans:
            if value.lower() not in cb.TRUE_WORDS | cb.FALSE_WORDS:
                raise ConfBridgeConfigError(
                    f"{key} must be yes or no, got {value!r}", file=e.file, line=e.line
                )
        elif key in numbers:
            if not value.isdigit():
                raise ConfBridgeConfigError(
                    f"{key} must be a number, got {value!r}", file=e.file, line=e.line
                )
            if key == "mixing_interval" and value not in ("10", "20", "40", "80"):
                raise ConfBridgeConfigError(
                    "mixing_interval must be 10, 20, 40 or 80", file=e.file, line=e.line
                )
        elif key not in options and not (kind == "bridge" and key.startswith("sound_")):
            raise ConfBridgeConfigError(
                f"unknown {kind} profile option {e.key!r}", file=e.file, line=e.line
            )
        options[key] = value
    return options


def _menu(section: Section, config: cb.ConfBridgeConfig) -> cb.Menu:
    entries: dict[str, tuple[cb.MenuAction, ...]] = {}
    for e in section.entries:
        key = e.key.strip()
        if key.lower() == "type":
            continue
        if key.lower() == "template":
            entries.update(_template(e, config.menus).entries)
            continue
        if not _DTMF_KEY.match(key):
            raise ConfBridgeConfigError(
                f"menu key {key!r} is not a DTMF sequence", file=e.file, line=e.line
            )
        entries[key] = parse_menu_actions(e)  # a repeated sequence overrides, as in Asterisk
    return cb.Menu(section.name, entries, str(section.file), section.line)


def parse_menu_actions(e: Entry) -> tuple[cb.MenuAction, ...]:
    """add_menu_entry(): actions separated by ',', an action's (...) kept whole."""
    rest: str | None = e.value
    actions: list[cb.MenuAction] = []
    while rest:
        start, end, comma = rest.find("("), rest.find(")"), rest.find(",")
        delim = ")" if -1 not in (start, end, comma) and start < comma < end else ","
        action, found, tail = rest.partition(delim)
        rest = tail if found else None
        action = action.strip()
        if action:
            actions.append(_menu_action(action, e))
    if not actions:
        raise ConfBridgeConfigError(f"menu entry {e.key!r} has no action", file=e.file, line=e.line)
    return tuple(actions)


def _menu_action(action: str, e: Entry) -> cb.MenuAction:
    name, paren, args = action.partition("(")
    name = name.strip().lower()
    if not paren and name in cb.SIMPLE_ACTIONS:
        return cb.MenuAction(name)
    if paren and name in cb.ARG_ACTIONS:
        close = args.rfind(")")
        args = args[:close] if close >= 0 else args
        if name != "dialplan_exec":
            return cb.MenuAction(name, (args.strip(),))
        parts = tuple(p.strip() for p in args.split(","))
        if len(parts) != 3 or not parts[2].isdigit():
            raise ConfBridgeConfigError(
                f"dialplan_exec needs (context,exten,priority), got {action!r}",
                file=e.file,
                line=e.line,
            )
        return cb.MenuAction(name, parts)
    raise ConfBridgeConfigError(f"unknown menu action {action!r}", file=e.file, line=e.line)
