"""`$[ ... ]` expressions with the semantics of Asterisk's ast_expr2.y.

Values are strings, numeric strings (digits with an optional fraction) or
numbers. A quoted token keeps its quotes and is a string, so `"1" = 1` is a
string comparison and is false; `"${A}" = ""` is true when A is empty.
Comparisons are numeric only when neither side is a plain string. Results
print like C's "%.18Lg" (1, 3.5, 0.333333333333333333).

Precedence, lowest first: `? ::` (ternary), `|`, `&`, comparisons
(= == != < > <= >=), `+ -`, `* / %`, unary `!` and `-`, then `:` `=~` `~~`.
"""

from __future__ import annotations

import decimal
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from callcontrol.sim.dialplan.errors import DialplanError, UnsupportedFeatureError
from callcontrol.sim.dialplan.expression_lexer import NUMERIC_TOKEN, tokenize

log = logging.getLogger(__name__)

_CTX = decimal.Context(prec=40)
_PRINT_CTX = decimal.Context(prec=18, rounding=decimal.ROUND_HALF_EVEN)
_INT_MAX = Decimal(2147483647)


class ExpressionError(DialplanError):
    """Syntax error in $[...]; Asterisk logs it and the expression yields '0'."""


@dataclass
class _Val:
    kind: str  # "str" | "numstr" | "num"
    s: str = ""
    n: Decimal = Decimal(0)


def _num(n: Decimal) -> _Val:
    return _Val("num", n=n)


def _make_str(s: str) -> _Val:
    """make_str(): a regex result is numeric-looking if it starts with a digit
    or '.' and holds only digits and dots."""
    if s and (s[0].isdigit() or s[0] == ".") and all(c.isdigit() or c == "." for c in s):
        return _Val("numstr", s=s)
    return _Val("str", s=s)


def format_number(n: Decimal) -> str:
    """C's printf("%.18Lg")."""
    if n.is_zero():
        return "-0" if n.is_signed() else "0"
    r = _PRINT_CTX.plus(n)
    exp = r.adjusted()
    if exp < -4 or exp >= 18:
        sign, digits, _ = r.as_tuple()
        ds = "".join(map(str, digits)).rstrip("0") or "0"
        mantissa = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    text = format(r, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _to_number(v: _Val) -> bool:
    if v.kind == "num":
        return True
    if v.kind == "str":
        return False
    try:
        v.n = _CTX.create_decimal(v.s)
    except decimal.InvalidOperation:
        return False
    v.kind = "num"
    return True


def _to_string(v: _Val) -> str:
    if v.kind == "num":
        return format_number(v.n)
    return v.s


def _strip_quotes(s: str) -> str:
    if len(s) >= 1 and s[0] == '"' and s[-1] == '"':
        return s.replace('"', "")
    return s


def _atoi(s: str) -> int:
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


def _zero_or_null(v: _Val) -> bool:
    if v.kind == "num":
        return v.n == 0
    return v.s == "" or (_to_number(v) and v.n == 0)


_BINARY_LEVEL = {
    "|": 2, "||": 2, "&": 3, "&&": 3,
    "=": 4, "==": 4, "!=": 4, "<": 4, ">": 4, "<=": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, ":": 8, "=~": 8, "~~": 8,
}  # fmt: skip
_TERNARY_LEVEL = 1
_UNARY_LEVEL = 7


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def error(self, what: str) -> ExpressionError:
        return ExpressionError(f"syntax error in $[{self.text}]: {what}")

    def parse(self) -> _Val:
        if not self.tokens:
            return _Val("str", s="")
        value = self.expr(_TERNARY_LEVEL)
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra[1]!r}")
        return value

    def expr(self, min_level: int) -> _Val:
        left = self.unary()
        while (tok := self.peek()) is not None and tok[0] == "op":
            op = tok[1]
            if op == "?" and min_level <= _TERNARY_LEVEL:
                self.pos += 1
                middle = self.expr(_TERNARY_LEVEL)
                if self.peek() != ("op", "::"):
                    raise self.error("'?' without '::'")
                self.pos += 1
                right = self.expr(_TERNARY_LEVEL + 1)
                left = _cond(left, middle, right)
                continue
            level = _BINARY_LEVEL.get(op)
            if level is None or level < min_level:
                break
            self.pos += 1
            left = _binary(op, left, self.expr(level + 1) if level < 8 else self.unary())
        return left

    def unary(self) -> _Val:
        tok = self.peek()
        if tok is None:
            raise self.error("missing operand")
        kind, text = tok
        if kind == "op" and text in ("!", "-"):
            self.pos += 1
            operand = self.expr(_UNARY_LEVEL + 1)
            return _compl(operand) if text == "!" else _negate(operand)
        if kind == "op" and text == "(":
            self.pos += 1
            value = self.expr(_TERNARY_LEVEL)
            if self.peek() != ("op", ")"):
                raise self.error("missing ')'")
            self.pos += 1
            return value
        if kind == "tok":
            self.pos += 1
            if self.peek() == ("op", "("):
                raise UnsupportedFeatureError(f"function call {text}() inside $[{self.text}]")
            if NUMERIC_TOKEN.match(text):
                return _Val("numstr", s=text)
            return _Val("str", s=text)
        raise self.error(f"unexpected {text!r}")


