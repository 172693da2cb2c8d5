"""Lists computed afresh, kept until something they depend on changes.

A person written since last night's run has no stored list: the first request for their
suggestions computes it (tens of milliseconds: a store read, preparing, encoding, ranking). A
caseworker who just changed a record reads the list again and again before a visit, and the
nightly report rechecks it; each of those reads would compute the same list once more. The
memo keeps each fresh list, with the person as prepared, until it may no longer hold:

- the person or their household changed (:meth:`LiveMemo.forget`, called with every change the
  application folds in); a list whose computation began before a change to that person or
  household was folded in is not kept at all (:meth:`LiveMemo.token` and :meth:`LiveMemo.put`),
  since the store it read may be older or newer than that change;
- the posts were rebuilt, the model swapped, the day turned or a new run was published
  (:meth:`LiveMemo.clear`);
- a listed post is closed, withheld or fails a hard constraint today: checked on every read, as
  a run's list is (the list is then computed afresh).

That is the rule a run's list is served by, applied to a list computed since: the same answer,
re-checked and explained today, without the store read and the ranker.

Bounded (the oldest entry goes first) and safe for the server's threads: entries are immutable
tuples, the maps change under one lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any, NamedTuple

from matcher.prepare import People
from matcher.recommend import PersonResult

__all__ = ["LiveEntry", "LiveMemo", "LIVE_MEMO_SIZE"]

#: Lists kept per worker (each holds its person's prepared row: a few kilobytes).
LIVE_MEMO_SIZE = 4096
#: Folds of changes remembered for :meth:`LiveMemo.put` (a computation that began before the oldest one
#: is not kept: at four folds a second, over a minute).
RECENT_FOLDS = 256


class LiveEntry(NamedTuple):
    """One fresh list and what re-checking it needs."""

    result: PersonResult
    #: The person as prepared for the computation (``people`` may hold others: the person is ``row``).
    people: People
    row: int
    household: Any
    #: The person's county and town codes as read ('' when missing): who may see them.
    county: str
    town: str


class LiveMemo:
    """Fresh lists by ``(laborer_id, k)``, dropped when the person or their household changes."""

    def __init__(self, size: int = LIVE_MEMO_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, int], LiveEntry] = OrderedDict()
        self._by_laborer: dict[str, set[int]] = {}
        self._by_household: dict[Any, set[str]] = {}
        self._lock = threading.Lock()
        #: Bumped by :meth:`clear`; with the recent folds, what a computation's token is checked against.
        self._epoch = 0
        #: ``(seq, people, households)`` of the latest folds that named someone, oldest first.
        self._recent: deque[tuple[int, frozenset[str], frozenset[Any]]] = deque()
        #: Changes at or below this sequence number are no longer in :attr:`_recent`.
        self._horizon = -1

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, laborer_id: str, k: int) -> LiveEntry | None:
        return self._entries.get((laborer_id, k))

    def any_of(self, laborer_id: str) -> LiveEntry | None:
        """Some entry of the person (any ``k``): what the memo knows of where they live."""
        ks = self._by_laborer.get(laborer_id)
        if not ks:
            return None
        for k in tuple(ks):
            entry = self._entries.get((laborer_id, k))
            if entry is not None:
                return entry
        return None

    def token(self, seen: int | None) -> tuple[int, int] | None:
        """What to hand :meth:`put` for a computation starting now, when the application has folded
        the store's changes up to ``seen`` (None: it has not followed the store; nothing is kept)."""
        return None if seen is None else (self._epoch, seen)

    def put(self, laborer_id: str, k: int, entry: LiveEntry, token: tuple[int, int] | None) -> bool:
        """Keep ``entry`` unless the memo was cleared, or the person or their household changed (a
        change folded in after ``token`` was taken): the list may then rest on a record that no longer
        holds. Also not when the folds since ``token`` are too many to tell."""
        with self._lock:
            if token is None or token[0] != self._epoch or token[1] < self._horizon:
                return False
            for seq, people, households in reversed(self._recent):
                if seq <= token[1]:
                    break
                if laborer_id in people or (entry.household is not None and entry.household in households):
                    return False
            key = (laborer_id, k)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            self._by_laborer.setdefault(laborer_id, set()).add(k)
            if entry.household is not None:
                self._by_household.setdefault(entry.household, set()).add(laborer_id)
            while len(self._entries) > self.size:
                (old_id, old_k), old = self._entries.popitem(last=False)
                self._unlink(old_id, old_k, old)
            return True

    def forget(self, seq: int, laborers: Iterable[str] = (), households: Iterable[Any] = ()) -> None:
        """Drop the lists of these people and of everyone in these households (changed at or before the
        change sequence number ``seq``)."""
        with self._lock:
            people = set(laborers)
            households = set(households)
            if people or households:
                self._recent.append((seq, frozenset(people), frozenset(households)))
                while len(self._recent) > RECENT_FOLDS:
                    self._horizon = self._recent.popleft()[0]
            for household in households:
                people |= self._by_household.get(household, set())
            for laborer_id in people:
                for k in tuple(self._by_laborer.get(laborer_id, ())):
                    entry = self._entries.pop((laborer_id, k), None)
                    if entry is not None:
                        self._unlink(laborer_id, k, entry)

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._entries.clear()
            self._by_laborer.clear()
            self._by_household.clear()

    def _unlink(self, laborer_id: str, k: int, entry: LiveEntry) -> None:
        ks = self._by_laborer.get(laborer_id)
        if ks is not None:
            ks.discard(k)
            if not ks:
                del self._by_laborer[laborer_id]
                members = self._by_household.get(entry.household)
                if members is not None:
                    members.discard(laborer_id)
                    if not members:
                        del self._by_household[entry.household]
