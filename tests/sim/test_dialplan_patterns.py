"""Extension pattern matching and Asterisk's most-specific-first ordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcontrol.sim.dialplan import load_dialplan
from callcontrol.sim.dialplan.patterns import matches, sort_key

# ext_cmp() order: literals first, then position by position the smaller set,
# a pattern that goes on before one that ends, '.' after sets, '!' last.
SPECIFICITY = [
    "100",
    "_+X.",
    "_1XX",
    "_1X",
    "_1.",
    "_1!",
    "_[1-5]XX",
    "_NXX",
    "_ZXX",
    "_XXX",
    "_X.",
    "_X!",
    "_.",
    "_!",
]


def test_specificity_table() -> None:
    shuffled = list(reversed(SPECIFICITY))
    assert sorted(shuffled, key=sort_key) == SPECIFICITY


def test_sets_of_equal_size_tie_break_like_memcmp_of_the_masks() -> None:
    # same size and lowest char: Asterisk compares the bitmasks, the larger byte first
    assert sorted(["_[12]", "_[13]"], key=sort_key) == ["_[13]", "_[12]"]
    assert sorted(["_[1@]", "_[19]"], key=sort_key) == ["_[19]", "_[1@]"]


@pytest.mark.parametrize(
    ("pattern", "dialled", "expected"),
    [
        ("_X.", "5", False),  # '.' needs at least one more character
        ("_X.", "55", True),
        ("_X!", "5", True),  # '!' takes zero or more
        ("_!", "", True),
        ("_.", "", False),
        ("_+X.", "+18005551234", True),
        ("_+X.", "18005551234", False),
        ("_X.", "+18005551234", False),
        ("_NXX", "123", False),
        ("_NXX", "223", True),
        ("_ZXX", "023", False),
        ("_[1-5]", "5", True),
        ("_[1-5]", "6", False),
        ("_[a-c9]", "b", True),
        ("_[a-c9]", "9", True),
        ("_x.", "12", True),  # n, x, z are wildcards in either case
        ("_1-XXX", "1234", True),  # dashes are ignored in patterns...
        ("1-800", "1800", True),  # ...in literal names...
        ("1800", "1-800", True),  # ...and in what was dialled
        ("s", "s", True),
        ("s", "S", False),
        ("_1XX", "1234", False),
    ],
)
def test_match(pattern: str, dialled: str, expected: bool) -> None:
    assert matches(pattern, dialled) is expected


def _plan(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "extensions.conf"
    path.write_text(text, encoding="utf-8")
    return load_dialplan(path)


def test_most_specific_wins_regardless_of_file_order(tmp_path: Path) -> None:
    lines = "".join(f"exten => {name},1,NoOp({name})\n" for name in reversed(SPECIFICITY))
    plan = _plan(tmp_path, "[c]\n" + lines)
    table = {
        "100": "100",
        "123": "_1XX",
        "12": "_1X",
        "1234": "_1.",
        "1": "_1!",
        "323": "_[1-5]XX",
        "623": "_NXX",
        "123456": "_1.",
        "023": "_XXX",
        "0234": "_X.",
        "0": "_X!",
        "+49": "_+X.",
        "*": "_.",
        "": "_!",
    }
    for dialled, expected in table.items():
        ext = plan.match("c", dialled)
        assert ext is not None and ext.name == expected, dialled


def test_includes_are_searched_after_own_extensions_in_order(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        """
[a]
exten => _X.,1,NoOp(a)
include => b
include => c
[b]
exten => 123,1,NoOp(b)
exten => s,1,NoOp(b)
exten => _X.,2,NoOp(b2)
include => a
[c]
exten => s,1,NoOp(c)
exten => t,1,NoOp(c)
""",
    )
    own = plan.match("a", "123")
    assert own is not None and own.context == "a"  # an included literal does not beat own pattern
    s = plan.match("a", "s")
    assert s is not None and s.context == "b"  # first include wins
    t = plan.match("a", "t")
    assert t is not None and t.context == "c"
    assert plan.match("a", "u") is None  # include loop a -> b -> a terminates
    # with a priority, an extension lacking it is passed over (pbx_find_extension)
    step = plan.find_step("a", "12", 2)
    assert step is not None and step.raw_args == "b2"
    assert plan.find_step("a", "12", 3) is None
