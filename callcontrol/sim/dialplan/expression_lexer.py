"""Tokens of `$[ ... ]`, as Asterisk's ast_expr2.fl scans them.

Operators need no surrounding spaces; a quoted string is one token and keeps
its quotes; `${...}` left in the text (from a variable's value) stays inside
one token with what trails it.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

NUMERIC_TOKEN = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
_OPERATORS = sorted(
    [
        "|",
        "&",
        "=",
        "||",
        "&&",
        "==",
        "=~",
        "~~",
        ">",
        "<",
        ">=",
        "<=",
        "!=",
        "+",
        ",",
        "-",
        "*",
        "/",
        "%",
        "?",
        "!",
        ":",
        "::",
        "(",
        ")",
    ],
    key=len,
    reverse=True,
)
_TRAIL_STOP = set("-\t\r \n$():?%/+=*<>!|&")


def tokenize(text: str) -> list[tuple[str, str]]:
    """-> [(kind, text)], kind 'op' or 'tok' (quoted tokens keep their quotes)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            if end >= 0:
                out.append(("tok", text[i : end + 1]))
                i = end + 1
                continue
        if text.startswith("${", i) or _word_char(text, i):
            j = _scan_word(text, i)
            out.append(("tok", text[i:j]))
            i = j
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            out.append(("op", op))
            i += len(op)
            continue
        # flex's default rule echoes characters no rule matches and goes on
        log.warning("expression %r: ignoring unexpected character %r", text, ch)
        i += 1
    return out


def _word_char(text: str, i: int) -> bool:
    ch = text[i]
    if ch.isascii() and (ch.isalnum() or ch in ".';\\_^#@"):
        return True
    if ch == "$":
        return i + 1 < len(text) and text[i + 1] != "{"
    return not ch.isascii()


def _scan_word(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text.startswith("${", i):
            depth, i = 1, i + 2
            while i < n and depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            while i < n and text[i] not in _TRAIL_STOP:
                i += 1
            continue
        if not _word_char(text, i):
            break
        i += 1
    return i
