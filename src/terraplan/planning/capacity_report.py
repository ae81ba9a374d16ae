"""What ``terraplan capacity`` answers: reps needed per group and overall, which limit sets
that number (the workload's hours or the reps' account limit), and one rep more or less.

Computed by :func:`terraplan.planning.capacity.size_team`; units: hours per year for workload
and capacity, currency per year for potential.
"""

from __future__ import annotations

from dataclasses import dataclass

from terraplan.domain.amounts import exact_figure
from terraplan.planning.team_capacity import DEFAULT_HOURS_PER_REP, workload_capacity


@dataclass(frozen=True, slots=True)
class GroupNeed:
    """One group's need. ``group`` is the key (a territory id when grouped by territory or a
    hierarchy level); ``name`` what users call it (the territory's name, else the key)."""

    group: str
    accounts: int
    workload_hours: float
    potential: float
    fte_needed: float
    reps_needed: int
    current_reps: int | None
    name: str = ""
    #: The reps the workload needs and the reps the account limit needs (None: no rep has
    #: a limit); ``fte_needed`` is the larger.
    fte_by_hours: float = 0.0
    fte_by_accounts: float | None = None

    @property
    def binding(self) -> str:
        return _binding(self.fte_by_hours, self.fte_by_accounts)


@dataclass(frozen=True, slots=True)
class MarginalRow:
    """The team at ``reps`` heads (current selling reps -1 / +0 / +1; reps needed when there
    are none): capacity at the chosen utilisation (hours, and accounts where reps have an
    account limit), the most potential it can cover (best potential per hour first, within
    both limits), workload and accounts per rep, the load (the larger of workload per rep /
    hours per rep and accounts per rep / account limit; 1.0: exactly full), and the
    potential gained or lost against the current team."""

    reps: int
    capacity_hours: float
    potential_covered: float
    potential_covered_share: float
    workload_per_rep: float
    load_vs_capacity: float
    delta_potential: float
    capacity_accounts: float | None = None
    accounts_per_rep: float = 0.0


