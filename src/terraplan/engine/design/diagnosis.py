"""Infeasibility diagnosis, run before any search.

:func:`diagnose` finds what makes the asked balance impossible (fewer units than
territories, a unit heavier than any band allows, locked weight over a band, targets that
cannot add up to the totals) and, where a standard remedy exists, applies it to the problem
it returns:

- **oversize unit** (targets are equal shares): the unit gets a territory of its own and
  the other territories are balanced around the mean of the *remaining* territories
  (repeated until no unit is oversize). The dedicated territory's target becomes the unit's
  own weight; the issue is reported with code ``"oversize_unit"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from terraplan.engine.design.problem import DesignProblem, Prepared, prepare
from terraplan.errors import InfeasibleError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding. ``code`` is stable (``"oversize_unit"``, ``"fewer_units_than_territories"``,
    ``"unit_over_band"``, ``"group_over_band"``, ``"locked_over_band"``,
    ``"targets_do_not_add_up"``, ``"disconnected_adjacency"``)."""

    code: str
    message: str
    units: tuple[int, ...] = ()
    territories: tuple[int, ...] = ()
    metric: str | None = None
    remedied: bool = False
    #: For ``oversize_unit`` and ``unit_over_band``: the unit's weight / an equal share, on
    #: ``metric``.
    share: float | None = None
    #: For ``group_over_band``: the keep-together group ids at fault.
    groups: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """All findings; ``feasible`` is False when the balance asked is certainly out of reach
    even after remedies. ``dedicated`` lists ``(unit, territory)`` pairs given a territory of
    their own; ``targets (k, m)`` are the targets actually used."""

    issues: tuple[Issue, ...]
    feasible: bool
    dedicated: tuple[tuple[int, int], ...]
    targets: FloatArray

    @property
    def ok(self) -> bool:
        return not self.issues

    def summary(self) -> str:
        return "; ".join(issue.message for issue in self.issues) or "no issue"


def diagnose_problem(problem: DesignProblem) -> Diagnosis:
    """Validate ``problem`` and say what makes its balance impossible, before any search
    (with keep-together groups, on the problem the solvers solve: each group one unit)."""
    prep = prepare(problem)
    if prep.groups is not None:
        from terraplan.engine.design.groups import diagnose_grouped

        return diagnose_grouped(prep)[0]
    diagnosis, _ = diagnose(prep)
    return diagnosis


def explain_infeasible(
    exc: InfeasibleError, diagnosis: Diagnosis, metric_names: Sequence[str]
) -> InfeasibleError:
    """A solver's :class:`InfeasibleError` told with the diagnosis: its standing findings
    first (the group, unit or band at fault), then the solver's reason, metrics by name
    (``"balance window of potential"``, not ``"metric 0"``). ``details`` keep the solver's
    and add ``issues`` (finding codes), ``metrics`` and ``groups`` (group ids at fault)."""

    def named(text: str) -> str:
        return re.sub(
            r"\bmetric (\d+)\b",
            lambda m: metric_names[int(m[1])] if int(m[1]) < len(metric_names) else m[0],
            text,
        )

    standing = [i for i in diagnosis.issues if not i.remedied]
    reason = named(str(exc))
    message = "; ".join(i.message for i in standing) + f" ({reason})" if standing else reason
    details = dict(exc.details)
    if isinstance(details.get("constraints"), list):
        details["constraints"] = [named(str(c)) for c in details["constraints"]]
    if standing:
        details["issues"] = [i.code for i in standing]
        details["metrics"] = sorted({i.metric for i in standing if i.metric is not None})
        groups = [g for i in standing for g in i.groups]
        if groups:
            details["groups"] = sorted(set(groups))
    return InfeasibleError(message, details=details)


def diagnose(prep: Prepared) -> tuple[Diagnosis, Prepared]:
    """Check ``prep``; return the diagnosis and the (possibly remedied) problem.

    Raises :class:`InfeasibleError` only for hard contradictions no plan can meet (a unit
    with no allowed territory, a lock on a forbidden pair).
    """
    _hard_checks(prep)
    issues: list[Issue] = []
    feasible = True
    if prep.n < prep.k:
        issues.append(
            Issue(
                "fewer_units_than_territories",
                f"{prep.n:,} units cannot fill {prep.k:,} territories: design at most {prep.n:,}",
            )
        )
        feasible = False
    dedicated: list[tuple[int, int]] = []
    relative = ~prep.absolute_metrics()
    if not prep.targets_given and prep.n >= prep.k and relative.any():
        prep, dedicated, found = _dedicate_oversize(prep, relative)
        issues.extend(found)
    over = _units_over_band(prep, dedicated)
    if over:
        issues.extend(over)
        feasible = False
    locked_issues = _locked_over_band(prep)
    if locked_issues:
        issues.extend(locked_issues)
        feasible = False
    totals = prep.weights.sum(axis=0)
    for j in range(prep.m):
        low = float(prep.lower[:, j].sum())
        high = float(prep.upper[:, j].sum())
        if totals[j] < low * (1 - 1e-9) or totals[j] > high * (1 + 1e-9):
            issues.append(
                Issue(
                    "targets_do_not_add_up",
                    f"{prep.metric_names[j]}: the territories' bands add up to "
                    f"{_amount(low)}-{_amount(high)} but the total is {_amount(totals[j])}",
                    metric=prep.metric_names[j],
                )
            )
            feasible = False
    bridged = bridge_issue(prep)
    if bridged is not None:
        issues.append(bridged)
    diagnosis = Diagnosis(
        issues=tuple(issues),
        feasible=feasible,
        dedicated=tuple(dedicated),
        targets=prep.targets.copy(),
    )
    return diagnosis, prep


