"""Walk callcontrol's own dialplan (dialplan/extensions.conf) with the API the
simulator uses: substitute, split, Set/Goto/GotoIf, stop at the first
application that needs a channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcontrol.sim.dialplan import (
    Dialplan,
    DictScope,
    load_dialplan,
    parse_gotoif,
    parse_set,
    split_args,
    substitute,
)

CONTRACT = Path(__file__).resolve().parents[2] / "dialplan" / "extensions.conf"
PASSIVE = {"NoOp", "Verbose", "Answer"}


@pytest.fixture(scope="module")
def plan() -> Dialplan:
    assert CONTRACT.exists(), f"{CONTRACT} is missing"
    return load_dialplan(CONTRACT)


class Channel:
    def __init__(self, plan: Dialplan, context: str, exten: str, **variables: str) -> None:
        self.plan, self.context, self.exten, self.priority = plan, context, exten, 1
        self.vars = dict(variables)
        self.callerid = "+4930123456"

    def scope(self) -> DictScope:
        builtins = {"EXTEN": self.exten, "CONTEXT": self.context, "PRIORITY": str(self.priority)}
        return DictScope(
            {**self.vars, **builtins},
            self.plan.globals,
            {"CALLERID": lambda arg: self.callerid},
        )

    def run_until_blocking(self) -> tuple[str, list[str]]:
        """Execute until an application with effects; return it and its args."""
        for _ in range(100):
            step = self.plan.find_step(self.context, self.exten, self.priority)
            assert step is not None, (self.context, self.exten, self.priority)
            data = substitute(step.raw_args, self.scope())
            if step.app == "Set":
                name, value = parse_set(data)
                self.vars[name] = value
            elif step.app in ("Goto", "GotoIf"):
                target = data if step.app == "Goto" else parse_gotoif(data).taken()
                if target is not None:
                    self.goto(target)
                    continue
            elif step.app not in PASSIVE:
                return step.app, split_args(data)
            self.priority += 1
        raise AssertionError("dialplan loop")

    def goto(self, target: str) -> None:
        self.context, self.exten, self.priority = self.plan.resolve_goto(
            self.context, self.exten, target, current_priority=self.priority
        )


@pytest.mark.parametrize("did", ["18005551234", "+18005551234"])
def test_inbound_reaches_the_dialin_agi(plan: Dialplan, did: str) -> None:
    chan = Channel(plan, "cc-inbound", did)
    assert chan.run_until_blocking() == ("AGI", ["agi://127.0.0.1:4573/dialin", "pbx1"])
    assert chan.exten == "18005551234"


@pytest.mark.parametrize("did", ["1800abc", "+1800abc", "1234567890123456"])
def test_inbound_refuses_bad_dids_unanswered(plan: Dialplan, did: str) -> None:
    chan = Channel(plan, "cc-inbound", did)
    assert chan.run_until_blocking() == ("Hangup", ["1"])


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("conference", ("ConfBridge", ["cc-42", "cc_bridge", "cc_organizer", "cc_attendee_menu"])),
        ("waiting", ("Playback", ["conf-waitforleader"])),
        ("goodbye", ("Playback", ["vm-goodbye"])),
        ("bogus", ("Playback", ["vm-goodbye"])),
        ("", ("Playback", ["vm-goodbye"])),
    ],
)
def test_route_after_agi(plan: Dialplan, route: str, expected: tuple[str, list[str]]) -> None:
    chan = Channel(plan, "cc-inbound", "18005551234")
    chan.run_until_blocking()  # AGI
    chan.vars.update(
        AGISTATUS="SUCCESS", CC_ROUTE=route, CC_CONF="cc-42", CC_USER_PROFILE="cc_organizer"
    )
    chan.priority += 1
    assert chan.run_until_blocking() == expected


def test_agi_failure_says_no_service(plan: Dialplan) -> None:
    chan = Channel(plan, "cc-callme", "s", CC_LEG_ID="leg-1")
    assert chan.run_until_blocking() == ("AGI", ["agi://127.0.0.1:4573/callme", "pbx1"])
    chan.vars["AGISTATUS"] = "FAILURE"
    chan.priority += 1
    assert chan.run_until_blocking() == ("Playback", ["ss-noservice"])


def test_values_are_filtered_before_applications(plan: Dialplan) -> None:
    chan = Channel(plan, "cc-waiting", "s", CC_MOH_CLASS="cc_hold_beeps,x/../etc")
    assert chan.run_until_blocking() == ("Playback", ["conf-waitforleader"])
    chan.priority += 1
    assert chan.run_until_blocking() == ("MusicOnHold", ["cc_hold_beepsxetc", "7200"])
    conf = Channel(plan, "cc-conference", "s", CC_CONF="cc-7;rm", CC_MENU="")
    assert conf.run_until_blocking() == (
        "ConfBridge",
        ["cc-7rm", "cc_bridge", "cc_attendee", "cc_attendee_menu"],
    )
    # A kick continues to the goodbye with the result copied...
    conf.vars["CONFBRIDGE_RESULT"] = "KICKED"
    conf.priority += 1
    assert conf.run_until_blocking() == ("Playback", ["vm-goodbye"])
    assert conf.vars["CC_CONF_RESULT"] == "KICKED"
    # ...a refusal ends the dialplan inside ConfBridge: the h extension copies it.
    refused = Channel(plan, "cc-conference", "h", CONFBRIDGE_RESULT="FAILED")
    step = plan.find_step("cc-conference", "h", 1)
    assert step is not None and step.app == "Set"
    refused.vars.update([parse_set(substitute(step.raw_args, refused.scope()))])
    assert refused.vars["CC_CONF_RESULT"] == "FAILED"
    assert plan.find_step("cc-conference", "h", 2) is None
