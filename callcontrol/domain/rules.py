"""The business rules 1 to 8 of the product, each once, as pure functions.

Every function names its rule in its docstring; the tests name the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from callcontrol.domain.accounts import Account, BillingMode, Feature, features_for
from callcontrol.domain.errors import AddonRequired, UnavailableTollFreeCountries
from callcontrol.domain.legs import Leg, LegKind, LegRole, LegState
from callcontrol.domain.sessions import NOT_STARTED_STATES, Session, SessionState, require_country

IDLE_DROP_TIMEOUT_S = 300  # rule 4: five minutes


# Rules 1 and 2 -------------------------------------------------------------------------


def billable_kind(kind: LegKind) -> bool:
    """Rules 1 and 2: toll legs are paid by the caller's carrier, never billed to the
    organizer; toll-free and Call Me legs are billed per minute to the organizer's account."""
    return kind is not LegKind.TOLL


# Rule 3 --------------------------------------------------------------------------------


class RefusalCode(StrEnum):
    PLAN_WITHOUT_PHONE = "plan_without_phone"
    ADDON_MISSING = "addon_missing"


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RefusalCode
    message: str


_FEATURE_FOR_KIND = {
    LegKind.TOLL: Feature.TOLL_NUMBERS,
    LegKind.TOLLFREE: Feature.TOLL_FREE,
    LegKind.CALLME: Feature.CALL_ME,
}


def may_take_leg(account: Account, kind: LegKind) -> Refusal | None:
    """Rule 3: an account takes a leg of a kind only if its subscription has the feature
    (see ``features_for``). ``None`` means allowed."""
    if _FEATURE_FOR_KIND[kind] in features_for(account):
        return None
    if kind is LegKind.TOLL:
        return Refusal(RefusalCode.PLAN_WITHOUT_PHONE, "the plan includes no dial-in numbers")
    return Refusal(RefusalCode.ADDON_MISSING, f"{kind.value} needs the advanced audio add-on")


# Rule 4 --------------------------------------------------------------------------------


def idle_drop_deadline_ms(
    leg: Leg, session: Session, timeout_s: int = IDLE_DROP_TIMEOUT_S
) -> int | None:
    """Rule 4: a participant waiting for a session the organizer has not started is
    dropped ``timeout_s`` after it started waiting. ``None``: no deadline (organizer,
    session started or over, leg not waiting)."""
    if leg.role is LegRole.ORGANIZER or session.state not in NOT_STARTED_STATES:
        return None
    if leg.state is not LegState.WAITING or leg.waiting_at_ms is None:
        return None
    return leg.waiting_at_ms + timeout_s * 1000


def is_idle_drop_due(
    leg: Leg, session: Session, at_ms: int, timeout_s: int = IDLE_DROP_TIMEOUT_S
) -> bool:
    """Rule 4: True when the waiting participant must be dropped now."""
    deadline = idle_drop_deadline_ms(leg, session, timeout_s)
    return deadline is not None and at_ms >= deadline


# Rule 5 --------------------------------------------------------------------------------


class BillingOutcome(StrEnum):
    VOID_ALL = "void_all"
    BILL_ALL = "bill_all"


def session_billing_outcome(session: Session) -> BillingOutcome:
    """Rule 5: a session cancelled, never started and never joined by its organizer bills
    nothing; any other session bills its billable legs (the organizer's minutes and those
    of the participants who waited included).

    The outcome is final only once the session is terminal (``Session.is_terminal``): a
    scheduled session may still be cancelled, so final rating happens after that.
    """
    if (
        session.state is SessionState.CANCELLED
        and not session.ever_started
        and not session.ever_organizer_joined
    ):
        return BillingOutcome.VOID_ALL
    return BillingOutcome.BILL_ALL


