"""The dial-in numbers a session offers its invitees, from the account's features."""

from __future__ import annotations

from callcontrol.domain.accounts import Account, Feature, features_for
from callcontrol.domain.numbers import Did, NumberKind
from callcontrol.domain.sessions import AudioMode, Session
from callcontrol.store.database import Database
from callcontrol.store.dids import DidRepository


async def dial_in_numbers(
    database: Database, session: Session, account: Account | None
) -> list[Did]:
    """Toll numbers of every country (paid plans, rule 1) and toll-free numbers of the
    session's chosen countries (add-on, rules 2 and 7); none when the session's audio is not
    by phone or the session is over."""
    if account is None or session.is_terminal:
        return []
    if session.audio.audio_mode is not AudioMode.PHONE_AND_COMPUTER:
        return []
    features = features_for(account)
    repo = DidRepository(database)
    numbers: list[Did] = []
    if Feature.TOLL_NUMBERS in features:
        numbers += await repo.numbers(None, NumberKind.TOLL)
    if Feature.TOLL_FREE in features and session.tollfree_countries:
        numbers += await repo.numbers(session.tollfree_countries, NumberKind.TOLL_FREE)
    return sorted(numbers, key=lambda d: (d.country, d.kind.value, d.e164))
