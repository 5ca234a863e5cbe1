"""manager.conf's event filter, applied by the simulator as production Asterisk applies it."""

from pathlib import Path

import pytest

from callcontrol.sim.event_filter import EventFilterError, load_event_filter

MANAGER_CONF = Path(__file__).resolve().parents[2] / "config" / "asterisk" / "manager.conf"


def test_our_manager_conf_keeps_unused_events_off_the_wire() -> None:
    f = load_event_filter(MANAGER_CONF, "callcontrol")
    assert not f.allows("Cdr", [])
    assert not f.allows("DTMFBegin", [])
    assert not f.allows("VarSet", [("Variable", "TMP_DID"), ("Value", "1")])
    assert not f.allows("VarSet", [("Variable", "CONFBRIDGE_RESULT")])
    assert f.allows("VarSet", [("Variable", "CC_ROUTE"), ("Value", "waiting")])
    assert f.allows("Newchannel", [])
    assert f.allows("ConfbridgeJoin", [])


def test_another_user_has_no_filter() -> None:
    f = load_event_filter(MANAGER_CONF, "nobody")
    assert f.allows("Cdr", [])


def test_an_unsupported_filter_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    conf = tmp_path / "manager.conf"
    conf.write_text("[callcontrol]\nsecret = x\neventfilter = !Event: Cdr\n")
    with pytest.raises(EventFilterError, match=r"manager.conf:3: unsupported eventfilter"):
        load_event_filter(conf, "callcontrol")
