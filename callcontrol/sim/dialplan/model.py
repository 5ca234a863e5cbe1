"""The loaded dialplan: contexts, extensions, steps, and lookups on them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from callcontrol.sim.dialplan import patterns
from callcontrol.sim.dialplan.args import parse_goto_target
from callcontrol.sim.dialplan.errors import GotoError

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_MAX_INCLUDE_DEPTH = 128  # AST_PBX_MAX_STACK


@dataclass(frozen=True)
class Step:
    """One priority: `App(raw_args)` as written (not yet substituted)."""

    priority: int
    label: str | None
    app: str
    raw_args: str
    file: str
    line: int


@dataclass
class Extension:
    name: str  # as written, e.g. "_X." or "s"
    context: str
    steps: dict[int, Step] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    def priority(self, n: int) -> Step | None:
        return self.steps.get(n)

    def label(self, name: str) -> int:
        """Priority of a label; GotoError if the extension has no such label."""
        try:
            return self.labels[name]
        except KeyError:
            raise GotoError(f"no label {name!r} in {self.context},{self.name}") from None

    @property
    def is_pattern(self) -> bool:
        return patterns.is_pattern(self.name)


@dataclass(frozen=True)
class Include:
    context: str
    file: str
    line: int


@dataclass
class Context:
    name: str
    file: str
    line: int
    extensions: list[Extension] = field(default_factory=list)  # in Asterisk order
    includes: list[Include] = field(default_factory=list)
    ignore_patterns: list[str] = field(default_factory=list)


@dataclass
class Dialplan:
    path: Path
    general: dict[str, str]
    globals: dict[str, str]
    contexts: dict[str, Context]

    def match(self, context: str, exten: str, priority: int | None = None) -> Extension | None:
        """The extension Asterisk would run for `exten` dialled in `context`.

        The context's own extensions come first (literal names, then patterns
        from most to least specific), then each include in order, depth first.
        With `priority`, an extension lacking that priority is passed over, as
        pbx_find_extension() does.
        """
        for ext in self._candidates(context, exten, set(), 0):
            if priority is None or priority in ext.steps:
                return ext
        return None

    def find_step(self, context: str, exten: str, priority: int) -> Step | None:
        ext = self.match(context, exten, priority)
        return ext.priority(priority) if ext is not None else None

    def find_label(self, context: str, exten: str, label: str) -> int | None:
        for ext in self._candidates(context, exten, set(), 0):
            if label in ext.labels:
                return ext.labels[label]
        return None

    def _candidates(self, context: str, exten: str, seen: set[str], depth: int) -> list[Extension]:
        ctx = self.contexts.get(context)
        if ctx is None or context in seen or depth > _MAX_INCLUDE_DEPTH:
            return []
        seen.add(context)
        found = [ext for ext in ctx.extensions if patterns.matches(ext.name, exten)]
        for inc in ctx.includes:
            found.extend(self._candidates(inc.context, exten, seen, depth + 1))
        return found

    def resolve_goto(
        self,
        current_context: str,
        current_exten: str,
        target: str,
        *,
        current_priority: int | None = None,
    ) -> tuple[str, str, int]:
        """Resolve a Goto target `[[context,]exten,]priority|label` (already
        substituted) to (context, exten, priority to run next).

        `+N`/`-N` are relative to current_priority. A label is looked up in the
        extension the target names, through patterns and includes. A numeric
        target is returned even if nothing is there: Asterisk's Goto succeeds
        and the channel then finds no extension.
        """
        parsed = parse_goto_target(target)
        context = parsed.context or current_context
        exten = parsed.exten or current_exten
        text = parsed.priority
        mode = 0
        if text[:1] in ("+", "-"):
            mode = 1 if text[0] == "+" else -1
            text = text[1:]
        m = _LEADING_INT.match(text)
        if m is not None:
            number = int(m.group(1))
        else:
            found = self.find_label(context, exten, text)
            if found is None:
                raise GotoError(
                    f"priority {text!r} must be a number > 0 or a label of {context},{exten}"
                )
            return context, exten, found
        if mode:
            if current_priority is None:
                raise GotoError(f"relative Goto target {target!r} needs the current priority")
            number = current_priority + mode * number
        if number < 1:
            raise GotoError(f"Goto target {target!r} gives priority {number}")
        return context, exten, number