def billable_window(leg: Leg, session: Session) -> tuple[int, int] | None:
    """Rule 5 (with rules 1 and 2): the part of a leg that is billed, as
    ``(answered_at_ms, ended_at_ms)``: from answer to hang-up, time spent waiting for the
    start included. ``None`` when nothing is billed (toll leg, void session, unanswered
    or not yet ended)."""
    if not billable_kind(leg.kind) or session_billing_outcome(session) is BillingOutcome.VOID_ALL:
        return None
    if leg.answered_at_ms is None or leg.ended_at_ms is None:
        return None
    return leg.answered_at_ms, leg.ended_at_ms


# Rule 6 --------------------------------------------------------------------------------


class AddonRefusalCode(StrEnum):
    CONTACT_SUPPORT = "contact_support"
    CONTACT_ACCOUNT_MANAGER = "contact_account_manager"
    NOT_BILLING_CONTACT = "not_billing_contact"


@dataclass(frozen=True, slots=True)
class AddonRefusal:
    code: AddonRefusalCode
    message: str


def authorize_addon_change(account: Account, acting_user_id: str) -> AddonRefusal | None:
    """Rule 6: only the billing contact of an online account may add or remove the add-on.

    The billing mode is checked first: on an offline or invoice account even the billing
    contact cannot, so every user gets the answer that leads somewhere (support, or the
    account manager). ``None`` means allowed.
    """
    if account.billing_mode is BillingMode.OFFLINE:
        return AddonRefusal(
            AddonRefusalCode.CONTACT_SUPPORT,
            "offline accounts change their subscription through support",
        )
    if account.billing_mode is BillingMode.INVOICE:
        return AddonRefusal(
            AddonRefusalCode.CONTACT_ACCOUNT_MANAGER,
            "accounts billed by invoice change their subscription through their account manager",
        )
    if acting_user_id != account.billing_contact_user_id:
        return AddonRefusal(
            AddonRefusalCode.NOT_BILLING_CONTACT,
            "only the account's billing contact can change the subscription",
        )
    return None


# Rule 7 --------------------------------------------------------------------------------


def validate_tollfree_countries(
    requested: Iterable[str], available: Iterable[str]
) -> frozenset[str]:
    """Rule 7: the toll-free countries a session offers are picked from the countries
    where toll-free numbers exist. Returns the requested set; raises
    ``UnavailableTollFreeCountries`` naming every country that is not available."""
    wanted = frozenset(require_country(c) for c in requested)
    missing = wanted - frozenset(available)
    if missing:
        raise UnavailableTollFreeCountries(missing)
    return wanted


def tollfree_countries_for(
    account: Account, requested: Iterable[str], available: Iterable[str]
) -> frozenset[str]:
    """Rule 7: as ``validate_tollfree_countries``, and only an account with the toll-free
    feature may request any (``AddonRequired`` otherwise)."""
    wanted = validate_tollfree_countries(requested, available)
    if wanted and Feature.TOLL_FREE not in features_for(account):
        raise AddonRequired(account.account_id)
    return wanted


# Rule 8 --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddonRemoval:
    account: Account
    changed_sessions: tuple[Session, ...]


def remove_addon(account: Account, sessions: Iterable[Session]) -> AddonRemoval:
    """Rule 8: removing the add-on removes toll-free numbers from every scheduled session
    of the account.

    "Scheduled" means not started yet: ``scheduled`` and ``organizer_joined`` sessions lose
    their toll-free countries. Started sessions keep their numbers listed, but rule 3
    (``may_take_leg``) refuses them any new toll-free or Call Me leg; legs already up stay.
    Sessions of other accounts and sessions without toll-free countries are left out of
    ``changed_sessions``. Authorization (rule 6) is checked by the caller first.
    """
    changed = tuple(
        replace(s, tollfree_countries=frozenset())
        for s in sessions
        if s.account_id == account.account_id
        and s.state in NOT_STARTED_STATES
        and s.tollfree_countries
    )
    return AddonRemoval(replace(account, advanced_audio=False), changed)


def add_addon(account: Account) -> Account:
    """Rule 2: the account with the advanced audio add-on (authorize with rule 6 first)."""
    return replace(account, advanced_audio=True)
