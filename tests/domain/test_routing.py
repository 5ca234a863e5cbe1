"""Dial-in and Call Me routing decisions and the ConfBridge names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callcontrol.domain.accounts import Account, Plan
from callcontrol.domain.errors import OwnershipMismatch
from callcontrol.domain.legs import LegRole
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.routing import (
    Route,
    RouteKind,
    RouteReason,
    bridge_profile,
    conference_name,
    menu,
    moh_class,
    route_callme,
    route_dialin,
    session_of_conference,
    user_profile,
)
from callcontrol.domain.sessions import AudioMode, AudioOptions, Session, SessionState

from .builders import T0, account, cancelled_session, ended_session, session, started_session

TOLL_FR = Did("+33170000000", "FR", NumberKind.TOLL)
TOLLFREE_FR = Did("+33800000000", "FR", NumberKind.TOLL_FREE)
TOLLFREE_DE = Did("+498000000000", "DE", NumberKind.TOLL_FREE)
JOINED = session(state=SessionState.ORGANIZER_JOINED, organizer_joined_at_ms=T0)
LIMITED = account(spend_limit=Decimal("100"))

R, K = RouteReason, RouteKind


def reject(reason: RouteReason) -> Route:
    return Route(K.REJECT, reason)


CONFERENCE = Route(K.CONFERENCE, R.SESSION_STARTED)
WAITING = Route(K.WAITING, R.SESSION_NOT_STARTED)


@pytest.mark.parametrize(
    ("did", "s", "acc", "organizer", "spent", "expected"),
    [
        pytest.param(TOLL_FR, started_session(), account(), False, 0, CONFERENCE, id="started"),
        pytest.param(TOLL_FR, session(), account(), False, 0, WAITING, id="scheduled waits"),
        pytest.param(TOLL_FR, JOINED, account(), False, 0, WAITING, id="organizer joined waits"),
        pytest.param(
            TOLL_FR,
            session(),
            account(),
            True,
            0,
            Route(K.WAITING, R.SESSION_NOT_STARTED, marks_organizer_joined=True),
            id="rule5: organizer first in marks organizer_joined",
        ),
        pytest.param(
            TOLL_FR, JOINED, account(), True, 0, WAITING, id="organizer again: already marked"
        ),
        pytest.param(
            TOLL_FR, started_session(), account(), True, 0, CONFERENCE, id="organizer started"
        ),
        pytest.param(TOLL_FR, None, account(), False, 0, reject(R.UNKNOWN_CODE), id="bad code"),
        pytest.param(TOLL_FR, session(), None, False, 0, reject(R.UNKNOWN_ACCOUNT), id="orphan"),
        pytest.param(
            TOLL_FR, ended_session(), account(), False, 0, reject(R.SESSION_ENDED), id="ended"
        ),
        pytest.param(
            TOLL_FR,
            cancelled_session(),
            account(),
            True,
            0,
            reject(R.SESSION_CANCELLED),
            id="cancelled, even for the organizer",
        ),
        pytest.param(
            TOLL_FR,
            started_session(audio=AudioOptions(audio_mode=AudioMode.CUSTOM)),
            account(),
            False,
            0,
            reject(R.CUSTOM_AUDIO),
            id="custom audio has no phone bridge",
        ),
        pytest.param(
            TOLL_FR,
            started_session(audio=AudioOptions(audio_mode=AudioMode.COMPUTER_ONLY)),
            account(),
            False,
            0,
            reject(R.COMPUTER_ONLY),
            id="computer-only audio",
        ),
        pytest.param(
            TOLL_FR,
            started_session(),
            account(plan=Plan.FREE),
            False,
            0,
            reject(R.PLAN_WITHOUT_PHONE),
            id="rule1: free plan has no dial-in",
        ),
        pytest.param(
            TOLLFREE_FR, started_session(), account(), False, 0, CONFERENCE, id="rule7: toll-free"
        ),
        pytest.param(
            TOLLFREE_FR,
            started_session(),
            account(advanced_audio=False),
            False,
            0,
            reject(R.ADDON_MISSING),
            id="rule3: toll-free without the add-on",
        ),
        pytest.param(
            TOLLFREE_DE,
            started_session(),
            account(),
            False,
            0,
            reject(R.TOLLFREE_NOT_ALLOWED),
            id="rule7: toll-free country not picked for the session",
        ),
        pytest.param(
            TOLLFREE_FR,
            started_session(tollfree_countries=frozenset()),
            account(),
            False,
            0,
            reject(R.TOLLFREE_NOT_ALLOWED),
            id="rule8: session cleared of toll-free countries",
        ),
        pytest.param(
            TOLLFREE_FR,
            started_session(),
            LIMITED,
            False,
            100,
            reject(R.SPEND_LIMIT_REACHED),
            id="rule2: spend limit stops billed legs",
        ),
        pytest.param(
            TOLLFREE_FR, started_session(), LIMITED, False, 99, CONFERENCE, id="under the limit"
        ),
        pytest.param(
            TOLL_FR,
            started_session(),
            LIMITED,
            False,
            500,
            CONFERENCE,
            id="rule1: toll ignores limit",
        ),
    ],
)
def test_route_dialin(
    did: Did,
    s: Session | None,
    acc: Account | None,
    organizer: bool,
    spent: int,
    expected: Route,
) -> None:
    assert route_dialin(did, s, acc, as_organizer=organizer, spent=Decimal(spent)) == expected


def test_route_defaults() -> None:
    assert route_dialin(TOLL_FR, session(), account()) == WAITING


def test_session_of_another_account_raises() -> None:
    with pytest.raises(OwnershipMismatch) as caught:
        route_dialin(TOLL_FR, session(), account(account_id="acc-2"))
    assert caught.value.code == "ownership_mismatch"


@pytest.mark.parametrize(
    ("s", "acc", "spent", "expected"),
    [
        pytest.param(started_session(), account(), 0, CONFERENCE, id="rule2: call me joins"),
        pytest.param(session(), account(), 0, WAITING, id="call me before the start waits"),
        pytest.param(
            started_session(),
            account(advanced_audio=False),
            0,
            reject(R.ADDON_MISSING),
            id="rule3: call me needs the add-on",
        ),
        pytest.param(
            started_session(tollfree_countries=frozenset()),
            account(),
            0,
            CONFERENCE,
            id="call me does not depend on toll-free countries",
        ),
        pytest.param(
            started_session(), LIMITED, 100, reject(R.SPEND_LIMIT_REACHED), id="call me limit"
        ),
    ],
)
def test_route_callme(s: Session, acc: Account, spent: int, expected: Route) -> None:
    assert route_callme(s, acc, spent=Decimal(spent)) == expected


def test_route_callme_for_the_organizer_marks_joined() -> None:
    assert route_callme(session(), account(), as_organizer=True).marks_organizer_joined


@pytest.mark.parametrize(
    ("role", "audio", "profile"),
    [
        pytest.param(LegRole.ORGANIZER, AudioOptions(), "cc_organizer", id="organizer"),
        pytest.param(
            LegRole.ORGANIZER,
            AudioOptions(entry_exit_chimes=False, join_muted=True),
            "cc_organizer_quiet",
            id="organizer quiet, never joins muted",
        ),
        pytest.param(LegRole.ATTENDEE, AudioOptions(), "cc_attendee", id="attendee"),
        pytest.param(
            LegRole.ATTENDEE,
            AudioOptions(entry_exit_chimes=False),
            "cc_attendee_quiet",
            id="attendee quiet",
        ),
        pytest.param(
            LegRole.ATTENDEE, AudioOptions(join_muted=True), "cc_attendee_muted", id="muted"
        ),
        pytest.param(
            LegRole.ATTENDEE,
            AudioOptions(join_muted=True, entry_exit_chimes=False),
            "cc_attendee_muted_quiet",
            id="muted quiet",
        ),
        pytest.param(
            LegRole.PANELIST, AudioOptions(join_muted=True), "cc_attendee", id="panelist speaks"
        ),
    ],
)
def test_user_profile(role: LegRole, audio: AudioOptions, profile: str) -> None:
    assert user_profile(role, audio) == profile


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (LegRole.ORGANIZER, "cc_organizer_menu"),
        (LegRole.PANELIST, "cc_attendee_menu"),
        (LegRole.ATTENDEE, "cc_attendee_menu"),
    ],
)
def test_menu(role: LegRole, name: str) -> None:
    assert menu(role) == name


def test_bridge_moh_and_conference_names() -> None:
    assert bridge_profile(AudioOptions()) == "cc_bridge"
    assert moh_class(AudioOptions(hold_beeps=True)) == "cc_hold_beeps"
    assert moh_class(AudioOptions(hold_beeps=False)) == "cc_hold"
    assert conference_name("ses-1") == "cc-ses-1"
    assert session_of_conference(conference_name("ses-1")) == "ses-1"
    assert session_of_conference("cc-") is None
    assert session_of_conference("sales-room") is None
