"""Pure dialplan functions (no channel needed), as Asterisk's func_*.c do them.

Each takes the argument text (already substituted) and a reader for variables
(CUT reads a variable by name), and returns the result string.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from callcontrol.sim.dialplan.args import check_condition, split_args
from callcontrol.sim.dialplan.errors import SubstitutionError

VarReader = Callable[[str], str]
PureFunction = Callable[[str, VarReader], str]


def decode_char(text: str, i: int) -> tuple[str, int]:
    """ast_get_encoded_char(): one possibly backslash-escaped character at i
    -> (char, characters consumed)."""
    if text[i] != "\\" or i + 1 >= len(text):
        return text[i], 1
    nxt = text[i + 1]
    simple = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    if nxt in simple:
        return simple[nxt], 2
    if nxt == "x":
        m = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2 :])
        return (chr(int(m.group(0), 16)), 2 + len(m.group(0))) if m else ("\0", 2)
    if nxt == "0":
        m = re.match(r"[0-7]{1,3}", text[i + 2 :])
        return (chr(int(m.group(0), 8)), 2 + len(m.group(0))) if m else ("\0", 2)
    return nxt, 2


@functools.lru_cache(maxsize=256)  # a dialplan uses a handful of specs, over and over
def filter_allowed(spec: str) -> frozenset[str]:
    """FILTER's allowed-character spec: characters, escapes and `a-b` ranges
    (a reversed range wraps around the 8-bit table, as in Asterisk)."""
    allowed: set[str] = set()
    i = 0
    while i < len(spec):
        c1, used = decode_char(spec, i)
        i += used
        if i < len(spec) and spec[i] == "-":
            if i + 1 < len(spec):
                c2, used = decode_char(spec, i + 1)
                i += 1 + used
            else:
                c2, i = c1, i + 1
            lo, hi = ord(c1), ord(c2)
            if lo <= hi:
                allowed.update(chr(c) for c in range(lo, hi + 1))
            else:
                allowed.update(chr(c % 256) for c in range(lo, hi + 257))
        else:
            allowed.add(c1)
    return frozenset(allowed)


def fn_filter(args: str, _read: VarReader) -> str:
    parts = split_args(args, max_args=2, remove_chars=False)
    if len(parts) < 2:
        raise SubstitutionError(f"Usage: FILTER(<allowed-chars>,<string>), got FILTER({args})")
    allowed = filter_allowed(parts[0])
    return "".join(c for c in parts[1] if c in allowed)


def fn_if(args: str, _read: VarReader) -> str:
    first = split_args(args, "?", max_args=2)
    expr = first[0] if first else ""
    branches = split_args(first[1], ":", max_args=2) if len(first) > 1 else []
    if not expr.strip() or not branches:
        raise SubstitutionError(f"Syntax IF(<expr>?[<true>][:<false>]), got IF({args})")
    if_true = branches[0].strip()
    if_false = branches[1].strip() if len(branches) > 1 else ""
    return if_true if check_condition(expr.strip()) else if_false


def fn_len(args: str, _read: VarReader) -> str:
    return str(len(args))


def fn_isnull(args: str, _read: VarReader) -> str:
    return "0" if args else "1"


def fn_exists(args: str, _read: VarReader) -> str:
    return "1" if args else "0"


def fn_toupper(args: str, _read: VarReader) -> str:
    return args.upper()


def fn_tolower(args: str, _read: VarReader) -> str:
    return args.lower()


def fn_regex(args: str, _read: VarReader) -> str:
    """REGEX("<regex>" <string>): 1 if the regex is found in the string."""
    parts = split_args(args, '"', max_args=3)
    if len(parts) != 3:
        raise SubstitutionError(f"REGEX expects '\"<regex>\" <string>', got REGEX({args})")
    subject = parts[2][1:] if parts[2][:1] in (" ", "\t") else parts[2]
    try:
        return "1" if re.search(parts[1], subject) else "0"
    except re.error as exc:
        raise SubstitutionError(f"REGEX: malformed regex {parts[1]!r}: {exc}") from exc


_CUT_RANGE = re.compile(r"^(?:(?P<a>[+-]?\d+)-(?P<b>[+-]?\d+)|-(?P<end>[+-]?\d+)|"
                        r"(?P<start>[+-]?\d+)-.*|(?P<one>[+-]?\d+).*)$")  # fmt: skip


def fn_cut(args: str, read: VarReader) -> str:
    """CUT(varname,delimiter,fields): fields like 2, 2-3, -3, 2-, joined by '&'.
    Fields are taken left to right only, as in func_cut.c."""
    parts = split_args(args)
    if len(parts) < 3:
        raise SubstitutionError(
            f"Syntax: CUT(<varname>,<char-delim>,<range-spec>), got CUT({args})"
        )
    delim = decode_char(parts[1], 0)[0] if parts[1] else "-"
    fields = read(parts[0]).split(delim)
    out: list[str] = []
    pos = 0  # index of the next field not yet consumed
    for group in parts[2].split("&"):
        m = _CUT_RANGE.match(group)
        if not m:
            raise SubstitutionError(f"CUT: bad range spec {group!r}")
        if m.group("a") is not None:
            start, end = int(m.group("a")), int(m.group("b"))
        elif m.group("end") is not None:
            start, end = 0, int(m.group("end"))
        elif m.group("start") is not None:
            start, end = int(m.group("start")), 1 << 30
        else:
            start = end = int(m.group("one"))
        if start > 0:
            pos = max(pos, start - 1)
        while pos < len(fields) and pos + 1 <= end:
            out.append(fields[pos])
            pos += 1
    return delim.join(out)


def fn_fieldqty(args: str, read: VarReader) -> str:
    """FIELDQTY(varname,delim): how many fields the variable holds; 0 when it is empty, 1
    without a delimiter (func_strings.c)."""
    parts = split_args(args)
    if not parts:
        raise SubstitutionError(f"Syntax: FIELDQTY(<varname>,<delim>), got FIELDQTY({args})")
    if len(parts) < 2:
        return "1"
    value = read(parts[0])
    if not value:
        return "0"
    delim = decode_char(parts[1], 0)[0] if parts[1] else ""
    return str(len(value.split(delim))) if delim else "1"


PURE_FUNCTIONS: dict[str, PureFunction] = {
    "FILTER": fn_filter,
    "IF": fn_if,
    "LEN": fn_len,
    "ISNULL": fn_isnull,
    "EXISTS": fn_exists,
    "TOUPPER": fn_toupper,
    "TOLOWER": fn_tolower,
    "REGEX": fn_regex,
    "CUT": fn_cut,
    "FIELDQTY": fn_fieldqty,
}


def callerid_merge(name: str | None, number: str | None) -> str:
    """CALLERID(all) as ast_callerid_merge() prints it: "name" <number>."""
    if name:
        return f'"{name}" <{number}>' if number else name
    return number or ""