#: Units named in the message of a ``disconnected_adjacency`` finding (all are in ``units``).
NAMED_DETACHED = 5


def bridge_issue(prep: Prepared) -> Issue | None:
    """The ``disconnected_adjacency`` finding when the caller's graph came in pieces that
    :func:`~terraplan.engine.design.problem.prepare` joined (None otherwise)."""
    if prep.bridges is None or prep.detached is None:
        return None
    detached = prep.detached.tolist()
    named = ", ".join(str(u) for u in detached[:NAMED_DETACHED])
    more = f" and {len(detached) - NAMED_DETACHED:,} more" if len(detached) > NAMED_DETACHED else ""
    edges = ", ".join(f"{a}-{b}" for a, b in prep.bridges[:NAMED_DETACHED].tolist())
    pieces = prep.bridges.shape[0] + 1
    return Issue(
        "disconnected_adjacency",
        f"the adjacency given is in {pieces} pieces: {len(detached):,} unit(s) lie apart from "
        f"the largest piece (unit{'s' if len(detached) > 1 else ''} {named}{more}); each other piece is counted as touching "
        f"its nearest unit (added edges {edges}{' ...' if pieces - 1 > NAMED_DETACHED else ''}), "
        "so a territory may be one piece only through such an edge "
        "(report.contiguity.bridges, unbridged_components)",
        units=tuple(int(u) for u in detached),
        remedied=True,
    )


def _amount(value: float) -> str:
    """``328909000.0 -> "328,909,000"``; small and fractional values keep 6 digits."""
    if np.isinf(value):
        return "unlimited"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def _hard_checks(prep: Prepared) -> None:
    if prep.allowed is None:
        return
    none_allowed = np.flatnonzero(~prep.allowed.any(axis=1))
    if none_allowed.size:
        raise InfeasibleError(
            f"{none_allowed.size} unit(s) have no allowed territory (first: {int(none_allowed[0])})",
            details={"constraints": ["allowed"], "units": none_allowed[:20].tolist()},
        )
    locked = np.flatnonzero(prep.locked >= 0)
    bad = locked[~prep.allowed[locked, prep.locked[locked]]]
    if bad.size:
        raise InfeasibleError(
            f"{bad.size} unit(s) are locked to a forbidden territory (first: {int(bad[0])})",
            details={"constraints": ["locked", "allowed"], "units": bad[:20].tolist()},
        )


def _dedicate_oversize(
    prep: Prepared, relative: npt.NDArray[np.bool_]
) -> tuple[Prepared, list[tuple[int, int]], list[Issue]]:
    """Give each unit heavier than the band of a ``relative`` ``(m,)`` metric (one without an
    absolute window) a territory of its own; those metrics' other targets become the mean of
    the rest. Windowed metrics keep their windows (the diagnosis that follows says when the
    unit's territory cannot meet them)."""
    w, k, tol = prep.weights, prep.k, prep.tolerance
    totals = w.sum(axis=0)
    chosen: list[int] = []
    while True:
        rest = k - len(chosen)
        if rest <= 1:
            break
        mean = (totals - w[chosen].sum(axis=0)) / rest
        over = w > mean[None, :] * (1 + tol[None, :]) + 1e-12
        # a unit no territory's absolute windows can hold alone is not given one: the
        # diagnosis names it as over the band instead
        heavy = np.flatnonzero(np.any(over[:, relative], axis=1) & (_fitting(prep).sum(axis=1) > 0))
        new = [int(u) for u in heavy if int(u) not in chosen]
        if not new:
            break
        # one at a time, heaviest first: the remaining mean changes after each
        ratio = w / np.where(mean > 0, mean, np.inf)[None, :]
        new.sort(key=lambda u: -float(np.max(ratio[u, relative])))
        chosen.append(new[0])
    if not chosen:
        return prep, [], []
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    fitting = _fitting(prep)
    for u in chosen:
        territory = _territory_for(prep, u, used, fitting[u])
        used.add(territory)
        pairs.append((u, territory))
    locked = prep.locked.copy()
    allowed = np.ones((prep.n, k), dtype=bool) if prep.allowed is None else prep.allowed.copy()
    targets = prep.targets.copy()
    rest_mean = (totals - w[chosen].sum(axis=0)) / (k - len(chosen))
    others = np.array(sorted(set(range(k)) - used), dtype=np.int64)
    # the relative bands (NaN window cells) of every metric follow the mean of the rest
    relative_cells = np.ones((k, prep.m), dtype=bool)
    if prep.windows is not None:
        relative_cells = np.isnan(prep.windows[0]) & np.isnan(prep.windows[1])
    rows = np.zeros(k, dtype=bool)
    rows[others] = True
    follow = relative_cells & rows[:, None]
    targets = np.where(follow, rest_mean[None, :], targets)
    issues = []
    for u, t in pairs:
        locked[u] = t
        allowed[:, t] = False
        allowed[u, :] = False
        allowed[u, t] = True
        targets[t] = w[u]
        ratios = np.where(relative, w[u] / np.where(totals > 0, totals / k, np.inf), 0.0)
        share = float(np.max(ratios))
        metric = prep.metric_names[int(np.argmax(ratios))] if prep.metric_names else None
        issues.append(
            Issue(
                "oversize_unit",
                f"unit {u} alone is {share:.2f}x an equal share "
                f"(band +{float(tol[relative].max()):.0%}); "
                f"it gets territory {t} of its own and the other territories are balanced "
                "around the mean of the remaining ones",
                units=(u,),
                territories=(t,),
                metric=metric,
                remedied=True,
                share=share,
            )
        )
    # units locked by the caller to a dedicated territory stay locked but break the rule
    clash = np.flatnonzero(np.isin(prep.locked, list(used)) & ~np.isin(np.arange(prep.n), chosen))
    for u in clash.tolist():
        allowed[u, locked[u]] = True
    new_prep = replace(prep, locked=locked, allowed=allowed, targets=targets)
    return new_prep, pairs, issues


