"""A memo of the local search's contiguity checks, keyed by each territory's units.

Whether territory ``a`` stays connected without its unit ``i`` depends on ``a``'s units
only. The balance and flow sweeps re-check the same stuck moves sweep after sweep, and
swaps and ejection chains undo their moves, so the same question comes back many times
about the same territory (demo design seed 9, 3,109 counties into 40 territories: about
280,000 checks, three in four of them repeats; a check not remembered walks the territory,
most often to find a cut vertex). Each answer is kept under a Zobrist hash of the
territory: the XOR of a fixed random 128-bit key per
unit, updated in O(1) by every move and restored by its undo. Two different unit sets
share a hash with probability about 2^-128, so the memo is exact in practice; the keys
come from a fixed seed, so runs stay reproducible.
"""

from __future__ import annotations

import numpy as np

#: Remembered answers (the memo starts afresh beyond this many).
MAX_ENTRIES = 1 << 18


class ContiguityMemo:
    """Answers of ``removable(i, a)`` for a plan whose labels are ``labels`` (``n`` ints
    in ``0..k-1``); :meth:`moved` must follow every move of a unit."""

    def __init__(self, labels: list[int], k: int) -> None:
        keys = np.random.default_rng(0x5EED).integers(0, 2**63, size=(len(labels), 2))
        self.key: list[int] = [(int(x) << 64) | int(y) for x, y in keys.tolist()]
        self.hash: list[int] = [0] * k
        for i, t in enumerate(labels):
            self.hash[t] ^= self.key[i]
        self.answers: dict[tuple[int, int, int], bool] = {}

    def moved(self, i: int, a: int, b: int) -> None:
        """Unit ``i`` went from territory ``a`` to ``b``."""
        self.hash[a] ^= self.key[i]
        self.hash[b] ^= self.key[i]

    def get(self, i: int, a: int) -> bool | None:
        """The remembered answer for unit ``i`` of territory ``a`` as it is now, or None."""
        return self.answers.get((i, a, self.hash[a]))

    def put(self, i: int, a: int, answer: bool) -> bool:
        """Remember ``answer`` for unit ``i`` of territory ``a`` as it is now; returns it."""
        if len(self.answers) >= MAX_ENTRIES:
            self.answers.clear()
        self.answers[(i, a, self.hash[a])] = answer
        return answer
