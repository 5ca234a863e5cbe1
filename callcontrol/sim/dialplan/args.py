"""Application argument parsing, after substitution, as Asterisk's apps do.

Asterisk substitutes ${...} and $[...] in the whole argument string first; the
application then splits the result. These helpers are that second step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")
_GROUPING = re.compile(r'[()\[\]"\\]')


def split_args(
    raw: str, delim: str = ",", *, max_args: int | None = None, remove_chars: bool = True
) -> list[str]:
    """Split like __ast_app_separate_args().

    Delimiters inside (...), [...] or "..." do not split. With remove_chars
    (AST_STANDARD_APP_ARGS) double quotes are dropped and a backslash makes the
    next character literal; without it (AST_STANDARD_RAW_ARGS) both are kept.
    With max_args, the last field holds the unsplit, unprocessed remainder.
    An empty string gives no arguments; a trailing delimiter adds an empty one.
    """
    if not raw:
        return []
    if (max_args is None or max_args > 0) and not _GROUPING.search(raw):
        # nothing groups, quotes or escapes: a plain split says the same, faster
        return raw.split(delim, -1 if max_args is None else max_args - 1)
    args: list[str] = []
    i, n = 0, len(raw)
    paren = bracket = 0
    quote = False
    ended_on_delim = False
    while i < n and (max_args is None or len(args) < max_args - 1):
        field: list[str] = []
        ended_on_delim = False
        while i < n:
            ch = raw[i]
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren = max(0, paren - 1)
            elif ch == "[":
                bracket += 1
            elif ch == "]":
                bracket = max(0, bracket - 1)
            elif ch == '"' and delim != '"':
                quote = not quote
                if remove_chars:
                    i += 1
                    continue
            elif ch == "\\":
                if remove_chars:
                    if i + 1 < n:
                        field.append(raw[i + 1])
                    i += 2
                    continue
                field.append(ch)
                if i + 1 < n:
                    field.append(raw[i + 1])
                i += 2
                continue
            elif ch == delim and not paren and not quote and not bracket:
                i += 1
                ended_on_delim = True
                break
            field.append(ch)
            i += 1
        args.append("".join(field))
    if i < n or ended_on_delim:
        args.append(raw[i:])
    return args


def check_condition(value: str) -> bool:
    """pbx_checkcondition(): empty is false, a leading integer is its truth,
    any other string is true."""
    if value == "":
        return False
    m = _LEADING_INT.match(value)
    if m:
        return int(m.group(1)) != 0
    return True


@dataclass(frozen=True)
class Branches:
    """`cond?iftrue:iffalse` as GotoIf and ExecIf read it (after substitution)."""

    condition: str
    if_true: str | None
    if_false: str | None

    def taken(self) -> str | None:
        """The branch to follow, or None when that branch is absent or empty."""
        branch = self.if_true if check_condition(self.condition) else self.if_false
        return branch or None


def parse_gotoif(data: str) -> Branches:
    """GotoIf(cond?[label1]:[label2]): plain strsep on the first '?' then ':'."""
    condition, q, rest = data.partition("?")
    if not q:
        return Branches(condition, None, None)
    if_true, c, if_false = rest.partition(":")
    return Branches(condition, if_true, if_false if c else None)


@dataclass(frozen=True)
class AppCall:
    app: str
    args: str


def parse_execif(data: str) -> tuple[str, AppCall | None, AppCall | None]:
    """ExecIf(expr?app1(args):app2(args)) -> (condition, true call, false call).

    The '?' and ':' splits honour parentheses and quotes, as the app does.
    """
    parts = split_args(data, "?", max_args=2)
    if len(parts) < 2:
        raise ValueError(f"ExecIf needs 'expr?app(args)', got {data!r}")
    condition = parts[0]
    branches = split_args(parts[1], ":", max_args=2, remove_chars=False)
    true_call = _app_call(branches[0]) if branches else None
    false_call = _app_call(branches[1]) if len(branches) > 1 else None
    return condition, true_call, false_call


def _app_call(text: str) -> AppCall | None:
    text = text.strip()
    if not text:
        return None
    name, paren, rest = text.partition("(")
    if not paren:
        return AppCall(name.strip(), "")
    close = rest.rfind(")")
    return AppCall(name.strip(), rest[:close] if close >= 0 else rest)


def parse_set(data: str) -> tuple[str, str]:
    """Set(name=value): split on the first '='; the value may hold commas."""
    name, eq, value = data.partition("=")
    if not eq:
        raise ValueError(f"Set requires an '=' to be a valid assignment: {data!r}")
    return name.strip(), value


@dataclass(frozen=True)
class GotoTarget:
    """A parsed `[[context,]exten,]priority` before resolution.

    `priority` is the raw text: a number, `+N`/`-N` (relative) or a label.
    Empty context or exten means "the current one", as in Asterisk.
    """

    context: str | None
    exten: str | None
    priority: str


def parse_goto_target(target: str) -> GotoTarget:
    parts = target.split(",", 2)
    if len(parts) == 1:
        return GotoTarget(None, None, parts[0].strip())
    if len(parts) == 2:
        return GotoTarget(None, parts[0].strip() or None, parts[1].strip())
    return GotoTarget(parts[0].strip() or None, parts[1].strip() or None, parts[2].strip())
