"""The refusals of a Call Me request, decided before anything is dialled.

The destination is parsed with phonenumbers to E.164, then checked against the fraud rules:
the high-risk prefix list, number types that cost money or reach no person, the countries
Call Me may phone. The session and account go through the domain's ``route_callme``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import phonenumbers
from phonenumbers import PhoneNumberType as T

from callcontrol.domain.accounts import Account
from callcontrol.domain.routing import RouteKind, RouteReason, route_callme
from callcontrol.domain.sessions import Session
from callcontrol.metrics import CALLME_REFUSALS
from callcontrol.web.api.errors import ApiError

# Types that reach a person on a line the organizer can reasonably pay for.
ALLOWED_TYPES = frozenset({T.FIXED_LINE, T.MOBILE, T.FIXED_LINE_OR_MOBILE, T.TOLL_FREE, T.VOIP})
_TYPE_NAMES = {
    T.PREMIUM_RATE: "premium-rate",
    T.SHARED_COST: "shared-cost",
    T.UAN: "UAN",
    T.PERSONAL_NUMBER: "personal",
    T.VOICEMAIL: "voicemail",
    T.PAGER: "pager",
    T.UNKNOWN: "unknown",
}
_STATUS_FOR_REASON = {
    RouteReason.SESSION_ENDED: (422, "session_not_open"),
    RouteReason.SESSION_CANCELLED: (422, "session_not_open"),
    RouteReason.CUSTOM_AUDIO: (422, "no_phone_audio"),
    RouteReason.COMPUTER_ONLY: (422, "no_phone_audio"),
    RouteReason.ADDON_MISSING: (403, "addon_missing"),
    RouteReason.PLAN_WITHOUT_PHONE: (403, "plan_without_phone"),
    RouteReason.SPEND_LIMIT_REACHED: (403, "spend_limit_reached"),
    RouteReason.UNKNOWN_ACCOUNT: (422, "unknown_account"),
    RouteReason.UNKNOWN_CODE: (422, "session_not_open"),
}


def refuse(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> ApiError:
    """A Call Me refusal, counted by code in /metrics."""
    CALLME_REFUSALS.labels(code=code).inc()
    return ApiError(
        status, code, message, field, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


def check_session(
    session: Session, account: Account | None, as_organizer: bool, spent: Decimal = Decimal(0)
) -> Account:
    """Session open (scheduled, organizer joined or started), phone audio, add-on (rule 3);
    returns the account, which the checks need to exist."""
    route = route_callme(session, account, as_organizer=as_organizer, spent=spent)
    if route.kind is RouteKind.REJECT:
        status, code = _STATUS_FOR_REASON[route.reason]
        raise refuse(status, code, f"Call Me refused: {route.reason.value.replace('_', ' ')}")
    if account is None:  # route_callme rejects it; this keeps the type checker informed
        raise refuse(422, "unknown_account", "the session's account is unknown")
    return account


@dataclass(frozen=True, slots=True)
class Destination:
    e164: str
    country: str


def parse_destination(
    raw: str, region: str | None, high_risk_prefixes: tuple[str, ...]
) -> Destination:
    """The number in E.164 with its country, or a refusal naming the rule it breaks."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise refuse(422, "invalid_number", f"not a phone number: {exc}", "phone") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if any(e164.startswith(prefix) for prefix in high_risk_prefixes):
        raise refuse(403, "high_risk_destination", "this destination is not called", "phone")
    if not phonenumbers.is_valid_number(number):
        raise refuse(422, "invalid_number", "not a valid phone number", "phone")
    kind = phonenumbers.number_type(number)
    if kind not in ALLOWED_TYPES:
        name = _TYPE_NAMES.get(kind, "unknown")
        raise refuse(
            422, "number_type_not_allowed", f"Call Me does not phone {name} numbers", "phone"
        )
    country = phonenumbers.region_code_for_number(number)
    if not country or len(country) != 2:
        raise refuse(403, "callme_country_not_allowed", "no country for this number", "phone")
    return Destination(e164, country)
