"""Loading extensions.conf: the recording dialplan, the contract dialplan, and
the load-time errors that name file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcontrol.sim.dialplan import (
    ConfigSyntaxError,
    DialplanError,
    UnsupportedFeatureError,
    load_dialplan,
)

RECORDING = Path("/work/shared/traces/asterisk-22/recording-dialplan/extensions.conf")
CONTRACT = Path(__file__).resolve().parents[2] / "dialplan" / "extensions.conf"


def write(tmp_path: Path, text: str, name: str = "extensions.conf") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_recording_dialplan_contexts_and_steps() -> None:
    plan = load_dialplan(RECORDING)
    assert list(plan.contexts) == [
        "from-trunk", "from-trunk-agi", "caller-sim", "caller-sim-silent", "agi-test",
        "lab-pstn", "callme-join", "waiting", "conf-join", "caller-sim-code",
    ]  # fmt: skip
    assert plan.general["static"] == "yes"
    assert plan.globals == {}
    ext = plan.match("from-trunk", "18005551234")
    assert ext is not None and ext.name == "_X."
    assert [s.app for s in ext.steps.values()] == [
        "NoOp", "Answer", "Read", "Verbose", "GotoIf", "ConfBridge", "Verbose", "Hangup",
        "Playback", "Hangup",
    ]  # fmt: skip
    read = ext.priority(3)
    assert read is not None and read.raw_args == "CODE,,9,,2,10"
    assert read.file == str(RECORDING) and read.line == 13
    assert ext.label("nocode") == 9
    step = ext.priority(9)
    assert step is not None and (step.label, step.app, step.raw_args) == (
        "nocode",
        "Playback",
        "vm-goodbye",
    )
    assert ext.priority(11) is None
    conf = ext.priority(6)
    assert conf is not None and conf.raw_args == "${CODE},lab_bridge,lab_user,lab_menu"


def test_recording_dialplan_lab_pstn_literal_numbers_beat_the_pattern() -> None:
    plan = load_dialplan(RECORDING)
    busy = plan.find_step("lab-pstn", "+493012340486", 3)
    assert busy is not None and (busy.app, busy.raw_args) == ("Busy", "20")
    other = plan.match("lab-pstn", "+493012345678")
    assert other is not None and other.name == "_+X."
    assert plan.match("caller-sim", "s") is not None
    assert plan.match("caller-sim", "t") is None
    assert plan.match("no-such-context", "s") is None


def test_contract_dialplan_loads() -> None:
    assert CONTRACT.exists(), f"{CONTRACT} is missing"
    plan = load_dialplan(CONTRACT)
    for ctx in ("cc-inbound", "cc-callme", "cc-waiting", "cc-conference", "cc-goodbye"):
        assert ctx in plan.contexts, ctx
    assert "CC_AGI_HOST" in plan.globals
    assert plan.match("cc-conference", "s", 1) is not None
    assert plan.match("cc-idle-drop", "s", 1) is not None


def test_comments_escapes_labels_hints_and_priorities(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[globals]
HOST=127.0.0.1 ; trailing comment
AGI_URL=agi://${HOST}:4573
;-- a block
comment --;
[ctx]
exten => 100,hint,PJSIP/100
exten => 100,1(start),NoOp(semi\\;colon) ; real comment
 same => n,Verbose(1,x)
 same => n+2(later),Wait(1)
exten => 101,1,noop()
exten => 101,s+1,Hangup
exten => 102,1,Set(A=1)
exten => 102,start2,NoOp
""".replace("start2", "1+1"),
    )
    plan = load_dialplan(path)
    assert plan.globals == {"HOST": "127.0.0.1", "AGI_URL": "agi://127.0.0.1:4573"}
    ext = plan.match("ctx", "100")
    assert ext is not None
    assert sorted(ext.steps) == [1, 2, 5]
    assert ext.labels == {"start": 1, "later": 5}
    assert ext.steps[1].raw_args == "semi;colon"
    e101 = plan.match("ctx", "101")
    assert e101 is not None and e101.steps[1].app == "NoOp"  # case-insensitive app names
    assert e101.steps[2].app == "Hangup" and e101.steps[2].raw_args == ""
    e102 = plan.match("ctx", "102")
    assert e102 is not None and sorted(e102.steps) == [1, 2]


