"""Extension names and patterns, matched and ordered as Asterisk's pbx.c does.

A name starting with `_` is a pattern: `X` = 0-9, `Z` = 1-9, `N` = 2-9,
`[1-5a]` = a set, `.` = one or more of anything, `!` = zero or more of
anything; any other character matches itself. `-` outside a set is ignored
("eye candy"), in names and in dialled strings alike.

Ordering follows ext_cmp(): literal names sort before patterns; patterns are
compared position by position, the smaller character set first, with `.`
after every set and `!` after `.`; a pattern that ends sorts after one that
continues with a set. Within a context the first name in that order that
matches wins (that is Asterisk's default linear search).
"""

from __future__ import annotations

from functools import lru_cache

_END = 0x30000
_DOT = 0x18000
_BANG = 0x28000
_ALL = frozenset(range(256))


def is_pattern(name: str) -> bool:
    return name.startswith("_")


def canonical(name: str) -> str:
    """The form two names are equal under: dashes dropped (Asterisk ignores them)."""
    if not is_pattern(name):
        return name.replace("-", "")
    return "_" + "".join(_pattern_tokens_text(name[1:]))


def _pattern_tokens_text(body: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.find("]", i)
            if end < 0:
                raise ValueError(f"unterminated '[' in pattern _{body}")
            out.append(body[i : end + 1])
            i = end + 1
            continue
        if ch not in "- ":
            out.append(ch.upper() if ch.upper() in "NXZ" else ch)
        i += 1
    return out


def _set_members(spec: str) -> frozenset[int]:
    """Characters of a `[...]` body, with `a-b` ranges."""
    members: set[int] = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            lo, hi = ord(spec[i]), ord(spec[i + 2])
            members.update(range(lo, hi + 1))
            i += 3
        else:
            members.add(ord(spec[i]))
            i += 1
    return frozenset(members)


@lru_cache(maxsize=4096)
def _compiled(body: str) -> tuple[tuple[str, frozenset[int]], ...]:
    """Pattern body -> positions: ('set', chars) | ('dot', _) | ('bang', _)."""
    positions: list[tuple[str, frozenset[int]]] = []
    for tok in _pattern_tokens_text(body):
        if tok.startswith("["):
            positions.append(("set", _set_members(tok[1:-1])))
        elif tok == "N":
            positions.append(("set", frozenset(range(ord("2"), ord("9") + 1))))
        elif tok == "X":
            positions.append(("set", frozenset(range(ord("0"), ord("9") + 1))))
        elif tok == "Z":
            positions.append(("set", frozenset(range(ord("1"), ord("9") + 1))))
        elif tok == ".":
            positions.append(("dot", _ALL))
        elif tok == "!":
            positions.append(("bang", _ALL))
        else:
            positions.append(("set", frozenset({ord(tok)})))
    return tuple(positions)


def validate(name: str) -> None:
    """Raise ValueError if the name is not a well-formed extension or pattern."""
    if not name:
        raise ValueError("empty extension name")
    if is_pattern(name):
        if len(name) == 1:
            raise ValueError("empty pattern '_'")
        _compiled(name[1:])


def matches(name: str, dialled: str) -> bool:
    """True if the extension `name` matches the dialled string (E_MATCH)."""
    data = dialled.replace("-", "")
    if not is_pattern(name):
        return canonical(name) == data
    positions = _compiled(name[1:])
    for index, (kind, members) in enumerate(positions):
        if kind == "bang":
            return True  # zero or more of anything
        if index >= len(data):
            return False
        if kind == "dot":
            return True  # one or more: at least this character is there
        if ord(data[index]) not in members:
            return False
    return len(data) == len(positions)


def _position_score(kind: str, members: frozenset[int]) -> tuple[int, tuple[int, ...]]:
    if kind == "dot":
        return (_DOT, ())
    if kind == "bang":
        return (_BANG, ())
    # ext_cmp_pattern_pos: (set size << 8) | lowest char; ties are broken by
    # memcmp of the 256-bit masks, the larger mask byte sorting first.
    score = (len(members) << 8) | min(members)
    mask = [0] * 32
    for c in members:
        mask[c >> 3] |= 1 << (c & 7)
    return (score, tuple(-b for b in mask))


@lru_cache(maxsize=4096)
def sort_key(name: str) -> tuple[int, tuple[tuple[int, tuple[int, ...]], ...] | str]:
    """Key ordering names as Asterisk's ext_cmp(): literals first, then the
    most specific patterns."""
    if not is_pattern(name):
        return (0, canonical(name))
    scores = [_position_score(k, m) for k, m in _compiled(name[1:])]
    scores.append((_END, ()))
    return (1, tuple(scores))