def _fitting(prep: Prepared) -> npt.NDArray[np.bool_]:
    """``(n, k)`` True where the unit alone meets the territory's absolute windows (every
    territory when there are none; a relative band is set to the unit's own weight)."""
    if prep.windows is None:
        return np.ones((prep.n, prep.k), dtype=bool)
    low = np.nan_to_num(prep.windows[0], nan=0.0)
    high = np.nan_to_num(prep.windows[1], nan=np.inf)
    w = prep.weights[:, None, :]
    return np.asarray(
        np.all((w >= low[None] - 1e-9) & (w <= high[None] + 1e-9), axis=2), dtype=bool
    )


def _territory_for(prep: Prepared, unit: int, used: set[int], fits: npt.NDArray[np.bool_]) -> int:
    if prep.locked[unit] >= 0:
        return int(prep.locked[unit])
    free = [t for t in range(prep.k) if t not in used]
    free = [t for t in free if fits[t]] or free
    if prep.allowed is not None:
        free = [t for t in free if prep.allowed[unit, t]] or free
    if prep.xyz is not None and (prep.centre_points is not None or prep.centre_units is not None):
        centres = (
            prep.centre_points if prep.centre_points is not None else prep.xyz[prep.centre_units]
        )
        dd = np.linalg.norm(centres[free] - prep.xyz[unit], axis=1)
        return int(free[int(np.argmin(dd))])
    if prep.distances is not None and prep.centre_units is not None:
        d = prep.distances[unit, prep.centre_units[free]]
        return int(free[int(np.argmin(d))])
    return int(free[-1])


def _units_over_band(prep: Prepared, dedicated: list[tuple[int, int]]) -> list[Issue]:
    skip = {u for u, _ in dedicated}
    upper = prep.upper
    allowed = prep.allowed
    best = np.empty((prep.n, prep.m))
    if allowed is None:
        best[:] = upper.max(axis=0)[None, :]
    else:
        for j in range(prep.m):
            best[:, j] = np.where(allowed, upper[None, :, j], -np.inf).max(axis=1)
    over = np.flatnonzero(np.any(prep.weights > best + 1e-9, axis=1))
    over = np.array([u for u in over if int(u) not in skip], dtype=np.int64)
    if over.size == 0:
        return []
    # name a metric with an absolute window first: no remedy can lift it
    exceeded = prep.weights[over[0]] > best[over[0]] + 1e-9
    preferred = exceeded & prep.absolute_metrics()
    first = int(np.argmax(preferred if preferred.any() else exceeded))
    name = prep.metric_names[first] if prep.metric_names else None
    equal = float(prep.weights[:, first].sum()) / prep.k
    share = float(prep.weights[over[0], first]) / equal if equal > 0 else None
    return [
        Issue(
            "unit_over_band",
            f"{over.size} unit(s) alone exceed the upper band of every allowed territory "
            f"(first: unit {int(over[0])}{', on ' + name if name else ''})",
            units=tuple(int(u) for u in over[:50]),
            metric=name,
            share=share,
        )
    ]


def _locked_over_band(prep: Prepared) -> list[Issue]:
    mask = prep.locked >= 0
    if not mask.any():
        return []
    sums = np.zeros((prep.k, prep.m))
    np.add.at(sums, prep.locked[mask], prep.weights[mask])
    bad = np.flatnonzero(np.any(sums > prep.upper + 1e-9, axis=1))
    if bad.size == 0:
        return []
    return [
        Issue(
            "locked_over_band",
            f"locked units alone exceed the upper band of {bad.size} territory(ies) "
            f"(first: {int(bad[0])})",
            territories=tuple(int(t) for t in bad),
        )
    ]