def test_include_directive_is_relative_and_contexts_merge(tmp_path: Path) -> None:
    sub = tmp_path / "conf.d"
    sub.mkdir()
    write(sub, "[b]\nexten => s,1,Hangup()\n[a]\nexten => s,2,Hangup()\n", "more.conf")
    path = write(tmp_path, '[a]\nexten => s,1,NoOp()\ninclude => b\n#include "conf.d/more.conf"\n')
    plan = load_dialplan(path)
    ext = plan.match("a", "s")
    assert ext is not None and sorted(ext.steps) == [1, 2]
    assert ext.steps[2].file == str(sub / "more.conf")
    assert [i.context for i in plan.contexts["a"].includes] == ["b"]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("[c]\nexten => s,1,Answer()\n same => n,Foo(bar)\n", 3, "unknown application 'Foo'"),
        ("[c]\nexten => s,1,MixMonitor(x.wav)\n", 2, "MixMonitor"),
        ("[c]\nexten => s,n,Answer()\n", 2, "can't use 'n' priority"),
        ("[c]\nexten => s,0,Answer()\n", 2, "invalid priority 0"),
        ("[c]\nexten => s,x1,Answer()\n", 2, "invalid priority/label 'x1'"),
        ("[c]\nexten => s,1,Answer()\nexten => s,1,Hangup()\n", 3, "duplicate priority 1"),
        ("[c]\nexten => s,1(a),Answer()\nexten => s,2(a),Hangup()\n", 3, "duplicate label"),
        ("[c]\nexten => s,1,Answer()\ninclude => nowhere\n", 3, "missing context [nowhere]"),
        ("[c]\nexten => s,1,NoOp(${SHELL(ls)})\n", 2, "unknown dialplan function SHELL()"),
        ("[c]\nexten => s,1,NoOp(${X)\n", 2, "missing '}'"),
        ("[c]\nexten => s,1,NoOp($[1 + 2)\n", 2, "missing ']'"),
        ("[c]\nexten => s,1,NoOp(x\n", 2, "no closing parenthesis"),
        ("[c]\nexten => s,1,ExecIf($[1]?Bogus(x))\n", 2, "unknown application 'Bogus'"),
        ("[c]\nsame => n,Answer()\n", 2, "'same' with no previous exten"),
        ("[c]\nexten => s,1,\n", 2, "missing application"),
        ("[c]\nfoo => bar\n", 2, "unknown directive"),
        ("exten => s,1,Answer()\n", 1, "before any [section]"),
        ("[c]\nexten => s\n", 2, "invalid priority/label ''"),
        ("[c]\nexten => _[12,1,Answer()\n", 2, "unterminated '['"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DialplanError) as info:
        load_dialplan(path)
    assert info.value.file == str(path)
    assert info.value.line == line
    assert needle in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_unsupported_features_are_refused(tmp_path: Path) -> None:
    for text in (
        "[c]\nexten => 100/555,1,Answer()\n",
        "[c]\nswitch => Realtime/foo\n",
        "[c]\ninclude => other,09:00-17:00,*,*,*\n[other]\n",
        "#exec /bin/echo\n",
    ):
        with pytest.raises(UnsupportedFeatureError):
            load_dialplan(write(tmp_path, text))


def test_known_apps_can_be_narrowed(tmp_path: Path) -> None:
    path = write(tmp_path, "[c]\nexten => s,1,Dial(PJSIP/x)\n")
    assert load_dialplan(path).find_step("c", "s", 1) is not None
    with pytest.raises(DialplanError, match="unknown application 'Dial'"):
        load_dialplan(path, known_apps=frozenset({"Answer"}))


def test_missing_include_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[c]\n#include missing.conf\n")
    with pytest.raises(ConfigSyntaxError, match="not found"):
        load_dialplan(path)
    ok = write(tmp_path, "[c]\n#tryinclude missing.conf\nexten => s,1,Answer()\n", "ok.conf")
    assert load_dialplan(ok).match("c", "s") is not None
