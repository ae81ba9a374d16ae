"""A matched pair's cost in plain words: one phrase per cost part, then the weighted sum."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from terraplan.domain import Rep
from terraplan.engine import matching as eng


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... ``11th``, ``12th``, ``13th``, ``21st``, ``41st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def explain_pair(
    rep: Rep,
    *,
    r: int,
    t: int,
    parts: Mapping[str, float],
    info: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
) -> str:
    """One sentence per cost part, then the weighted sum, e.g. ``"distance 42 km from
    80202 home base; skills cover 80% of the territory's industry mix; ..."``."""
    words: list[str] = []
    km = float(info["km"][r, t])
    if math.isnan(km):
        words.append("distance unknown (no home base or no located accounts)")
    else:
        base = (
            f" from {rep.home_postal_code} home base" if rep.home_postal_code else " from home base"
        )
        words.append(f"distance {km:,.0f} km{base}")
    cover: list[str] = []
    if info["has_ind"][t]:
        cover.append(f"{float(info['industry_cover'][r, t]):.0%} of the territory's industry mix")
    if info["has_seg"][t]:
        cover.append(f"{float(info['segment_cover'][r, t]):.0%} of its segment mix")
    words.append(
        "skills cover " + " and ".join(cover) if cover else "territory has no industry/segment data"
    )
    years = float(info["experience"][r])
    experience = "experience unknown" if math.isnan(years) else f"{years:g} years' experience"
    words.append(
        f"{experience} (percentile {100 * float(info['exp_pct'][r]):.0f} of reps) for a book of "
        f"{ordinal(round(float(info['pot_pct'][t]) * 100))}-percentile potential"
    )
    share = float(info["share"][r, t])
    if info["is_current"][r, t]:
        words.append("keeps the rep's current territory")
    elif share > 0:
        words.append(f"rep already owns {share:.0%} of the territory's accounts (by potential)")
    else:
        words.append("new to this territory")
    terms = " + ".join(
        f"{k} {parts[k]:.2f}×{weights.get(k, 0.0):g}" for k in eng.COST_PARTS if weights.get(k)
    )
    total = sum(parts[k] * weights.get(k, 0.0) for k in eng.COST_PARTS)
    return "; ".join(words) + f" (cost {total:.2f} = {terms or '0'})"
