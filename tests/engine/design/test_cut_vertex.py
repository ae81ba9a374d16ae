"""Whether a territory stays connected without one unit (engine/design/search.py)."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.engine.design.search import _pieces_meet


def _linked_by_one_search(
    adj: list[list[int]], lab: list[int], a: int, i: int, same: list[int]
) -> bool:
    seen = {same[0]}
    queue = deque([same[0]])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if v != i and lab[v] == a and v not in seen:
                seen.add(v)
                queue.append(v)
    return all(j in seen for j in same)


@st.composite
def territory_graphs(draw: st.DrawFn) -> tuple[list[list[int]], list[int], int]:
    n = draw(st.integers(3, 25))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            min_size=n - 1,
            max_size=3 * n,
        )
    )
    adj: list[list[int]] = [[] for _ in range(n)]
    for x, y in sorted({(min(p), max(p)) for p in pairs}):
        adj[x].append(y)
        adj[y].append(x)
    lab = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return adj, lab, draw(st.integers(0, n - 1))


@settings(max_examples=400, deadline=None)
@given(territory_graphs())
def test_the_interleaved_searches_agree_with_one_plain_search(
    case: tuple[list[list[int]], list[int], int],
) -> None:
    adj, lab, i = case
    a = lab[i]
    same = [j for j in adj[i] if lab[j] == a]
    if len(same) < 2:
        return
    assert _pieces_meet(adj, lab, a, i, same) == _linked_by_one_search(adj, lab, a, i, same)


def test_a_pocket_behind_a_cut_vertex_is_found_from_either_side() -> None:
    # a path 0-1-2-...-40 in one territory: without unit 1, unit 0 is a pocket of one
    n = 41
    adj = [[j for j in (u - 1, u + 1) if 0 <= j < n] for u in range(n)]
    lab = [0] * n
    assert _pieces_meet(adj, lab, 0, 1, [0, 2]) is False
    assert _pieces_meet(adj, lab, 0, 1, [2, 0]) is False
    # a ring: both sides meet round the back
    ring = [[(u - 1) % n, (u + 1) % n] for u in range(n)]
    assert _pieces_meet(ring, lab, 0, 1, [0, 2]) is True
