"""The business rules 1 to 8, each named in the test ids."""

from __future__ import annotations

from dataclasses import replace

import pytest

from callcontrol.domain.accounts import Account, BillingMode, Plan
from callcontrol.domain.errors import AddonRequired, InvalidValue, UnavailableTollFreeCountries
from callcontrol.domain.legs import Leg, LegKind, LegRole, LegState
from callcontrol.domain.rules import (
    IDLE_DROP_TIMEOUT_S,
    AddonRefusalCode,
    BillingOutcome,
    RefusalCode,
    add_addon,
    authorize_addon_change,
    billable_kind,
    billable_window,
    idle_drop_deadline_ms,
    is_idle_drop_due,
    may_take_leg,
    remove_addon,
    session_billing_outcome,
    tollfree_countries_for,
    validate_tollfree_countries,
)
from callcontrol.domain.sessions import Session, SessionState

from .builders import (
    MINUTE_MS,
    T0,
    account,
    cancelled_session,
    ended_leg,
    ended_session,
    leg,
    session,
    started_session,
)

# Rules 1 and 2 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "billed"),
    [
        pytest.param(LegKind.TOLL, False, id="rule1: toll callers pay their carrier"),
        pytest.param(LegKind.TOLLFREE, True, id="rule2: toll-free billed to the organizer"),
        pytest.param(LegKind.CALLME, True, id="rule2: call me billed to the organizer"),
    ],
)
def test_billable_kind(kind: LegKind, billed: bool) -> None:
    assert billable_kind(kind) is billed


# Rule 3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acc", "kind", "refusal"),
    [
        pytest.param(account(), LegKind.TOLL, None, id="rule3: paid plan takes toll legs"),
        pytest.param(account(), LegKind.TOLLFREE, None, id="rule3: add-on takes toll-free legs"),
        pytest.param(account(), LegKind.CALLME, None, id="rule3: add-on takes call me legs"),
        pytest.param(
            account(advanced_audio=False),
            LegKind.TOLL,
            None,
            id="rule3: toll legs need no add-on",
        ),
        pytest.param(
            account(advanced_audio=False),
            LegKind.TOLLFREE,
            RefusalCode.ADDON_MISSING,
            id="rule3: no add-on refuses toll-free",
        ),
        pytest.param(
            account(advanced_audio=False),
            LegKind.CALLME,
            RefusalCode.ADDON_MISSING,
            id="rule3: no add-on refuses call me",
        ),
        pytest.param(
            account(plan=Plan.FREE, advanced_audio=False),
            LegKind.TOLL,
            RefusalCode.PLAN_WITHOUT_PHONE,
            id="rule3: free plan refuses toll legs",
        ),
        pytest.param(
            account(plan=Plan.FREE),
            LegKind.TOLLFREE,
            RefusalCode.ADDON_MISSING,
            id="rule3: free plan refuses toll-free even with the add-on flag",
        ),
    ],
)
def test_may_take_leg(acc: Account, kind: LegKind, refusal: RefusalCode | None) -> None:
    result = may_take_leg(acc, kind)
    assert (None if result is None else result.code) == refusal
    if result is not None:
        assert result.message


# Rule 4 ---------------------------------------------------------------------------------

WAITING_SINCE = T0 + 10_000


def _waiting(role: LegRole = LegRole.ATTENDEE) -> Leg:
    return leg(
        role=role, state=LegState.WAITING, answered_at_ms=T0 + 5_000, waiting_at_ms=WAITING_SINCE
    )


FIVE_MINUTES_MS = 5 * MINUTE_MS


@pytest.mark.parametrize(
    ("x", "s", "deadline"),
    [
        pytest.param(
            _waiting(),
            session(),
            WAITING_SINCE + FIVE_MINUTES_MS,
            id="rule4: attendee waiting for a scheduled session dropped after 5 min",
        ),
        pytest.param(
            _waiting(LegRole.PANELIST),
            session(state=SessionState.ORGANIZER_JOINED, organizer_joined_at_ms=T0),
            WAITING_SINCE + FIVE_MINUTES_MS,
            id="rule4: organizer joined but not started still drops participants",
        ),
        pytest.param(
            _waiting(LegRole.ORGANIZER),
            session(),
            None,
            id="rule4: the organizer is never dropped",
        ),
        pytest.param(_waiting(), started_session(), None, id="rule4: started session no drop"),
        pytest.param(_waiting(), ended_session(), None, id="rule4: ended session no drop"),
        pytest.param(
            leg(state=LegState.IN_CONFERENCE, answered_at_ms=T0, conference_at_ms=T0),
            session(),
            None,
            id="rule4: a leg not waiting has no deadline",
        ),
        pytest.param(
            leg(state=LegState.WAITING, answered_at_ms=T0),
            session(),
            None,
            id="rule4: no waiting time recorded, no deadline",
        ),
    ],
)
def test_idle_drop_deadline(x: Leg, s: Session, deadline: int | None) -> None:
    assert idle_drop_deadline_ms(x, s) == deadline
    assert IDLE_DROP_TIMEOUT_S == 300


