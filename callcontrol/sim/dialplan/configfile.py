"""Reader for the Asterisk configuration file syntax (config.c), shared by
extensions.conf and confbridge.conf.

Handles `[section]`, `[section](parent,...)`, `[section](!)` templates, `(+)`
appends, `key = value` / `key => value`, `;` comments (`\\;` is a literal
semicolon), `;-- block comments --;` and `#include` / `#tryinclude`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from callcontrol.sim.dialplan.errors import ConfigSyntaxError, UnsupportedFeatureError

_SECTION = re.compile(r"^\[([^\]]*)\]\s*(?:\(([^)]*)\))?\s*$")
_MAX_INCLUDE_DEPTH = 10


@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    file: Path
    line: int
    is_object: bool  # written with `=>`


@dataclass
class Section:
    name: str
    file: Path
    line: int
    entries: list[Entry] = field(default_factory=list)
    is_template: bool = False


def read_config(path: Path) -> list[Section]:
    """Parse a config file (and its includes) into sections, in file order.

    Entries before the first section are an error, as in Asterisk. Sections
    with the same name stay separate; callers decide whether to merge them.
    """
    reader = _Reader()
    reader.read(Path(path), depth=0)
    return [s for s in reader.sections if not s.is_template]


class _Reader:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.by_name: dict[str, Section] = {}
        self.in_block_comment = False

    def read(self, path: Path, depth: int) -> None:
        if depth > _MAX_INCLUDE_DEPTH:
            raise ConfigSyntaxError("#include nested too deeply", file=path, line=1)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigSyntaxError(f"cannot read config file: {exc}", file=path, line=0) from exc
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = self._strip_comments(raw).strip()
            if line:
                self._line(path, lineno, line, depth)

    def _strip_comments(self, raw: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(raw):
            if self.in_block_comment:
                end = raw.find("--;", i)
                if end < 0:
                    return "".join(out)
                self.in_block_comment = False
                i = end + 3
                continue
            ch = raw[i]
            if ch == "\\" and raw.startswith(";", i + 1):
                out.append(";")  # escaped semicolon is data, the backslash goes
                i += 2
                continue
            if ch == ";":
                if raw.startswith(";--", i):
                    self.in_block_comment = True
                    i += 3
                    continue
                break
            out.append(ch)
            i += 1
        return "".join(out)

    def _line(self, path: Path, lineno: int, line: str, depth: int) -> None:
        if line.startswith("#"):
            self._directive(path, lineno, line, depth)
            return
        if line.startswith("["):
            self._section(path, lineno, line)
            return
        key, sep, value = _split_assignment(line)
        if not sep:
            raise ConfigSyntaxError(f"no '=' in line: {line!r}", file=path, line=lineno)
        if not self.sections:
            raise ConfigSyntaxError("entry before any [section]", file=path, line=lineno)
        entry = Entry(key.strip(), value.strip(), path, lineno, sep == "=>")
        self.sections[-1].entries.append(entry)

    def _directive(self, path: Path, lineno: int, line: str, depth: int) -> None:
        word, _, rest = line[1:].partition(" ")
        target = rest.strip().strip('"').strip("<>").strip()
        if word not in ("include", "tryinclude"):
            raise UnsupportedFeatureError(
                f"directive #{word} not supported", file=path, line=lineno
            )
        if not target:
            raise ConfigSyntaxError(f"#{word} without a file name", file=path, line=lineno)
        included = Path(target)
        if not included.is_absolute():
            included = path.parent / included
        if word == "tryinclude" and not included.exists():
            return
        if not included.exists():
            raise ConfigSyntaxError(f"#include file not found: {included}", file=path, line=lineno)
        self.read(included, depth + 1)

    def _section(self, path: Path, lineno: int, line: str) -> None:
        m = _SECTION.match(line)
        if not m or not m.group(1).strip():
            raise ConfigSyntaxError(f"bad section header: {line!r}", file=path, line=lineno)
        name = m.group(1).strip()
        options = [o.strip() for o in (m.group(2) or "").split(",") if o.strip()]
        if "+" in options:
            if name not in self.by_name:
                raise ConfigSyntaxError(f"(+) on unknown section [{name}]", file=path, line=lineno)
            existing = self.by_name[name]  # later entries land in the existing section
            self.sections.remove(existing)
            self.sections.append(existing)
            return
        section = Section(name, path, lineno, is_template="!" in options)
        for parent in (o for o in options if o != "!"):
            if parent not in self.by_name:
                raise ConfigSyntaxError(f"unknown template [{parent}]", file=path, line=lineno)
            section.entries.extend(self.by_name[parent].entries)
        self.sections.append(section)
        self.by_name[name] = section


def _split_assignment(line: str) -> tuple[str, str, str]:
    eq = line.find("=")
    if eq < 0:
        return line, "", ""
    if line.startswith("=>", eq):
        return line[:eq], "=>", line[eq + 2 :]
    return line[:eq], "=", line[eq + 1 :]
