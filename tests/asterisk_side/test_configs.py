"""Checks of the real Asterisk side: dialplan, ConfBridge, manager, docker.

Asterisk config files allow duplicate keys and `=>`, so they are read with a
small reader here instead of configparser. Every test states one contract fact
from docs/asterisk.md and fails when a file drifts from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = ROOT / "dialplan"
AST_CONF = ROOT / "config" / "asterisk"
PROMPTS = ROOT / "config" / "prompts"
DOCS = ROOT / "docs"
DOCKER = ROOT / "docker"

# asterisklint messages that are correct Asterisk and may be ignored, with why.
# Empty: the dialplan lints clean. Add "CODE: reason" entries only with a note
# in docs/asterisk.md.
ASTERISKLINT_ALLOWED: dict[str, str] = {}

# What the simulator's dialplan interpreter implements (docs/asterisk.md).
SIM_APPS = {
    "Answer", "NoOp", "Verbose", "Set", "Goto", "GotoIf", "Gosub", "Return", "Read",
    "Playback", "Background", "MusicOnHold", "Wait", "AGI", "ConfBridge", "Hangup",
    "Busy", "Congestion", "Ringing", "Progress", "SendDTMF",
}  # fmt: skip
SIM_FUNCTIONS = {"FILTER", "IF", "LEN", "CALLERID"}
SIM_BUILTIN_VARS = {"EXTEN", "CHANNEL", "UNIQUEID", "AGISTATUS", "CONFBRIDGE_RESULT", "READSTATUS"}

USER_PROFILES = (
    "cc_organizer",
    "cc_organizer_quiet",
    "cc_attendee",
    "cc_attendee_quiet",
    "cc_attendee_muted",
    "cc_attendee_muted_quiet",
)
MENUS = ("cc_organizer_menu", "cc_attendee_menu")
MOH_CLASSES = ("cc_hold", "cc_hold_beeps")
AMI_ACTIONS = (
    "Login", "Logoff", "Ping", "Events", "Originate", "Redirect", "Hangup", "Setvar",
    "Getvar", "ConfbridgeMute", "ConfbridgeUnmute", "ConfbridgeKick", "ConfbridgeLock",
    "ConfbridgeUnlock", "ConfbridgeList", "ConfbridgeListRooms", "CoreShowChannels",
)  # fmt: skip
# Manager write classes each action needs (Asterisk 20/22 registrations).
WRITE_CLASSES_ALLOWED = {"call", "originate", "reporting"}
READ_CLASSES_ALLOWED = {"system", "call", "dialplan"}
CALLER_INPUT = re.compile(
    r"\$\{(EXTEN|CALLERID|CONNECTEDLINE|REDIRECTING|DNID|RDNIS|PJSIP_HEADER|SIP_HEADER)\b"
)


# ------------------------------------------------------------ config reader
@dataclass
class Entry:
    key: str
    value: str
    line: int


@dataclass
class Section:
    name: str
    options: str
    entries: list[Entry] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        return [e.value for e in self.entries if e.key == key]

    def one(self, key: str) -> str:
        found = self.values(key)
        assert len(found) == 1, f"[{self.name}] has {len(found)} '{key}' entries"
        return found[0]


def _strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            out.append(line[i : i + 2])
            i += 2
            continue
        if line[i] == ";":
            break
        out.append(line[i])
        i += 1
    return "".join(out).strip()


def read_conf(path: Path) -> list[Section]:
    """Sections in file order; duplicate section names and keys are kept."""
    sections: list[Section] = []
    in_block_comment = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if in_block_comment:
            if "--;" in raw:
                in_block_comment = False
            continue
        if raw.lstrip().startswith(";--"):
            in_block_comment = "--;" not in raw.split(";--", 1)[1]
            continue
        line = _strip_comment(raw)
        if not line:
            continue
        header = re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line)
        if header:
            sections.append(Section(header.group(1).strip(), header.group(2) or ""))
            continue
        if line.startswith("#"):
            raise AssertionError(f"{path.name}:{number}: unexpected directive {line!r}")
        match = re.match(r"([^=]+?)\s*=>?\s*(.*)$", line)
        if not match or not sections:
            raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
        sections[-1].entries.append(Entry(match.group(1).strip(), match.group(2).strip(), number))
    return sections


def section_map(path: Path) -> dict[str, list[Section]]:
    out: dict[str, list[Section]] = {}
    for section in read_conf(path):
        out.setdefault(section.name, []).append(section)
    return out


def only(path: Path, name: str) -> Section:
    found = section_map(path).get(name, [])
    assert len(found) == 1, f"{path.name}: expected one [{name}], found {len(found)}"
    return found[0]


# ------------------------------------------------------------ dialplan model
@dataclass(frozen=True)
class Step:
    context: str
    exten: str
    priority: str
    app: str
    args: str
    line: int


def _split_call(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"(\w+)\((.*)\)", text.strip())
    if match:
        return match.group(1), match.group(2)
    assert re.fullmatch(r"\w+", text.strip()), f"bad application call {text!r}"
    return text.strip(), ""


def dialplan_steps() -> list[Step]:
    steps: list[Step] = []
    for section in read_conf(DIALPLAN / "extensions.conf"):
        if section.name in ("general", "globals"):
            continue
        exten = ""
        for entry in section.entries:
            if entry.key == "exten":
                exten, priority, call = entry.value.split(",", 2)
            elif entry.key == "same":
                priority, call = entry.value.split(",", 1)
            else:
                raise AssertionError(f"line {entry.line}: unexpected key {entry.key}")
            app, args = _split_call(call)
            steps.append(Step(section.name, exten, priority, app, args, entry.line))
    return steps


def dialplan_globals() -> dict[str, str]:
    return {e.key: e.value for e in only(DIALPLAN / "extensions.conf", "globals").entries}


def contexts() -> set[str]:
    return {s.name for s in read_conf(DIALPLAN / "extensions.conf")} - {"general", "globals"}


def _matching_brace(text: str, start: int) -> int:
    """Index of the '}' closing the '${' at start."""
    depth = 0
    for i in range(start, len(text)):
        if text.startswith("${", i) or text.startswith("$[", i):
            depth += 1
        elif text[i] in "}]" and depth:
            depth -= 1
            if depth == 0:
                return i
    raise AssertionError(f"unbalanced braces in {text!r}")


def strip_calls(text: str, functions: tuple[str, ...]) -> str:
    """Remove ${F(...)} for the given functions and every $[...] expression."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("$[", i) or any(text.startswith(f"${{{f}(", i) for f in functions):
            i = _matching_brace(text, i) + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def set_values(steps: list[Step]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for step in steps:
        if step.app == "Set":
            name, value = step.args.split("=", 1)
            values.setdefault(name, []).append(value)
    return values


# ------------------------------------------------------------ asterisklint
def asterisklint_path() -> str:
    candidate = Path(sys.executable).with_name("asterisklint")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("asterisklint")
    if not found:
        pytest.fail("asterisklint is not installed (pip install asterisklint)")
    return found


TEST_PHONES = ROOT / "tests" / "asterisk" / "cc-test-callers.conf"


@pytest.mark.parametrize(
    ("source", "header"),
    [
        (DIALPLAN / "extensions.conf", ""),
        # the real-Asterisk suite's phones, included after [general] and [globals] there
        (TEST_PHONES, "[general]\n\n[globals]\n\n"),
    ],
    ids=["dialplan", "test-phones"],
)
def test_asterisklint_reports_nothing_on_the_dialplan(
    tmp_path: Path, source: Path, header: str
) -> None:
    # Lint a copy without func_odbc.conf so nothing outside dialplan/ is read.
    copy = tmp_path / "extensions.conf"
    copy.write_text(header + source.read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "ALINT_IGNORE": ",".join(sorted(ASTERISKLINT_ALLOWED))}
    result = subprocess.run(
        [asterisklint_path(), "dialplan-check", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    messages = [line for line in output.splitlines() if re.search(r"\b[EW]_[A-Z_]+\b", line)]
    assert not messages, "asterisklint:\n" + "\n".join(messages)
    assert result.returncode == 0, f"asterisklint exited {result.returncode}:\n{output}"


# ------------------------------------------------------------ dialplan contract
def test_every_context_of_the_contract_exists() -> None:
    doc = (DOCS / "asterisk.md").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\[(cc-[a-z-]+)\]", doc))
    assert wanted >= {"cc-inbound", "cc-callme", "cc-waiting", "cc-conference", "cc-goodbye"}
    test_phones = set(re.findall(r"^\[(cc-[a-z-]+)\]", TEST_PHONES.read_text(), re.MULTILINE))
    assert test_phones == {"cc-test-caller", "cc-test-callee"}
    assert wanted <= contexts() | test_phones


def test_every_context_is_documented_in_docs_asterisk_md() -> None:
    doc = (DOCS / "asterisk.md").read_text(encoding="utf-8")
    missing = [c for c in sorted(contexts()) if f"[{c}]" not in doc]
    assert not missing, f"contexts missing from docs/asterisk.md: {missing}"


def test_globals_name_the_agi_host_and_node() -> None:
    values = dialplan_globals()
    assert values["CC_AGI_HOST"] == "127.0.0.1:4573"
    assert values["CC_NODE"]


def test_inbound_answers_both_did_forms_and_calls_the_dialin_hook() -> None:
    steps = [s for s in dialplan_steps() if s.context == "cc-inbound"]
    assert {s.exten for s in steps} == {"_X.", "_+X."}
    agi = [s.args for s in steps if s.app == "AGI"]
    assert agi == ["agi://${CC_AGI_HOST}/dialin,${FILTER(${CC_NAME_CHARS},${CC_NODE})}"]
    assert any(s.app == "Answer" for s in steps)


def test_callme_calls_the_callme_hook() -> None:
    agi = [s.args for s in dialplan_steps() if s.context == "cc-callme" and s.app == "AGI"]
    assert agi == ["agi://${CC_AGI_HOST}/callme,${FILTER(${CC_NAME_CHARS},${CC_NODE})}"]


def test_agi_failure_goes_to_an_unavailable_goodbye() -> None:
    for context in ("cc-inbound", "cc-callme"):
        steps = [s for s in dialplan_steps() if s.context == context]
        checks = [s for s in steps if s.app == "GotoIf" and "AGISTATUS" in s.args]
        assert checks, context
        assert any(s.app == "Set" and s.args == "CC_PROMPT=ss-noservice" for s in steps)


def test_route_values_lead_to_the_contract_contexts() -> None:
    steps = [s for s in dialplan_steps() if s.context == "cc-route"]
    targets = {s.args.split("?", 1)[1] for s in steps if s.app == "GotoIf"}
    assert targets == {"cc-conference,s,1", "cc-waiting,s,1"}
    assert steps[-1].app == "Goto" and steps[-1].args == "cc-goodbye,s,1"


def test_conference_passes_the_four_confbridge_arguments() -> None:
    steps = [s for s in dialplan_steps() if s.context == "cc-conference"]
    bridge = [s for s in steps if s.app == "ConfBridge"]
    assert len(bridge) == 1 and len(bridge[0].args.split(",")) == 4
    values = set_values(steps)
    sources = {
        "TMP_CONF": "CC_CONF",
        "TMP_BRIDGE": "CC_BRIDGE_PROFILE",
        "TMP_USER": "CC_USER_PROFILE",
        "TMP_MENU": "CC_MENU",
    }
    for tmp, source in sources.items():
        assert values[tmp][0] == f"${{FILTER(${{CC_NAME_CHARS}},${{{source}}})}}"
    assert bridge[0].args == "${TMP_CONF},${TMP_BRIDGE},${TMP_USER},${TMP_MENU}"


def test_every_jump_target_exists() -> None:
    steps = dialplan_steps()
    known = {(s.context, s.exten) for s in steps}
    for step in steps:
        if step.app not in ("Goto", "GotoIf"):
            continue
        target = step.args.split("?", 1)[1] if step.app == "GotoIf" else step.args
        for branch in target.split(":"):
            parts = branch.split(",")
            if len(parts) == 3:
                assert (parts[0], parts[1]) in known, f"line {step.line}: {branch}"


def test_only_applications_and_functions_the_simulator_runs() -> None:
    steps = dialplan_steps()
    apps = {s.app for s in steps}
    assert apps <= SIM_APPS, f"not in the simulator subset: {apps - SIM_APPS}"
    assert not apps & {"Gosub", "Background"}, "avoid Gosub/Background"
    text = " ".join(s.args for s in steps)
    functions = set(re.findall(r"\$\{([A-Z_]+)\(", text))
    assert functions <= SIM_FUNCTIONS, functions - SIM_FUNCTIONS


def test_no_application_can_place_or_run_anything() -> None:
    apps = {s.app for s in dialplan_steps()}
    forbidden = {"Dial", "Originate", "System", "TrySystem", "Exec", "ExecIf", "Queue"}
    assert not apps & forbidden


def test_caller_input_reaches_applications_only_through_filter_or_len() -> None:
    for step in dialplan_steps():
        raw = strip_calls(step.args, ("FILTER", "LEN"))
        assert not CALLER_INPUT.search(raw), f"line {step.line}: raw caller input in {step.app}"


def test_values_reaching_sensitive_applications_are_filtered() -> None:
    steps = dialplan_steps()
    globals_ = set(dialplan_globals())
    values = set_values(steps)

    def filtered(name: str) -> bool:
        if name in globals_:
            return True
        if not name.startswith("TMP_") or name not in values:
            return False
        for value in values[name]:
            rest = strip_calls(value, ("FILTER", "LEN"))
            if value.startswith("${IF("):
                rest = re.sub(r"^\$\{IF\((.*)\)\}$", r"\1", rest).replace("?", ":")
            refs = set(re.findall(r"\$\{(\w+)\}", rest))
            if any(ref != name and not ref.startswith("TMP_") for ref in refs):
                return False
        return True

    for step in steps:
        if step.app not in ("AGI", "ConfBridge", "Playback", "MusicOnHold", "Goto", "Hangup"):
            continue
        raw = strip_calls(step.args, ("FILTER", "LEN"))
        if raw.startswith("${IF("):
            raw = raw[len("${IF(") : -2]
        for name in re.findall(r"\$\{(\w+)", raw):
            assert filtered(name), f"line {step.line}: ${{{name}}} reaches {step.app} unfiltered"


def test_filter_character_sets_cannot_be_read_as_ranges() -> None:
    chars = dialplan_globals()["CC_NAME_CHARS"]
    assert chars.startswith("-") and chars.count("-") == 1
    assert not set(chars) & set(",&/.|()$\"' ")


def test_scratch_variables_are_not_cc_variables() -> None:
    # Only CC_* pass the manager.conf VarSet filter: keep scratch values off the wire.
    names = set(set_values(dialplan_steps()))
    for name in names:
        assert name.startswith(("CC_", "TMP_")), name


def test_keypad_dialplan_exec_ends_without_hangup() -> None:
    steps = [s for s in dialplan_steps() if s.context == "cc-keypad"]
    assert steps and steps[0].exten == "hand"
    assert steps[0].args.startswith("CC_HAND=")
    assert not any(s.app in ("Hangup", "Goto", "GotoIf") for s in steps)


# ------------------------------------------------------------ prompts
def custom_prompts() -> set[str]:
    return {p.stem for p in (PROMPTS / "en").glob("*.txt")}


def stock_sounds() -> set[str]:
    lines = (PROMPTS / "stock-sounds.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def resolve_prompt(expr: str, values: dict[str, list[str]], seen: frozenset[str]) -> set[str]:
    conditional = re.fullmatch(r"\$\{IF\(\$\[.*\]\?([^:]*):(.*)\)\}", expr)
    if conditional:
        return resolve_prompt(conditional.group(1), values, seen) | resolve_prompt(
            conditional.group(2), values, seen
        )
    reference = re.fullmatch(r"\$\{(?:FILTER\(\$\{\w+\},)?\$\{(\w+)\}\)?\}|\$\{(\w+)\}", expr)
    if reference:
        name = reference.group(1) or reference.group(2)
        if name in seen:
            return set()
        assert name in values, f"prompt variable {name} is never set in the dialplan"
        found: set[str] = set()
        for value in values[name]:
            found |= resolve_prompt(value, values, seen | {name})
        return found
    assert "$" not in expr, f"cannot resolve prompt expression {expr!r}"
    return {expr}


def dialplan_prompts() -> set[str]:
    steps = dialplan_steps()
    values = set_values(steps)
    prompts: set[str] = set()
    for step in steps:
        if step.app == "Playback":
            prompts |= resolve_prompt(step.args, values, frozenset())
    # CC_PROMPT values the dialplan sets itself end up in Playback via TMP_PROMPT.
    for value in values.get("CC_PROMPT", []):
        prompts |= resolve_prompt(value, values, frozenset())
    return prompts


def menu_prompts() -> set[str]:
    prompts: set[str] = set()
    for name in MENUS:
        for entry in only(DIALPLAN / "confbridge.conf", name).entries:
            match = re.fullmatch(r"playback(?:_and_continue)?\((.*)\)", entry.value)
            if match:
                prompts |= set(match.group(1).split("&"))
    return prompts


def test_every_prompt_is_stock_or_generated() -> None:
    prompts = dialplan_prompts() | menu_prompts()
    assert {"vm-goodbye", "ss-noservice", "cc-not-started", "cc-hand-raised"} <= prompts
    unknown = prompts - stock_sounds() - custom_prompts()
    assert not unknown, f"prompts neither stock nor in config/prompts/en: {sorted(unknown)}"


def test_custom_prompts_are_named_cc_and_documented() -> None:
    doc = (DOCS / "asterisk.md").read_text(encoding="utf-8")
    for name in custom_prompts():
        assert name.startswith("cc-"), name
        assert name in doc, f"{name} is not described in docs/asterisk.md"
        assert (PROMPTS / "en" / f"{name}.txt").read_text(encoding="utf-8").strip()


def test_no_audio_is_committed_under_config_prompts() -> None:
    audio = {".wav", ".ulaw", ".alaw", ".gsm", ".sln", ".sln16", ".g722", ".mp3"}
    assert not [p for p in PROMPTS.rglob("*") if p.suffix in audio]


@pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
)
def test_generate_sh_makes_8khz_mono_prompts_and_hold_beeps(tmp_path: Path) -> None:
    sounds, moh = tmp_path / "sounds", tmp_path / "moh"
    subprocess.run(
        ["sh", str(PROMPTS / "generate.sh"), str(sounds), str(moh)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in custom_prompts() | {"hold-beeps"}:
        folder = moh if name == "hold-beeps" else sounds
        with wave.open(str(folder / f"{name}.wav")) as audio:
            assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (
                8000,
                1,
                2,
            )
            frames = audio.getnframes()
        assert frames > 0
        assert (folder / f"{name}.ulaw").stat().st_size == frames  # one byte a sample


def test_generate_sh_refuses_a_missing_target() -> None:
    result = subprocess.run(
        ["sh", str(PROMPTS / "generate.sh")], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "usage" in result.stderr


# ------------------------------------------------------------ confbridge.conf
def test_bridge_user_and_menu_profiles_exist_with_their_types() -> None:
    conf = DIALPLAN / "confbridge.conf"
    assert only(conf, "cc_bridge").one("type") == "bridge"
    for name in USER_PROFILES:
        assert only(conf, name).one("type") == "user"
    for name in MENUS:
        assert only(conf, name).one("type") == "menu"


def test_user_profiles_follow_their_names() -> None:
    conf = DIALPLAN / "confbridge.conf"
    for name in USER_PROFILES:
        profile = only(conf, name)
        organizer = name.startswith("cc_organizer")
        assert profile.one("admin") == ("yes" if organizer else "no"), name
        assert profile.one("marked") == ("yes" if organizer else "no"), name
        assert profile.one("quiet") == ("yes" if name.endswith("_quiet") else "no"), name
        assert profile.one("startmuted") == ("yes" if "_muted" in name else "no"), name
        assert profile.one("wait_marked") == "no", name
        assert profile.one("end_marked") == "no", name


def test_menu_dialplan_exec_targets_exist() -> None:
    known = {(s.context, s.exten) for s in dialplan_steps()}
    for name in MENUS:
        for entry in only(DIALPLAN / "confbridge.conf", name).entries:
            match = re.fullmatch(r"dialplan_exec\(([^,]+),([^,]+),(\d+)\)", entry.value)
            if match:
                assert (match.group(1), match.group(2)) in known, entry.value


def keypad_rows() -> list[tuple[str, str, str]]:
    """(key, who, menu action) from the table in docs/keypad.md."""
    rows = []
    for line in (DOCS / "keypad.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`[0-9*#]+`", cells[0]):
            rows.append((cells[0].strip("`"), cells[1].lower(), cells[3].strip("`")))
    return rows


def test_every_keypad_key_is_in_the_menus_as_documented() -> None:
    rows = keypad_rows()
    keys = {key for key, _, _ in rows}
    assert {"*6", "*9", "*#", "*0", "*5", "*7"} <= keys
    conf = DIALPLAN / "confbridge.conf"
    organizer = {e.key: e.value for e in only(conf, "cc_organizer_menu").entries if e.key != "type"}
    attendee = {e.key: e.value for e in only(conf, "cc_attendee_menu").entries if e.key != "type"}
    for key, who, action in rows:
        assert who in ("everyone", "organizer"), who
        assert organizer.get(key, "").split("(")[0] == action.split("(")[0], key
        if who == "everyone":
            assert attendee.get(key, "").split("(")[0] == action.split("(")[0], key
        else:
            assert key not in attendee, f"{key} is organizer-only"
    assert set(organizer) == keys and set(attendee) <= keys


# ------------------------------------------------------------ manager.conf
def test_manager_listens_on_loopback_with_event_timestamps() -> None:
    general = only(AST_CONF / "manager.conf", "general")
    assert general.one("bindaddr") == "127.0.0.1"
    assert general.one("timestampevents") == "yes"
    assert general.one("webenabled") == "no"


def test_manager_user_has_only_the_classes_it_needs() -> None:
    user = only(AST_CONF / "manager.conf", "callcontrol")
    read = set(user.one("read").split(","))
    write = set(user.one("write").split(","))
    assert "all" not in read | write
    assert read <= READ_CLASSES_ALLOWED and write <= WRITE_CLASSES_ALLOWED
    assert {"call", "originate", "reporting"} <= write
    assert user.values("deny") == ["0.0.0.0/0.0.0.0"]
    assert user.values("permit") == ["127.0.0.1/255.255.255.255"]
    assert user.one("secret") == "CHANGE_ME_AMI_SECRET"  # replaced at deploy time
    entrypoint = (DOCKER / "asterisk" / "entrypoint.sh").read_text(encoding="utf-8")
    assert "placeholder=CHANGE_ME_AMI_SECRET" in entrypoint


def eventfilters() -> list[tuple[str, str]]:
    user = only(AST_CONF / "manager.conf", "callcontrol")
    return [(e.key, e.value) for e in user.entries if e.key.startswith("eventfilter")]


def test_manager_event_filters_drop_unused_events() -> None:
    filters = eventfilters()
    assert all("action(exclude)" in key for key, _ in filters), "exclude-only filters"
    names = {m.group(1) for key, _ in filters if (m := re.search(r"name\((\w+)\)", key))}
    assert {"Cdr", "CEL", "DeviceStateChange", "RTCPSent", "RTCPReceived", "VarSet"} <= names
    kept = {"Newchannel", "Hangup", "OriginateResponse", "ConfbridgeJoin", "FullyBooted"}
    assert not names & kept


def test_varset_filter_keeps_only_cc_variables() -> None:
    (pattern,) = [v for k, v in eventfilters() if "name(VarSet)" in k]
    regex = re.compile(pattern)  # POSIX ERE, same meaning in Python for this pattern
    for kept in ("CC_ROUTE", "CC_HAND", "CC_CONF_RESULT", "CC_LEG_ID"):
        assert not regex.search(kept), kept
    for dropped in ("READSTATUS", "AGISTATUS", "TMP_CONF", "CONFBRIDGE_RESULT", "BRIDGEPEER"):
        assert regex.search(dropped), dropped


def test_manager_documents_every_ami_action_the_service_sends() -> None:
    doc = (DOCS / "asterisk.md").read_text(encoding="utf-8")
    for action in AMI_ACTIONS:
        assert f"`{action}`" in doc, action


# ------------------------------------------------------------ other Asterisk configs
def test_asterisk_conf_is_not_live_dangerously() -> None:
    assert only(AST_CONF / "asterisk.conf", "options").one("live_dangerously") == "no"


def test_moh_classes_exist() -> None:
    for name in MOH_CLASSES:
        assert only(AST_CONF / "musiconhold.conf", name).one("mode") == "files"


def test_modules_conf_keeps_risky_modules_out() -> None:
    noload = set(only(AST_CONF / "modules.conf", "modules").values("noload"))
    assert {"chan_sip.so", "app_system.so", "func_shell.so", "chan_iax2.so"} <= noload


def test_trunk_delivers_into_cc_inbound_and_is_identified_by_ip() -> None:
    sections = section_map(AST_CONF / "pjsip.conf")
    trunk = {s.one("type"): s for s in sections["trunk"]}
    assert set(trunk) == {"endpoint", "aor", "identify"}
    assert trunk["endpoint"].one("context") == "cc-inbound"
    assert trunk["identify"].values("match")
    assert only(AST_CONF / "pjsip.conf", "global").one("endpoint_identifier_order") == "ip"
    assert "anonymous" not in sections
    contexts_used = {
        s.one("context") for ss in sections.values() for s in ss if s.values("context")
    }
    assert contexts_used == {"cc-inbound"}


def test_no_extensions_or_confbridge_conf_outside_dialplan() -> None:
    assert not (AST_CONF / "extensions.conf").exists()
    assert not (AST_CONF / "confbridge.conf").exists()


# ------------------------------------------------------------ docker
def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_postgres_asterisk_and_callcontrol() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "asterisk", "callcontrol"}
    assert services["postgres"]["image"] == "postgres:16"
    for name in ("postgres", "asterisk", "callcontrol"):
        assert "healthcheck" in services[name], name
    for name in ("asterisk", "callcontrol"):
        dockerfile = ROOT / services[name]["build"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        assert (DOCKER / services[name]["build"]["context"]).resolve() == ROOT
    # AMI and FastAGI stay on loopback: callcontrol shares Asterisk's namespace.
    assert services["callcontrol"]["network_mode"] == "service:asterisk"


def test_compose_mounts_the_repository_dialplan_into_etc_asterisk() -> None:
    volumes = compose()["services"]["asterisk"]["volumes"]
    mounts = {}
    for volume in volumes:
        source, target, *_ = volume.split(":")
        mounts[target] = source
    assert mounts["/etc/asterisk/extensions.conf"] == "../dialplan/extensions.conf"
    assert mounts["/etc/asterisk/confbridge.conf"] == "../dialplan/confbridge.conf"
    assert mounts["/opt/callcontrol/asterisk-config"] == "../config/asterisk"
    for target, source in mounts.items():
        if source.startswith(".."):
            assert (DOCKER / source).exists(), f"{source} for {target}"


def test_callcontrol_image_runs_the_service_from_python_311_slim() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "pip install ." in text
    assert 'CMD ["run", "--config", "/etc/callcontrol/callcontrol.toml"]' in text
    assert 'ENTRYPOINT ["callcontrol"]' in text