def _compare(op: str, a: _Val, b: _Val) -> _Val:
    if a.kind == "str" or b.kind == "str":
        x, y = _to_string(a), _to_string(b)
        c = (x > y) - (x < y)
    else:
        _to_number(a)
        _to_number(b)
        c = (a.n > b.n) - (a.n < b.n)
    result = {"=": c == 0, "==": c == 0, "!=": c != 0, "<": c < 0, ">": c > 0}.get(op)
    if result is None:
        result = c <= 0 if op == "<=" else c >= 0
    return _num(Decimal(int(result)))


def _arith(op: str, a: _Val, b: _Val) -> _Val:
    an, bn = _to_number(a), _to_number(b)
    if op == "+":
        return (
            _num(_CTX.add(a.n, b.n)) if an and bn else (a if an else b if bn else _num(Decimal(0)))
        )
    if op == "-":
        if an and bn:
            return _num(_CTX.subtract(a.n, b.n))
        return a if an else _num(-b.n) if bn else _num(Decimal(0))
    if not (an and bn):
        return _num(_INT_MAX if op == "/" and an else Decimal(0))
    if op == "*":
        return _num(_CTX.multiply(a.n, b.n))
    if b.n == 0:
        log.warning("division by zero in expression")
        return _num(_INT_MAX) if op == "/" else b
    if op == "/":
        return _num(_CTX.divide(a.n, b.n))
    return _num(_CTX.remainder(a.n, b.n))  # fmodl: sign of the dividend


def _regex(op: str, a: _Val, b: _Val) -> _Val:
    subject, pattern = _strip_quotes(_to_string(a)), _strip_quotes(_to_string(b))
    if op == "~~":
        return _make_str(subject + pattern)
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        log.warning("bad regular expression %r in expression: %s", pattern, exc)
        return _Val("str", s="")
    m = rx.match(subject) if op == ":" else rx.search(subject)
    if m:
        if rx.groups and m.group(1) is not None:
            return _make_str(m.group(1))
        return _num(Decimal(m.end() - m.start()))
    return _num(Decimal(0)) if rx.groups == 0 else _Val("str", s="")


def _binary(op: str, a: _Val, b: _Val) -> _Val:
    if op in ("|", "||"):
        return b if _zero_or_null(a) else a
    if op in ("&", "&&"):
        return _num(Decimal(0)) if _zero_or_null(a) or _zero_or_null(b) else a
    if op in (":", "=~", "~~"):
        return _regex(op, a, b)
    if _BINARY_LEVEL[op] == 4:
        return _compare(op, a, b)
    return _arith(op, a, b)


def _cond(a: _Val, b: _Val, c: _Val) -> _Val:
    if a.kind == "str":
        return b if a.s not in ("", '""', "0") else c
    _to_number(a)
    return b if a.n != 0 else c


def _compl(a: _Val) -> _Val:
    # op_compl(): a string's truth is atoi() of it
    truth = a.n != 0 if a.kind == "num" else a.s not in ("", "0") and _atoi(a.s) != 0
    return _num(Decimal(int(not truth)))


def _negate(a: _Val) -> _Val:
    return _num(-a.n) if _to_number(a) else _num(Decimal(0))


def evaluate_expression(text: str) -> str:
    """Evaluate the inside of `$[...]` (already substituted). Raises
    ExpressionError on a syntax error."""
    value = _Parser(text).parse()
    return format_number(value.n) if value.kind == "num" else value.s
