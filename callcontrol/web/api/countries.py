"""Countries: where dial-in numbers exist and where Call Me may phone."""

from __future__ import annotations

from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.store.dids import DidRepository
from callcontrol.web.api.endpoint import ALL_ROLES, API, Call, Reply
from callcontrol.web.api.schema import Out
from callcontrol.web.api.views import COUNTRY, NUMBER, STR, number_view, obj

COUNTRY_OUT = obj(
    country=COUNTRY,
    name=STR,
    callme_allowed={"type": "boolean"},
    toll={"type": "array", "items": NUMBER},
    toll_free={"type": "array", "items": NUMBER},
)
COUNTRIES = Out(obj(countries={"type": "array", "items": COUNTRY_OUT}))


@API.route(
    "GET",
    "/v1/countries",
    summary="List countries, their numbers and Call Me",
    tag="countries",
    roles=ALL_ROLES,
    ok=(200, COUNTRIES),
)
async def list_countries(call: Call) -> Reply:
    """Every country callcontrol knows: its toll numbers, its toll-free numbers (offered to
    sessions of accounts with the add-on, rule 7) and whether Call Me may phone there."""
    rows = await DidRepository(call.database).countries()
    return Reply(
        {
            "countries": [
                {
                    "country": r.country.country,
                    "name": r.country.name,
                    "callme_allowed": r.country.callme_allowed,
                    "toll": [
                        number_view(Did(e, r.country.country, NumberKind.TOLL)) for e in r.toll
                    ],
                    "toll_free": [
                        number_view(Did(e, r.country.country, NumberKind.TOLL_FREE))
                        for e in r.toll_free
                    ],
                }
                for r in rows
            ]
        }
    )
