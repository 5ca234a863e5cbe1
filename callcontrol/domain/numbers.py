"""Phone numbers as the core sees them: strict E.164 strings and the DIDs we answer.

Parsing loose user input (national formats, spaces) is the edge's job; the core only
accepts numbers already in E.164 form and says so loudly otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from callcontrol.domain.errors import InvalidNumber
from callcontrol.domain.sessions import require_country

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

# ITU-T E.164 country calling codes of one and two digits; every other code has three.
# Calling codes are prefix-free, so this set decides the length unambiguously.
_ONE_DIGIT = frozenset({"1", "7"})
_TWO_DIGIT_CODES = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58"
    " 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
)
_TWO_DIGITS = frozenset(_TWO_DIGIT_CODES.split())


class NumberKind(StrEnum):
    TOLL = "toll"
    TOLL_FREE = "toll_free"


def is_e164(number: str) -> bool:
    """True for a strict E.164 number: ``+``, a non-zero digit, then 6 to 14 digits."""
    return _E164.fullmatch(number) is not None


def require_e164(number: str) -> str:
    """``number`` unchanged if it is strict E.164, else ``InvalidNumber``."""
    if _E164.fullmatch(number) is None:
        raise InvalidNumber(number)
    return number


def calling_code(number: str) -> str:
    """The country calling code of an E.164 number, without the ``+`` ("33" for France)."""
    digits = require_e164(number)[1:]
    if digits[0] in _ONE_DIGIT:
        return digits[0]
    if digits[:2] in _TWO_DIGITS:
        return digits[:2]
    return digits[:3]


@dataclass(frozen=True, slots=True)
class Did:
    """A number callcontrol answers: its E.164 form, ISO country and kind."""

    e164: str
    country: str
    kind: NumberKind

    def __post_init__(self) -> None:
        require_e164(self.e164)
        require_country(self.country)
