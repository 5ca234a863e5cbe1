"""manager.conf's `eventfilter` lines for one AMI user, applied as Asterisk applies them.

Only the exclude form our manager.conf uses is understood (by name, and by a regular
expression on one header); any other filter line is a clear error rather than a silent
difference from production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_LINE = re.compile(
    r"^eventfilter\(action\(exclude\),name\((?P<name>[A-Za-z]+)\)"
    r"(?:,header\((?P<header>[A-Za-z]+)\),method\(regex\))?\)\s*=\s*(?P<value>.*)$"
)


class EventFilterError(ValueError):
    pass


@dataclass(frozen=True)
class EventFilter:
    excluded: frozenset[str] = frozenset()
    # Event name -> (header, pattern): the event is excluded when the header matches.
    by_header: dict[str, tuple[str, re.Pattern[str]]] = field(default_factory=dict)

    def allows(self, name: str, headers: list[tuple[str, str]]) -> bool:
        if name in self.excluded:
            return False
        rule = self.by_header.get(name)
        if rule is None:
            return True
        wanted, pattern = rule
        value = next((v for k, v in headers if k == wanted), "")
        return pattern.search(value) is None


def load_event_filter(manager_conf: Path, user: str) -> EventFilter:
    """The filter of `[user]` in manager.conf (an empty filter when it has none)."""
    excluded: set[str] = set()
    by_header: dict[str, tuple[str, re.Pattern[str]]] = {}
    section = None
    for number, raw in enumerate(manager_conf.read_text(encoding="utf-8").splitlines(), 1):
        line = (
            raw.split(";", 1)[0].strip()
            if not raw.lstrip().startswith("eventfilter")
            else raw.strip()
        )
        if line.startswith("[") and "]" in line:
            section = line[1 : line.index("]")]
            continue
        if section != user or not line.startswith("eventfilter"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise EventFilterError(f"{manager_conf}:{number}: unsupported eventfilter: {line}")
        if match["header"] is None:
            excluded.add(match["name"])
        else:
            by_header[match["name"]] = (match["header"], re.compile(match["value"].strip()))
    return EventFilter(frozenset(excluded), by_header)
