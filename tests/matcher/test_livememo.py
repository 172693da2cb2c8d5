"""The memo of fresh lists: what it keeps is exactly what no later change, clear or bound removed."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.livememo import LiveEntry, LiveMemo

PEOPLE = [f"L{i}" for i in range(6)]
#: Each person's household (fixed, as in the store: a move is a change of the person, which forgets them).
HOUSEHOLD = {"L0": "H0", "L1": "H0", "L2": "H1", "L3": "H1", "L4": None, "L5": "H2"}

ops = st.lists(
    st.one_of(
        st.tuples(st.just("take"), st.integers(0, 2)),
        st.tuples(st.just("put"), st.sampled_from(PEOPLE), st.sampled_from([3, 5]), st.integers(0, 2)),
        st.tuples(
            st.just("forget"),
            st.sets(st.sampled_from(PEOPLE), max_size=2),
            st.sets(st.sampled_from(["H0", "H1", "H2", "H9"]), max_size=1),
        ),
        st.tuples(st.just("clear")),
    ),
    max_size=40,
)


def _entry(laborer_id: str) -> LiveEntry:
    return LiveEntry(None, None, 0, HOUSEHOLD[laborer_id], "360322", "")  # type: ignore[arg-type]


@settings(max_examples=1500, deadline=None)
@given(ops, st.integers(1, 5), st.integers(1, 4))
def test_the_memo_keeps_exactly_what_no_change_clear_or_bound_removed(
    program: list[Any], size: int, folds: int
) -> None:
    import matcher.livememo

    matcher.livememo.RECENT_FOLDS, recent = folds, matcher.livememo.RECENT_FOLDS
    try:
        _run(program, size, folds)
    finally:
        matcher.livememo.RECENT_FOLDS = recent


def _run(program: list[Any], size: int, folds: int) -> None:
    memo = LiveMemo(size)
    model: OrderedDict[tuple[str, int], str | None] = OrderedDict()
    seq, epoch = 0, 0
    tokens: dict[int, tuple[int, int]] = {}  # slot → the (epoch, seq) when it was taken
    real_tokens: dict[int, Any] = {}  # slot → the memo's token taken then
    named: list[tuple[int, set[str], set[str]]] = []  # (seq, people, households) of forgets that named someone
    for op in program:
        if op[0] == "take":
            tokens[op[1]] = (epoch, seq)
            real_tokens[op[1]] = memo.token(seq)
        elif op[0] == "put":
            _, laborer_id, k, slot = op
            token = tokens.get(slot)
            real = memo.put(laborer_id, k, _entry(laborer_id), real_tokens.get(slot))
            # Kept only when no clear and no change to the person or their household came in since the
            # token was taken, and the memo still remembers every change since then.
            horizon = max((s for s, _, _ in named[:-folds]), default=-1)
            expected = (
                token is not None
                and token[0] == epoch
                and token[1] >= horizon
                and not any(
                    s > token[1] and (laborer_id in people or HOUSEHOLD[laborer_id] in households)
                    for s, people, households in named
                )
            )
            assert real == expected, op
            if expected:
                model[(laborer_id, k)] = HOUSEHOLD[laborer_id]
                model.move_to_end((laborer_id, k))
                while len(model) > size:
                    model.popitem(last=False)
        elif op[0] == "forget":
            _, laborers, households = op
            seq += 1
            memo.forget(seq, laborers, households)
            if laborers or households:
                named.append((seq, laborers, households))
            for key in [key for key, h in model.items() if key[0] in laborers or (h is not None and h in households)]:
                del model[key]
        else:
            memo.clear()
            epoch += 1
            model.clear()
        assert len(memo) == len(model)
        assert all(memo.get(laborer_id, k) is not None for laborer_id, k in model)
        # The indexes hold no one the memo no longer keeps (they are bounded with it).
        assert set(memo._by_laborer) == {laborer_id for laborer_id, _ in model}  # noqa: SLF001
        assert set(memo._by_household) == {h for h in model.values() if h is not None}  # noqa: SLF001
        for laborer_id in PEOPLE:
            kept = memo.any_of(laborer_id)
            assert (kept is not None) == any(key[0] == laborer_id for key in model)
            assert kept is None or kept.household == HOUSEHOLD[laborer_id]