@pytest.mark.parametrize(
    ("at_ms", "due"),
    [
        pytest.param(WAITING_SINCE + FIVE_MINUTES_MS - 1, False, id="rule4: 1 ms before 5 min"),
        pytest.param(WAITING_SINCE + FIVE_MINUTES_MS, True, id="rule4: exactly 5 min"),
        pytest.param(WAITING_SINCE + FIVE_MINUTES_MS + 1, True, id="rule4: after 5 min"),
    ],
)
def test_is_idle_drop_due(at_ms: int, due: bool) -> None:
    assert is_idle_drop_due(_waiting(), session(), at_ms) is due
    assert is_idle_drop_due(_waiting(LegRole.ORGANIZER), session(), at_ms) is False


def test_idle_drop_timeout_is_configurable() -> None:
    assert idle_drop_deadline_ms(_waiting(), session(), timeout_s=30) == WAITING_SINCE + 30_000


# Rule 5 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "outcome"),
    [
        pytest.param(
            cancelled_session(),
            BillingOutcome.VOID_ALL,
            id="rule5: cancelled never started bills nothing",
        ),
        pytest.param(
            cancelled_session(organizer_joined=True),
            BillingOutcome.BILL_ALL,
            id="rule5: cancelled after the organizer joined bills everything",
        ),
        pytest.param(ended_session(), BillingOutcome.BILL_ALL, id="rule5: ended session bills"),
        pytest.param(started_session(), BillingOutcome.BILL_ALL, id="rule5: started bills"),
        pytest.param(session(), BillingOutcome.BILL_ALL, id="rule5: scheduled bills for now"),
    ],
)
def test_session_billing_outcome(s: Session, outcome: BillingOutcome) -> None:
    assert session_billing_outcome(s) is outcome


@pytest.mark.parametrize(
    ("x", "s", "window"),
    [
        pytest.param(
            ended_leg(90_000),
            ended_session(),
            (T0 + 1_000, T0 + 91_000),
            id="rule5: billed from answer to end",
        ),
        pytest.param(
            ended_leg(90_000, waiting_at_ms=T0 + 2_000, conference_at_ms=T0 + 60_000),
            ended_session(),
            (T0 + 1_000, T0 + 91_000),
            id="rule5: waiting for the start is billed",
        ),
        pytest.param(
            ended_leg(90_000),
            cancelled_session(organizer_joined=True),
            (T0 + 1_000, T0 + 91_000),
            id="rule5: participants who waited are billed when the organizer joined",
        ),
        pytest.param(
            ended_leg(90_000), cancelled_session(), None, id="rule5: void session bills no leg"
        ),
        pytest.param(
            ended_leg(90_000, kind=LegKind.TOLL),
            ended_session(),
            None,
            id="rule1: toll leg has no billable window",
        ),
        pytest.param(
            leg(state=LegState.ENDED, ended_at_ms=T0 + 5),
            ended_session(),
            None,
            id="rule5: unanswered leg bills nothing",
        ),
        pytest.param(
            leg(state=LegState.IN_CONFERENCE, answered_at_ms=T0, conference_at_ms=T0),
            started_session(),
            None,
            id="rule5: a leg still up has no window yet",
        ),
    ],
)
def test_billable_window(x: Leg, s: Session, window: tuple[int, int] | None) -> None:
    assert billable_window(x, s) == window


