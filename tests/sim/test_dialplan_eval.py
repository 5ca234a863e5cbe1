"""Substitution, functions, $[...] expressions, argument splitting and Goto
targets, evaluated the way Asterisk 22 does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol.sim.dialplan import (
    DictScope,
    GotoError,
    SubstitutionError,
    UnsupportedFeatureError,
    callerid_merge,
    check_condition,
    evaluate_expression,
    load_dialplan,
    parse_execif,
    parse_gotoif,
    parse_set,
    split_args,
    substitute,
)

RECORDING = Path("/work/shared/traces/asterisk-22/recording-dialplan/extensions.conf")


def sub(text: str, **variables: str) -> str:
    return substitute(text, DictScope(variables))


# --- the recording dialplan's own expressions -------------------------------


@pytest.mark.parametrize(("code", "taken"), [("", "nocode"), ("123456789", None)])
def test_recording_gotoif_on_empty_code(code: str, taken: str | None) -> None:
    plan = load_dialplan(RECORDING)
    step = plan.find_step("from-trunk", "18005551234", 5)
    assert step is not None and step.app == "GotoIf"
    branches = parse_gotoif(sub(step.raw_args, CODE=code))
    assert branches.taken() == taken
    if taken:
        assert plan.resolve_goto("from-trunk", "18005551234", taken) == (
            "from-trunk",
            "18005551234",
            9,
        )


@pytest.mark.parametrize(("profile", "expected"), [("", "lab_user"), ("lab_admin", "lab_admin")])
def test_recording_conf_profile_default(profile: str, expected: str) -> None:
    plan = load_dialplan(RECORDING)
    step = plan.find_step("conf-join", "555000222", 3)
    assert step is not None and step.app == "ConfBridge"
    scope = DictScope({"EXTEN": "555000222", "CONF_PROFILE": profile})
    args = split_args(substitute(step.raw_args, scope))
    assert args == ["555000222", "lab_bridge", expected, "lab_menu"]


def test_recording_e164_goto_strips_plus() -> None:
    plan = load_dialplan(RECORDING)
    step = plan.find_step("from-trunk", "+18005551234", 1)
    assert step is not None and step.app == "Goto"
    target = sub(step.raw_args, EXTEN="+18005551234")
    assert target == "18005551234,1"
    assert plan.resolve_goto("from-trunk", "+18005551234", target) == (
        "from-trunk",
        "18005551234",
        1,
    )


def test_recording_verbose_and_wait_defaults() -> None:
    plan = load_dialplan(RECORDING)
    scope = DictScope(
        {"EXTEN": "18005551234", "CODE": "123", "READSTATUS": "OK"},
        functions={"CALLERID": lambda arg: {"num": "+4930123", "all": '"A" <+4930123>'}[arg]},
    )
    verbose = plan.find_step("from-trunk", "18005551234", 4)
    assert verbose is not None
    assert split_args(substitute(verbose.raw_args, scope)) == [
        "1",
        "DID 18005551234: caller +4930123 entered code '123' (READSTATUS=OK)",
    ]
    wait = plan.find_step("caller-sim-code", "s", 4)
    assert wait is not None
    assert sub(wait.raw_args) == "600"
    assert sub(wait.raw_args, STAY="10") == "10"
    confirm = plan.find_step("callme-join", "555000111", 5)
    assert confirm is not None
    assert parse_gotoif(sub(confirm.raw_args, CONFIRM="1")).taken() is None
    assert parse_gotoif(sub(confirm.raw_args, CONFIRM="")).taken() == "noconfirm"


# --- ${...} ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${EXTEN:1}", "18005551234"),
        ("${EXTEN:-4}", "1234"),
        ("${EXTEN:1:3}", "180"),
        ("${EXTEN:-4:2}", "12"),
        ("${EXTEN:2:-2}", "80055512"),
        ("${EXTEN:99}", ""),
        ("${EXTEN:-99}", "+18005551234"),
        ("${EXTEN::3}", "+18005551234"),  # sscanf fails on the empty offset
        ("${UNSET}", ""),
        ("a$b$", "a$b$"),
        ("${V${N}}", "nested"),
        ("${LEN(${EXTEN})}", "12"),
        ("${TOUPPER(abc)}${TOLOWER(DEF)}", "ABCdef"),
        ("${ISNULL()}${ISNULL(x)}${EXISTS()}${EXISTS(x)}", "1001"),
        ("${IF(1?yes:no)}|${IF(0?yes:no)}|${IF( 0 ? yes : no )}|${IF(1?:no)}", "yes|no|no|"),
    ],
)
def test_variables_and_functions(text: str, expected: str) -> None:
    scope = DictScope({"EXTEN": "+18005551234", "N": "1", "V1": "nested"})
    assert substitute(text, scope) == expected


def test_function_usage_errors_are_reported() -> None:
    for text in ("${IF(?yes:no)}", "${IF(1)}", "${FILTER(0-9)}", "${CUT(V,-)}", "${REGEX(x)}"):
        with pytest.raises(SubstitutionError):
            sub(text, V="a")


def test_globals_and_channel_functions() -> None:
    scope = DictScope(
        {"A": "chan"},
        {"A": "global", "G": "g"},
        {"CALLERID": lambda arg: callerid_merge("Ann", "+4930") if arg == "all" else "+4930"},
    )
    assert substitute("${A}/${G}/${CALLERID(all)}/${CALLERID(num):1}", scope) == (
        'chan/g/"Ann" <+4930>/4930'
    )
    with pytest.raises(SubstitutionError, match="unknown dialplan function CHANNEL"):
        substitute("${CHANNEL(name)}", scope)


def test_values_are_not_substituted_again() -> None:
    assert sub("${X}", X="${Y}$[1+1]", Y="no") == "${Y}$[1+1]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${FILTER(0-9,+49 (30) 1234-5)}", "493012345"),
        ("${FILTER(0-9+,+49 (30))}", "+4930"),
        ("${FILTER(a-zA-Z0-9_,cc-123_Ab!)}", "cc123_Ab"),
        ("${FILTER(\\x41-\\x43,ABCD)}", "ABC"),
        ("${FILTER(0-9,)}", ""),
        ("${FILTER(0-9,1,2,3)}", "123"),  # the string is the whole remainder
        ("${FILTER(a-z,${V})}", "ccroom"),
    ],
)
def test_filter_ranges(text: str, expected: str) -> None:
    assert sub(text, V="cc-room-7") == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("2", "b"), ("2-", "b-c-d"), ("-2", "a-b"), ("1&3", "a-c"), ("2-3", "b-c"), ("9", "")],
)
def test_cut(spec: str, expected: str) -> None:
    assert sub(f"${{CUT(V,-,{spec})}}", V="a-b-c-d") == expected
    assert sub("${CUT(V,\\,,2)}", V="x,y") == "y"


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("${FIELDQTY(V,-)}", "123456789#-#", "2"),
        ("${FIELDQTY(V,-)}", "a--b-", "4"),
        ("${FIELDQTY(V,-)}", "", "0"),
        ("${FIELDQTY(V,-)}", "abc", "1"),
        ("${FIELDQTY(V)}", "a-b", "1"),
        ("${FIELDQTY(V,|)}", "x|y|z", "3"),
    ],
)
def test_fieldqty(text: str, value: str, expected: str) -> None:
    assert sub(text, V=value) == expected


def test_regex_function() -> None:
    assert sub('${REGEX("^[0-9]+$" ${V})}', V="123") == "1"
    assert sub('${REGEX("^[0-9]+$" ${V})}', V="12a") == "0"


# --- $[...] ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"" = ""', "1"),
        ('"123" = ""', "0"),
        ('"1" != "1"', "0"),
        ('"1" = 1', "0"),  # quoted is a string, quotes included
        ("1 = 01", "1"),  # both numeric: numeric comparison
        ("3 > 10", "0"),
        ('"3" > "10"', "1"),  # strings compare as strings
        ("abc < abd", "1"),
        ("1+2*3", "7"),
        ("(1+2)*3", "9"),
        ("7/2", "3.5"),
        ("1/3", "0.333333333333333333"),
        ("10 % 3", "1"),
        ("-10 % 3", "-1"),
        ("1/0", "2147483647"),
        ("-5 + 2", "-3"),
        ("5 | 0", "5"),
        ("0 | x", "x"),
        ("1 & 0", "0"),
        ("2 & 3", "2"),
        ("!0", "1"),
        ("!abc", "1"),  # atoi("abc") is 0
        ("1 ? yes :: no", "yes"),
        ('"" ? yes :: no', "no"),
        ("1 = 2 ? a :: b", "b"),
        ("abc =~ b", "1"),
        ('abc =~ "(b)c"', "b"),
        ('abc : "x(.)"', ""),
        ("abc : x", "0"),
        ("a ~~ b", "ab"),
        ("", ""),
        ("100000000000000000000 + 1", "1e+20"),
        ("abc + 1", "1"),  # a non-number is dropped
    ],
)
def test_expressions(expr: str, expected: str) -> None:
    assert evaluate_expression(expr) == expected
    assert sub(f"$[{expr}]") == expected


def test_expression_with_substitution_and_syntax_error() -> None:
    assert sub("$[${A} + ${B}]", A="2", B="40") == "42"
    assert sub('$["${A}" = "x y"]', A="x y") == "1"
    assert sub("$[${A} = 5]", A="") == "0"  # Asterisk logs the syntax error, yields 0
    assert sub("$[$[1+1] * 2]") == "4"
    with pytest.raises(UnsupportedFeatureError):
        evaluate_expression("LEN(abc)")


# --- argument splitting and app argument parsers -----------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("a", ["a"]),
        ("a,", ["a", ""]),
        (",", ["", ""]),
        ("a,b(c,d),e", ["a", "b(c,d)", "e"]),
        ("a,[b,c],d", ["a", "[b,c]", "d"]),
        ('a,"b,c",d', ["a", "b,c", "d"]),
        ("a\\,b,c", ["a,b", "c"]),
        ("CODE,,9,,2,10", ["CODE", "", "9", "", "2", "10"]),
    ],
)
def test_split_args(raw: str, expected: list[str]) -> None:
    assert split_args(raw) == expected


def test_split_args_raw_and_limited() -> None:
    assert split_args('a,"b,c"', remove_chars=False) == ["a", '"b,c"']
    assert split_args("a\\,b,c", remove_chars=False) == ["a\\,b", "c"]
    assert split_args("a,b,c,d", max_args=2) == ["a", "b,c,d"]
    assert split_args("a,b,", max_args=3) == ["a", "b", ""]
    assert split_args("a,b,c", max_args=1) == ["a,b,c"]


@given(
    st.text(alphabet="ab,| ", min_size=1, max_size=20),
    st.sampled_from([",", "|"]),
    st.one_of(st.none(), st.integers(1, 4)),
)
def test_plain_arguments_split_as_the_character_walk_does(
    raw: str, delim: str, max_args: int | None
) -> None:
    # a trailing "()" sends the text down the walk without moving any split
    walked = split_args(raw + "()", delim, max_args=max_args)
    assert split_args(raw, delim, max_args=max_args) == [*walked[:-1], walked[-1][:-2]]


_SPECIAL = '\\,"()[]'


def _escape(arg: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in arg)


@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=6)
)
def test_split_args_round_trip(args: list[str]) -> None:
    if args == [""]:
        assert split_args("") == []
        return
    assert split_args(",".join(_escape(a) for a in args)) == args


@given(st.text(max_size=40).filter(lambda t: "$" not in t))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert sub(text) == text


@given(st.text(max_size=20), st.integers(-25, 25), st.integers(0, 25))
def test_substring_matches_python_slicing(value: str, offset: int, length: int) -> None:
    start = max(0, len(value) + offset) if offset < 0 else offset
    assert sub(f"${{V:{offset}:{length}}}", V=value) == value[start : start + length]
    assert sub("${V}", V=value) == value


def test_check_condition() -> None:
    assert [check_condition(v) for v in ("", "0", "1", " 2x", "abc", "-0", "00")] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def test_gotoif_execif_set_parsers() -> None:
    b = parse_gotoif("0?a,s,1:b,s,2")
    assert (b.condition, b.if_true, b.if_false, b.taken()) == ("0", "a,s,1", "b,s,2", "b,s,2")
    assert parse_gotoif("1?:x").taken() is None
    assert parse_gotoif("0?x").taken() is None
    cond, true_call, false_call = parse_execif('1?Set(A=b:c):Verbose(1,"x:y")')
    assert cond == "1"
    assert true_call is not None and (true_call.app, true_call.args) == ("Set", "A=b:c")
    assert false_call is not None and (false_call.app, false_call.args) == ("Verbose", '1,"x:y"')
    assert parse_set("CC_CONF=cc-1,2") == ("CC_CONF", "cc-1,2")
    with pytest.raises(ValueError, match="requires an '='"):
        parse_set("NOVALUE")


# --- Goto targets --------------------------------------------------------------


def test_goto_targets(tmp_path: Path) -> None:
    path = tmp_path / "extensions.conf"
    path.write_text(
        "[a]\nexten => s,1,NoOp()\n same => n(here),NoOp()\n"
        "[b]\nexten => _X.,1,NoOp()\n same => n,NoOp()\n same => n(there),NoOp()\n",
        encoding="utf-8",
    )
    plan = load_dialplan(path)
    assert plan.resolve_goto("a", "s", "2") == ("a", "s", 2)
    assert plan.resolve_goto("a", "s", "here") == ("a", "s", 2)
    assert plan.resolve_goto("a", "s", "123,1") == ("a", "123", 1)
    assert plan.resolve_goto("a", "s", "b,555,there") == ("b", "555", 3)  # label via pattern
    assert plan.resolve_goto("a", "s", ",,here") == ("a", "s", 2)  # empty = current
    assert plan.resolve_goto("a", "s", "+2", current_priority=1) == ("a", "s", 3)
    assert plan.resolve_goto("a", "s", "b,1,-1", current_priority=3) == ("b", "1", 2)
    assert plan.resolve_goto("a", "s", "nowhere,x,1") == ("nowhere", "x", 1)
    with pytest.raises(GotoError, match="label"):
        plan.resolve_goto("a", "s", "b,555,here")
    with pytest.raises(GotoError):
        plan.resolve_goto("a", "s", "+1")
    with pytest.raises(GotoError):
        plan.resolve_goto("a", "s", "0")
