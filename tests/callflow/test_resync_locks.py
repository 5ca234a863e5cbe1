"""Conference locks read back from the PBX: only a node's own sessions, and never older
news than a lock call control made itself."""

import time

from callcontrol.service.live import LiveLeg, LiveRegistry
from callcontrol.service.nodes import NodeSet
from callcontrol.service.resync import Resync
from callcontrol.service.tracker import LegTracker
from callcontrol.store.database import Database
from callcontrol.store.legs import LegRepository, LegWriter


def _noop(live: LiveLeg) -> None:
    pass


async def _nothing(event: object) -> None:
    pass


def _resync(database: Database) -> Resync:
    registry = LiveRegistry(LegWriter(LegRepository(database), 0.01))
    tracker = LegTracker(registry, 300, _noop, _noop, _noop, _noop)
    registry.session_nodes.update({"s1": "pbx1", "s2": "pbx1", "s3": "pbx2"})
    return Resync(registry, NodeSet((), _nothing), tracker, _noop)


async def test_a_listing_sets_and_clears_the_locks_of_the_nodes_sessions(
    database: Database,
) -> None:
    resync = _resync(database)
    locks = resync.registry.locked_sessions
    locks.add("s3")  # pbx2's: not this listing's business
    resync._note_locks("pbx1", frozenset({"cc-s1", "cc-elsewhere", "sales"}), time.monotonic())
    assert locks == {"s1", "s3"}  # a room of no session of this node is not adopted
    resync._note_locks("pbx1", frozenset(), time.monotonic())
    assert locks == {"s3"}


async def test_a_listing_asked_before_our_own_lock_does_not_undo_it(database: Database) -> None:
    resync = _resync(database)
    asked_at = time.monotonic()
    resync.registry.locked_sessions.add("s1")  # call control locked s1 meanwhile...
    resync.registry.lock_changed_at["s1"] = time.monotonic()
    resync._note_locks("pbx1", frozenset(), asked_at)  # ...after this list was asked for
    assert resync.registry.locked_sessions == {"s1"}
    resync._note_locks("pbx1", frozenset(), time.monotonic())  # a newer list is believed
    assert resync.registry.locked_sessions == set()