# Rule 6 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "user", "refusal"),
    [
        pytest.param(
            BillingMode.ONLINE, "user-billing", None, id="rule6: online billing contact may"
        ),
        pytest.param(
            BillingMode.ONLINE,
            "user-other",
            AddonRefusalCode.NOT_BILLING_CONTACT,
            id="rule6: online other user is refused",
        ),
        pytest.param(
            BillingMode.OFFLINE,
            "user-billing",
            AddonRefusalCode.CONTACT_SUPPORT,
            id="rule6: offline billing contact must contact support",
        ),
        pytest.param(
            BillingMode.OFFLINE,
            "user-other",
            AddonRefusalCode.CONTACT_SUPPORT,
            id="rule6: offline refusal comes before the billing contact check",
        ),
        pytest.param(
            BillingMode.INVOICE,
            "user-billing",
            AddonRefusalCode.CONTACT_ACCOUNT_MANAGER,
            id="rule6: invoice billing contact must contact the account manager",
        ),
        pytest.param(
            BillingMode.INVOICE,
            "user-other",
            AddonRefusalCode.CONTACT_ACCOUNT_MANAGER,
            id="rule6: invoice refusal comes before the billing contact check",
        ),
    ],
)
def test_authorize_addon_change(
    mode: BillingMode, user: str, refusal: AddonRefusalCode | None
) -> None:
    result = authorize_addon_change(account(billing_mode=mode), user)
    assert (None if result is None else result.code) == refusal
    if result is not None:
        assert result.message


# Rule 7 ---------------------------------------------------------------------------------

AVAILABLE = frozenset({"FR", "DE", "US", "GB"})


@pytest.mark.parametrize(
    ("requested", "result", "missing"),
    [
        pytest.param(["FR", "US"], {"FR", "US"}, None, id="rule7: countries from the offer"),
        pytest.param([], set(), None, id="rule7: no toll-free country is fine"),
        pytest.param(["FR", "FR"], {"FR"}, None, id="rule7: duplicates collapse"),
        pytest.param(["FR", "JP", "BR"], None, {"JP", "BR"}, id="rule7: every missing is named"),
    ],
)
def test_validate_tollfree_countries(
    requested: list[str], result: set[str] | None, missing: set[str] | None
) -> None:
    if missing is None:
        assert validate_tollfree_countries(requested, AVAILABLE) == frozenset(result or ())
    else:
        with pytest.raises(UnavailableTollFreeCountries) as caught:
            validate_tollfree_countries(requested, AVAILABLE)
        assert caught.value.countries == missing
        assert caught.value.code == "tollfree_country_unavailable"
        assert "BR, JP" in caught.value.message


def test_validate_tollfree_countries_rejects_malformed() -> None:
    with pytest.raises(InvalidValue):
        validate_tollfree_countries(["fr"], AVAILABLE)


def test_rule7_countries_need_the_addon() -> None:
    assert tollfree_countries_for(account(), ["FR"], AVAILABLE) == {"FR"}
    assert tollfree_countries_for(account(advanced_audio=False), [], AVAILABLE) == frozenset()
    with pytest.raises(AddonRequired) as caught:
        tollfree_countries_for(account(advanced_audio=False), ["FR"], AVAILABLE)
    assert caught.value.code == "addon_required"


# Rule 8 ---------------------------------------------------------------------------------


def test_rule8_removing_the_addon_clears_scheduled_sessions_only() -> None:
    scheduled = session(session_id="s-scheduled")
    joined = session(
        session_id="s-joined", state=SessionState.ORGANIZER_JOINED, organizer_joined_at_ms=T0
    )
    started = started_session(session_id="s-started")
    ended = ended_session(session_id="s-ended")
    other_account = session(session_id="s-other", account_id="acc-2")
    already_empty = session(session_id="s-empty", tollfree_countries=frozenset())
    acc = account()

    removal = remove_addon(acc, [scheduled, joined, started, ended, other_account, already_empty])

    assert removal.account == replace(acc, advanced_audio=False)
    assert [s.session_id for s in removal.changed_sessions] == ["s-scheduled", "s-joined"]
    assert all(s.tollfree_countries == frozenset() for s in removal.changed_sessions)
    assert removal.changed_sessions[0] == replace(scheduled, tollfree_countries=frozenset())
    # The inputs are untouched.
    assert scheduled.tollfree_countries == {"FR", "US"}


def test_rule8_in_progress_session_takes_no_new_tollfree_leg() -> None:
    removal = remove_addon(account(), [started_session()])
    assert removal.changed_sessions == ()
    refusal = may_take_leg(removal.account, LegKind.TOLLFREE)
    assert refusal is not None and refusal.code is RefusalCode.ADDON_MISSING


def test_rule2_adding_the_addon() -> None:
    assert add_addon(account(advanced_audio=False)).advanced_audio is True
