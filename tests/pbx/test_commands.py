"""AMI actions are built from checked values: nothing unchecked reaches a dial string."""

import pytest

from callcontrol.domain.errors import DomainError
from callcontrol.pbx import commands


def test_callme_originate_dials_a_checked_number_with_the_leg_as_channel_id() -> None:
    action = commands.originate_callme(
        "PJSIP/{e164}@trunk", "+4930123456", "leg-1", "+18005550100", 30000
    )
    assert action["Channel"] == "PJSIP/+4930123456@trunk"
    assert action["ChannelId"] == "leg-1"
    assert action["Variable"] == "CC_LEG_ID=leg-1"
    assert (action["Context"], action["Exten"], action["Priority"]) == ("cc-callme", "s", "1")
    assert action["Async"] == "true"


@pytest.mark.parametrize(
    "number",
    [
        "4930123456",
        "+49301234&Local/1@evil",
        "+4930 123456",
        "+0301234567",
        "+4930123456789012",
        "",
    ],
)
def test_anything_but_e164_never_reaches_the_dial_string(number: str) -> None:
    with pytest.raises(DomainError):
        commands.dial_string("PJSIP/{e164}@trunk", number)


def test_conference_controls() -> None:
    assert commands.mute("cc-s1", "participants", True) == {
        "Action": "ConfbridgeMute", "Conference": "cc-s1", "Channel": "participants"}  # fmt: skip
    assert commands.mute("cc-s1", "PJSIP/trunk-1", False)["Action"] == "ConfbridgeUnmute"
    assert commands.lock("cc-s1", False) == {"Action": "ConfbridgeUnlock", "Conference": "cc-s1"}
    assert (
        commands.redirect("PJSIP/trunk-1", commands.IDLE_DROP_CONTEXT)["Context"] == "cc-idle-drop"
    )
    assert commands.hangup("PJSIP/trunk-1")["Cause"] == "16"
    assert commands.no_conferences("ConfbridgeListRooms refused: No active conferences.")
