"""The memo of contiguity checks (engine/design/contiguity_memo.py)."""

from __future__ import annotations

import pytest

from terraplan.engine.design import contiguity_memo
from terraplan.engine.design.contiguity_memo import ContiguityMemo


def test_an_answer_holds_until_the_territory_changes_and_again_after_the_undo() -> None:
    memo = ContiguityMemo([0, 0, 0, 1, 1], k=2)
    assert memo.get(1, 0) is None
    assert memo.put(1, 0, False) is False
    assert memo.get(1, 0) is False
    memo.moved(3, 1, 0)  # territory 0 gains unit 3: the answer no longer applies
    assert memo.get(1, 0) is None
    memo.moved(3, 0, 1)  # undone: the same units again, the same answer
    assert memo.get(1, 0) is False


def test_a_move_elsewhere_keeps_the_answer() -> None:
    memo = ContiguityMemo([0, 0, 1, 1, 2, 2], k=3)
    memo.put(0, 0, True)
    memo.moved(3, 1, 2)
    assert memo.get(0, 0) is True


def test_the_memo_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contiguity_memo, "MAX_ENTRIES", 2)
    memo = ContiguityMemo([0, 0, 0], k=1)
    memo.put(0, 0, True)
    memo.put(1, 0, True)
    memo.put(2, 0, False)
    assert memo.get(0, 0) is None and memo.get(2, 0) is False