@dataclass(frozen=True, slots=True)
class CapacityReport:
    """Reps needed for the workload at a chosen utilisation and for the reps' account limit.

    A rep's capacity is :mod:`terraplan.planning.team_capacity`'s, the alerts' too:
    ``hours_per_rep`` is the team's average selling hours (each rep's own, else
    ``default_hours_per_rep``), ``effective_hours_per_rep = hours_per_rep * utilization``
    the workload a rep carries, ``accounts_per_rep`` the average account limit (None: no
    rep has one). ``fte_needed`` is the larger of ``fte_by_hours`` and ``fte_by_accounts``
    (fractional; ``binding`` says which), ``reps_needed`` its ceiling. ``marginal`` shows
    one rep fewer / as now / one more.
    """

    hours_per_rep: float
    utilization: float
    total_workload_hours: float
    total_potential: float
    fte_needed: float
    reps_needed: int
    current_reps: int
    group_by: str
    groups: tuple[GroupNeed, ...]
    marginal: tuple[MarginalRow, ...]
    warnings: tuple[str, ...] = ()
    #: Every figure the answer rests on, in words (capacity per rep, where the workload
    #: comes from, the visit model's figures when it was used, hours per account).
    assumptions: tuple[str, ...] = ()
    default_hours_per_rep: float = DEFAULT_HOURS_PER_REP
    accounts_per_rep: float | None = None
    fte_by_hours: float = 0.0
    fte_by_accounts: float | None = None
    total_accounts: int = 0

    @property
    def effective_hours_per_rep(self) -> float:
        return workload_capacity(self.hours_per_rep, self.utilization)

    @property
    def binding(self) -> str:
        """``"accounts"`` when the account limit needs more reps than the workload, else
        ``"hours"``."""
        return _binding(self.fte_by_hours, self.fte_by_accounts)

    def binding_reason(self) -> str:
        """Which limit sets the number of reps, in words, with both needs."""
        hours = (
            f"the workload, {self.total_workload_hours:,.0f} h at "
            f"{self.effective_hours_per_rep:,.0f} h per rep, needs {self.fte_by_hours:,.1f}"
        )
        if self.fte_by_accounts is None or self.accounts_per_rep is None:
            return f"set by the workload ({hours}; no rep has an account limit)"
        accounts = (
            f"{self.total_accounts:,} accounts at {self.accounts_per_rep:,.0f} per rep need "
            f"{self.fte_by_accounts:,.1f}"
        )
        if self.binding == "accounts":
            return f"set by the account limit: {accounts}; {hours}"
        return f"set by the workload: {hours}; {accounts}"

    def rows(self, *, ids: bool = False) -> list[dict[str, object]]:
        """One row per group plus a ``TOTAL`` row, groups by name; ``ids`` adds an ``id``
        column (the territory id) when the groups are territories, for files and joins."""
        keyed = ids and any(g.name and g.name != g.group for g in self.groups)
        rows: list[dict[str, object]] = [
            {
                self.group_by: g.name or g.group,
                **({"id": g.group} if keyed else {}),
                "accounts": g.accounts,
                "workload_hours": exact_figure(g.workload_hours),
                "potential": exact_figure(g.potential),
                "fte_needed": exact_figure(g.fte_needed),
                "reps_needed": g.reps_needed,
                "current_reps": g.current_reps,
                "fte_by_hours": exact_figure(g.fte_by_hours),
                "fte_by_accounts": _figure(g.fte_by_accounts),
                "binding": g.binding,
            }
            for g in self.groups
        ]
        rows.append(
            {
                self.group_by: "TOTAL",
                **({"id": ""} if keyed else {}),
                "accounts": sum(g.accounts for g in self.groups),
                "workload_hours": exact_figure(self.total_workload_hours),
                "potential": exact_figure(self.total_potential),
                "fte_needed": exact_figure(self.fte_needed),
                "reps_needed": self.reps_needed,
                "current_reps": self.current_reps,
                "fte_by_hours": exact_figure(self.fte_by_hours),
                "fte_by_accounts": _figure(self.fte_by_accounts),
                "binding": self.binding,
            }
        )
        return rows

    def marginal_rows(self) -> list[dict[str, object]]:
        return [
            {
                "reps": m.reps,
                "capacity_hours": exact_figure(m.capacity_hours),
                "capacity_accounts": _figure(m.capacity_accounts),
                "accounts_per_rep": exact_figure(m.accounts_per_rep),
                "potential_covered": exact_figure(m.potential_covered),
                "potential_covered_share": exact_figure(m.potential_covered_share),
                "workload_per_rep": exact_figure(m.workload_per_rep),
                "load_vs_capacity": exact_figure(m.load_vs_capacity),
                "delta_potential": exact_figure(m.delta_potential),
            }
            for m in self.marginal
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "hours_per_rep": exact_figure(self.hours_per_rep),
            "default_hours_per_rep": self.default_hours_per_rep,
            "utilization": self.utilization,
            "effective_hours_per_rep": exact_figure(self.effective_hours_per_rep),
            "accounts_per_rep": _figure(self.accounts_per_rep),
            "total_workload_hours": exact_figure(self.total_workload_hours),
            "total_potential": exact_figure(self.total_potential),
            "fte_needed": exact_figure(self.fte_needed),
            "fte_by_hours": exact_figure(self.fte_by_hours),
            "fte_by_accounts": _figure(self.fte_by_accounts),
            "binding": self.binding,
            "binding_reason": self.binding_reason(),
            "reps_needed": self.reps_needed,
            "current_reps": self.current_reps,
            "group_by": self.group_by,
            "groups": self.rows(ids=True)[:-1],
            "marginal": self.marginal_rows(),
            "warnings": list(self.warnings),
            "assumptions": list(self.assumptions),
        }


def _binding(by_hours: float, by_accounts: float | None) -> str:
    return "accounts" if by_accounts is not None and by_accounts > by_hours else "hours"


def _figure(value: float | None) -> float | None:
    return None if value is None else exact_figure(value)
