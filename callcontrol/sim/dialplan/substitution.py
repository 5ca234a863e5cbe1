"""`${...}` and `$[...]` substitution, ported from pbx_substitute_variables_helper_full().

Substituted values are not scanned again: a variable holding "${X}" yields
that text literally, as in Asterisk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from callcontrol.sim.dialplan.errors import SubstitutionError
from callcontrol.sim.dialplan.expressions import ExpressionError, evaluate_expression
from callcontrol.sim.dialplan.functions import PURE_FUNCTIONS

log = logging.getLogger(__name__)

_OFFSETS = re.compile(r"\s*([+-]?\d+)(?::\s*([+-]?\d+))?")
_INT_MAX = 2**31 - 1
_BRACE_MARKS = re.compile(r"\$(?=[{\[])|[{}]")


class VariableScope(Protocol):
    """What the runtime supplies for one channel.

    get(): channel variables, then builtins (EXTEN, CONTEXT, PRIORITY, CHANNEL,
    UNIQUEID, ...), then globals; None when unset.
    function(): channel-bound functions such as CALLERID(num) or
    CHANNEL(name); None when the function is not provided. Pure functions
    (IF, FILTER, LEN, ...) never reach it.
    """

    def get(self, name: str) -> str | None: ...

    def function(self, name: str, args: str) -> str | None: ...


class DictScope:
    """A VariableScope over plain mappings, for globals-only evaluation and tests."""

    def __init__(
        self,
        variables: Mapping[str, str] | None = None,
        globals_: Mapping[str, str] | None = None,
        functions: Mapping[str, Callable[[str], str]] | None = None,
    ) -> None:
        self.variables = dict(variables or {})
        self.globals = dict(globals_ or {})
        self.functions = dict(functions or {})

    def get(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        return self.globals.get(name)

    def function(self, name: str, args: str) -> str | None:
        fn = self.functions.get(name)
        return fn(args) if fn is not None else None


def substitute(text: str, scope: VariableScope) -> str:
    """Expand every ${...} and $[...] in text (one pass, inside out)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0 or j + 1 >= n or text[j + 1] not in "{[":
            stop = n if j < 0 else j + 1
            out.append(text[i:stop])
            i = stop
            continue
        out.append(text[i:j])
        if text[j + 1] == "{":
            inner, needsub, i = _braced(text, j)
            name = substitute(inner, scope) if needsub else inner
            out.append(_variable(name, scope))
        else:
            inner, needsub, i = _bracketed(text, j)
            expr = substitute(inner, scope) if needsub else inner
            out.append(_expression(expr))
    return "".join(out)


def _braced(text: str, start: int) -> tuple[str, bool, int]:
    """Body of the ${...} at start, whether it needs substitution, the end."""
    depth, needsub = 1, False
    # Only "${", "$[", "{" and "}" matter; the "{" of a "${" counts as an opening brace.
    for match in _BRACE_MARKS.finditer(text, start + 2):
        mark = match.group()
        if mark == "$":
            needsub = True
        elif mark == "{":
            depth += 1
        else:
            depth -= 1
            if not depth:
                end = match.end()
                return text[start + 2 : end - 1], needsub, end
    raise SubstitutionError(f"missing '}}' in {text!r}")


def _bracketed(text: str, start: int) -> tuple[str, bool, int]:
    """Body of the $[...] at start, whether it needs substitution, the end."""
    k, depth, needsub = start + 2, 1, False
    while depth and k < len(text):
        if text.startswith("$[", k):
            needsub, depth, k = True, depth + 1, k + 1
        elif text[k] == "[":
            depth += 1
        elif text[k] == "]":
            depth -= 1
        elif text.startswith("${", k):
            needsub, k = True, k + 1
        k += 1
    if depth:
        raise SubstitutionError(f"missing ']' in {text!r}")
    return text[start + 2 : k - 1], needsub, k


def check_syntax(text: str) -> None:
    """Raise SubstitutionError if a ${ or $[ in text is never closed."""
    i = 0
    while (j := text.find("$", i)) >= 0:
        if text.startswith("${", j):
            _braced(text, j)
        elif text.startswith("$[", j):
            _bracketed(text, j)
        else:
            i = j + 1
            continue
        i = j + 2  # the body is scanned by the loop as well


def _expression(expr: str) -> str:
    try:
        return evaluate_expression(expr)
    except ExpressionError as exc:
        # Asterisk logs the syntax error and substitutes "0"
        log.warning("%s; using '0' as Asterisk does", exc)
        return "0"


def split_name(name: str) -> tuple[str, int, int, bool]:
    """parse_variable_name(): -> (name, offset, length, is_function)."""
    if ":" not in name:
        return name, 0, _INT_MAX, "(" in name
    parens, is_function = 0, False
    for idx, ch in enumerate(name):
        if ch == "(":
            parens += 1
            is_function = True
        elif ch == ")":
            parens -= 1
        elif ch == ":" and parens == 0:
            m = _OFFSETS.match(name, idx + 1)
            offset = int(m.group(1)) if m else 0
            length = int(m.group(2)) if m and m.group(2) is not None else _INT_MAX
            return name[:idx], offset, length, is_function
    return name, 0, _INT_MAX, is_function


def substring(value: str, offset: int, length: int) -> str:
    """${VAR:offset:length}: negative offset counts from the end, negative
    length drops characters from the end."""
    size = len(value)
    if offset == 0 and length >= size:
        return value
    if offset < 0:
        offset = max(0, size + offset)
    if offset >= size:
        return ""
    rest = value[offset:]
    if 0 <= length < size - offset:
        return rest[:length]
    if length < 0:
        return rest[: size + length - offset] if size > offset - length else ""
    return rest


def _variable(spec: str, scope: VariableScope) -> str:
    name, offset, length, is_function = split_name(spec)
    value = call_function(name, scope) if is_function else scope.get(name) or ""
    return substring(value, offset, length)


def call_function(call: str, scope: VariableScope) -> str:
    """Evaluate `NAME(args)`: pure functions here, the rest through the scope."""
    fname, _, rest = call.partition("(")
    close = rest.rfind(")")
    args = rest[:close] if close >= 0 else rest
    pure = PURE_FUNCTIONS.get(fname)
    if pure is not None:
        # CUT reads its variable as ${name}, so offsets and functions work there too
        return pure(args, lambda var: substitute("${" + var + "}", scope))
    value = scope.function(fname, args)
    if value is None:
        raise SubstitutionError(f"unknown dialplan function {fname}({args})")
    return value
