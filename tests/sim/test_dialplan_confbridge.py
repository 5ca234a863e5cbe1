"""confbridge.conf: profiles, typed options with Asterisk defaults, menus."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcontrol.sim.dialplan import ConfBridgeConfigError, MenuAction, load_confbridge

RECORDING = Path("/work/shared/traces/asterisk-22/recording-dialplan/confbridge.conf")
CONTRACT = Path(__file__).resolve().parents[2] / "dialplan" / "confbridge.conf"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "confbridge.conf"
    path.write_text(text, encoding="utf-8")
    return path


def test_recording_confbridge_profiles() -> None:
    config = load_confbridge(RECORDING)
    assert set(config.bridge_profiles) == {"default_bridge", "lab_bridge"}
    assert set(config.user_profiles) == {"default_user", "lab_user", "lab_admin"}
    assert set(config.menus) == {"default_menu", "lab_menu"}
    assert config.bridge("lab_bridge").max_members == 50
    assert config.bridge("lab_bridge").record_conference is False
    admin, user = config.user("lab_admin"), config.user("lab_user")
    assert (admin.admin, admin.marked, admin.quiet, admin.end_marked) == (True, True, True, False)
    assert (user.admin, user.marked, user.startmuted, user.wait_marked) == (False,) * 4
    assert user.quiet is True and user.announce_join_leave is False
    assert admin.announce_only_user is False and user.announce_only_user is False
    assert config.user("default_user").flag("hear_own_join_sound") is True
    assert config.menu("lab_menu").entries == {
        "*6": (MenuAction("toggle_mute"),),
        "*2": (MenuAction("participant_count"),),
    }
    assert config.menu("lab_menu").actions("*9") is None
    with pytest.raises(ConfBridgeConfigError, match="no ConfBridge user profile named 'nope'"):
        config.user("nope")


def test_contract_confbridge_loads() -> None:
    assert CONTRACT.exists(), f"{CONTRACT} is missing"
    config = load_confbridge(CONTRACT)
    assert "cc_bridge" in config.bridge_profiles
    for name in ("cc_organizer", "cc_attendee", "cc_attendee_muted_quiet"):
        assert name in config.user_profiles, name
    assert config.user("cc_organizer").admin and config.user("cc_organizer").marked
    assert config.user("cc_attendee_muted").startmuted
    assert config.user("cc_attendee_quiet").quiet
    assert not config.user("cc_attendee").wait_marked
    assert {"cc_organizer_menu", "cc_attendee_menu"} <= set(config.menus)


def test_defaults_templates_and_menu_actions(tmp_path: Path) -> None:
    config = load_confbridge(
        write(
            tmp_path,
            """
[base](!)
type = user
quiet = yes
[attendee](base)
startmuted = yes
[organizer]
type = user
template = attendee
startmuted = no
admin = yes
music_on_hold_class = cc_hold
[m]
type = menu
*1 = toggle_mute, participant_count
*2 = dialplan_exec(cc-goodbye,s,1),leave_conference
*3 = playback(conf-usermenu&beep)
*4 = admin_toggle_conference_lock
*5 = admin_toggle_mute_participants
*1 = toggle_mute
""",
        )
    )
    attendee, organizer = config.user("attendee"), config.user("organizer")
    assert "base" not in config.user_profiles  # templates are not profiles
    assert attendee.quiet and attendee.startmuted and not attendee.admin
    assert organizer.quiet and not organizer.startmuted and organizer.admin
    assert organizer.music_on_hold_class == "cc_hold" and attendee.music_on_hold_class is None
    assert attendee.timeout == 0 and attendee.pin is None
    assert config.bridge("default_bridge").max_members == 0  # added, with Asterisk defaults
    menu = config.menu("m")
    assert menu.entries["*1"] == (MenuAction("toggle_mute"),)  # a repeated key overrides
    assert menu.entries["*2"] == (
        MenuAction("dialplan_exec", ("cc-goodbye", "s", "1")),
        MenuAction("leave_conference"),
    )
    assert menu.entries["*3"] == (MenuAction("playback", ("conf-usermenu&beep",)),)
    assert menu.entries["*5"] == (MenuAction("admin_toggle_mute_participants"),)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("[x]\ntype = room\n", 2, "unknown type 'room'"),
        ("[x]\nquiet = yes\n", 1, "has no 'type'"),
        ("[x]\ntype = user\nloud = yes\n", 3, "unknown user profile option 'loud'"),
        ("[x]\ntype = user\nadmin = maybe\n", 3, "admin must be yes or no"),
        ("[x]\ntype = bridge\nmax_members = lots\n", 3, "max_members must be a number"),
        ("[x]\ntype = bridge\nmixing_interval = 30\n", 3, "mixing_interval"),
        ("[x]\ntype = menu\n*6 = toggle_everything\n", 3, "unknown menu action"),
        ("[x]\ntype = menu\nhello = toggle_mute\n", 3, "not a DTMF sequence"),
        ("[x]\ntype = menu\n*7 = dialplan_exec(a,b)\n", 3, "dialplan_exec needs"),
        ("[x]\ntype = user\ntemplate = y\n", 3, "template 'y' is not defined"),
        ("[x]\ntype = user\n[x]\ntype = user\n", 3, "duplicate user profile"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfBridgeConfigError) as info:
        load_confbridge(path)
    assert (info.value.file, info.value.line) == (str(path), line)
    assert needle in str(info.value)


def test_bridge_sound_overrides(tmp_path: Path) -> None:
    config = load_confbridge(write(tmp_path, "[b]\ntype = bridge\nsound_join = my-join\n"))
    assert config.bridge("b").sound("join") == "my-join"
    assert config.bridge("b").sound("leave") is None
    assert config.bridge("b").language == "en"
