"""Load extensions.conf into a Dialplan, the way pbx_config.c reads it.

Everything the simulator could not run the same way as Asterisk is an error
at load time, with the file and line: an unknown application or function, a
bad priority, a duplicate priority or label, an include of a missing context,
an unclosed ${ or $[.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from callcontrol.sim.dialplan import patterns
from callcontrol.sim.dialplan.apps import KNOWN_APPS, KNOWN_FUNCTIONS, canonical_app
from callcontrol.sim.dialplan.args import parse_execif
from callcontrol.sim.dialplan.configfile import Entry, read_config
from callcontrol.sim.dialplan.errors import (
    ConfigSyntaxError,
    DialplanError,
    UnsupportedFeatureError,
)
from callcontrol.sim.dialplan.model import Context, Dialplan, Extension, Include, Step
from callcontrol.sim.dialplan.substitution import DictScope, check_syntax, substitute

_FUNCTION_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\(")
_HINT = -1
_NONE = -2  # no priority seen yet in this section


@dataclass
class _State:
    context: Context
    last_exten: str | None = None
    last_priority: int = _NONE


def load_dialplan(
    path: Path,
    *,
    known_apps: frozenset[str] = KNOWN_APPS,
    known_functions: frozenset[str] = KNOWN_FUNCTIONS,
) -> Dialplan:
    """Parse an extensions.conf (with its #includes) and validate it."""
    path = Path(path)
    plan = Dialplan(path=path, general={}, globals={}, contexts={})
    loader = _Loader(plan, known_apps, known_functions)
    for section in read_config(path):
        lowered = section.name.lower()
        if lowered == "general":
            plan.general.update({e.key.lower(): e.value for e in section.entries})
        elif lowered == "globals":
            for e in section.entries:
                # globals are substituted against the globals defined before them
                plan.globals[e.key] = loader.expand(e.value, e)
        else:
            ctx = plan.contexts.get(section.name)
            if ctx is None:
                ctx = Context(section.name, str(section.file), section.line)
                plan.contexts[section.name] = ctx
            state = _State(ctx)
            for entry in section.entries:
                loader.entry(state, entry)
    for ctx in plan.contexts.values():
        ctx.extensions.sort(key=lambda ext: patterns.sort_key(ext.name))
        for inc in ctx.includes:
            if inc.context not in plan.contexts:
                raise DialplanError(
                    f"context [{ctx.name}] includes missing context [{inc.context}]",
                    file=inc.file,
                    line=inc.line,
                )
    return plan


class _Loader:
    def __init__(self, plan: Dialplan, known_apps: frozenset[str], known_functions: frozenset[str]):
        self.plan = plan
        self.known_apps = known_apps
        self.known_functions = known_functions

    def expand(self, text: str, entry: Entry) -> str:
        try:
            return substitute(text, DictScope(globals_=self.plan.globals))
        except DialplanError as exc:
            raise DialplanError(exc.message, file=entry.file, line=entry.line) from exc

    def entry(self, state: _State, e: Entry) -> None:
        key = e.key.lower()
        if key.startswith("same"):
            if state.last_exten is None:
                raise ConfigSyntaxError(
                    f"'same' with no previous exten in [{state.context.name}]",
                    file=e.file,
                    line=e.line,
                )
            self.exten(state, e, state.last_exten, e.value)
        elif key == "exten":
            name, _, rest = _split_exten_name(e.value)
            name = self.expand(name.strip(), e)
            state.last_exten = name
            self.exten(state, e, name, rest)
        elif key == "include":
            target = self.expand(e.value, e).strip()
            if "," in target or "|" in target:
                raise UnsupportedFeatureError(
                    f"time-based include {target!r}", file=e.file, line=e.line
                )
            state.context.includes.append(Include(target, str(e.file), e.line))
        elif key == "ignorepat":
            state.context.ignore_patterns.append(self.expand(e.value, e).strip())
        elif key in ("switch", "lswitch", "eswitch"):
            raise UnsupportedFeatureError(f"'{e.key}' is not supported", file=e.file, line=e.line)
        else:
            raise ConfigSyntaxError(f"unknown directive {e.key!r}", file=e.file, line=e.line)

    def exten(self, state: _State, e: Entry, name: str, rest: str) -> None:
        if "/" in name:
            raise UnsupportedFeatureError(f"caller-id match in {name!r}", file=e.file, line=e.line)
        try:
            patterns.validate(name)
        except ValueError as exc:
            raise ConfigSyntaxError(str(exc), file=e.file, line=e.line) from exc
        pri_text, _, appl = rest.partition(",")
        ext = self._extension(state.context, name)
        priority, label = self._priority(state, e, ext, pri_text.strip())
        if priority == _HINT:
            return  # hints feed device state, which the simulator does not model
        app, data = self._application(e, appl)
        if priority in ext.steps:
            first = ext.steps[priority]
            raise DialplanError(
                f"duplicate priority {priority} for {state.context.name},{name} "
                f"(first at {first.file}:{first.line})",
                file=e.file,
                line=e.line,
            )
        if label is not None:
            if label in ext.labels:
                raise DialplanError(
                    f"duplicate label {label!r} in {name}", file=e.file, line=e.line
                )
            ext.labels[label] = priority
        ext.steps[priority] = Step(priority, label, app, data, str(e.file), e.line)

    def _extension(self, ctx: Context, name: str) -> Extension:
        key = patterns.canonical(name)
        for ext in ctx.extensions:
            if patterns.canonical(ext.name) == key:
                return ext
        ext = Extension(name, ctx.name)
        ctx.extensions.append(ext)
        return ext

    def _priority(
        self, state: _State, e: Entry, ext: Extension, text: str
    ) -> tuple[int, str | None]:
        label = None
        if "(" in text:
            text, _, tail = text.partition("(")
            if ")" not in tail:
                raise ConfigSyntaxError("label missing trailing ')'", file=e.file, line=e.line)
            label = tail[: tail.index(")")].strip() or None
        text, plus, offset_text = text.strip().partition("+")
        if text == "hint":
            state.last_priority = _HINT
            return _HINT, None
        if text in ("n", "next", "s", "same"):
            if state.last_priority == _NONE:
                raise DialplanError(
                    f"can't use '{text}' priority on the first entry", file=e.file, line=e.line
                )
            priority = state.last_priority + (1 if text in ("n", "next") else 0)
        elif text.isdigit():
            priority = int(text)
        elif text in ext.labels:
            priority = ext.labels[text]
        else:
            raise DialplanError(f"invalid priority/label {text!r}", file=e.file, line=e.line)
        if plus:
            if not offset_text.strip().isdigit():
                raise DialplanError(
                    f"invalid priority offset {offset_text!r}", file=e.file, line=e.line
                )
            priority += int(offset_text)
        if priority < 1:
            raise DialplanError(f"invalid priority {priority}", file=e.file, line=e.line)
        state.last_priority = priority
        return priority, label

    def _application(self, e: Entry, appl: str) -> tuple[str, str]:
        appl = appl.strip()
        if "(" in appl:
            name, _, data = appl.partition("(")
            close = data.rfind(")")
            if close < 0:
                raise ConfigSyntaxError(
                    f"no closing parenthesis in {appl!r}", file=e.file, line=e.line
                )
            data = data[:close]
        else:
            name, data = appl, ""
        app = self._known_app(e, name)
        try:
            check_syntax(data)
        except DialplanError as exc:
            raise DialplanError(exc.message, file=e.file, line=e.line) from exc
        for fname in _FUNCTION_REF.findall(data):
            if fname not in self.known_functions:
                raise DialplanError(
                    f"unknown dialplan function {fname}()", file=e.file, line=e.line
                )
        if app == "ExecIf" and "?" in data:
            self._check_execif(e, data)
        return app, data

    def _known_app(self, e: Entry, name: str) -> str:
        if not name.strip():
            raise DialplanError("missing application", file=e.file, line=e.line)
        app = canonical_app(name, self.known_apps)
        if app is None:
            raise DialplanError(f"unknown application {name.strip()!r}", file=e.file, line=e.line)
        return app

    def _check_execif(self, e: Entry, data: str) -> None:
        try:
            _, if_true, if_false = parse_execif(data)
        except ValueError as exc:
            raise DialplanError(str(exc), file=e.file, line=e.line) from exc
        for call in (if_true, if_false):
            if call is not None and "$" not in call.app:
                self._known_app(e, call.app)


def _split_exten_name(value: str) -> tuple[str, str, str]:
    """pbx_strsep(): the first ',' outside [...] ends the extension name."""
    depth = 0
    for i, ch in enumerate(value):
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif ch == "," and not depth:
            return value[:i], ",", value[i + 1 :]
    return value, "", ""
