"""What one rep can carry: the one definition team sizing (``terraplan capacity``) and the
rep-capacity alerts both use.

A rep carries two limits. **Hours**: their selling hours per year (their own stored
``capacity_hours``, else the default) times the utilisation, the share of selling hours the
accounts' workload may take (the rest goes to prospecting, admin, training). **Accounts**:
their own ``capacity_accounts``, where stored; without one the rep has no account limit.
Sizing and the alerts once judged hours two ways (1,600 h x 80 % against the full 1,600 h)
and only the alerts knew the account limit, so on the demo sizing said one rep too many
while the alerts found half the team over capacity.

Units: hours per year, accounts as counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from terraplan.domain import Rep

#: Selling hours per rep per year, for a rep with no ``capacity_hours`` of their own.
DEFAULT_HOURS_PER_REP = 1600.0
#: Share of a rep's selling hours the accounts' workload may take.
DEFAULT_UTILIZATION = 0.8

_Hours = TypeVar("_Hours", float, pl.Expr)


def workload_capacity(selling_hours: _Hours, utilization: float) -> _Hours:
    """Hours of account workload a rep with ``selling_hours`` a year can carry (a number, or
    a Polars expression for a column of reps)."""
    return selling_hours * utilization


def own_hours(rep: Rep, default: float) -> float:
    """The rep's selling hours: their own when stored (0 reads as not given, as the alerts
    read it), else ``default``."""
    return float(rep.capacity_hours) if rep.capacity_hours else float(default)


def own_account_limit(rep: Rep) -> int | None:
    """The rep's account limit, None when they have none (0 reads as not given)."""
    return int(rep.capacity_accounts) if rep.capacity_accounts else None


@dataclass(frozen=True, slots=True)
class TeamCapacity:
    """The current selling team's limits, per rep, in the order of the reps given.

    ``hours_per_rep`` and ``accounts_per_rep`` are the team's averages: a team of ``n`` reps
    carries ``n`` times them, which is what the reps carry one by one, so a team size read
    from them agrees with the alerts' rep-by-rep check. With no rep, the default hours.
    """

    selling_hours: tuple[float, ...]
    account_limits: tuple[int | None, ...]
    utilization: float
    default_hours: float
    #: How many reps gave selling hours of their own (the others take the default).
    hours_given: int = 0

    @property
    def reps(self) -> int:
        return len(self.selling_hours)

    @property
    def hours_per_rep(self) -> float:
        if not self.selling_hours:
            return self.default_hours
        return sum(self.selling_hours) / len(self.selling_hours)

    @property
    def workload_hours_per_rep(self) -> float:
        return workload_capacity(self.hours_per_rep, self.utilization)

    @property
    def limited_reps(self) -> int:
        return sum(limit is not None for limit in self.account_limits)

    @property
    def accounts_per_rep(self) -> float | None:
        """Average account limit of the reps that have one (a rep without one counts as a
        typical rep); None when no rep has one."""
        limits = [limit for limit in self.account_limits if limit is not None]
        return sum(limits) / len(limits) if limits else None

    def fte_by_hours(self, workload_hours: float) -> float:
        return workload_hours / self.workload_hours_per_rep

    def fte_by_accounts(self, accounts: int) -> float | None:
        per_rep = self.accounts_per_rep
        return accounts / per_rep if per_rep else None

    def describe_hours(self) -> str:
        """The hours a rep carries, in words (for a report's assumptions)."""
        default = f"{self.default_hours:,.0f}"
        if self.hours_given == 0:
            source = f"{default} selling hours per rep per year"
        elif self.hours_given == self.reps:
            source = f"each rep's own selling hours per year ({self.hours_per_rep:,.0f} on average)"
        else:
            source = (
                f"each rep's own selling hours per year, {default} for the "
                f"{self.reps - self.hours_given:,} of {self.reps:,} reps with none "
                f"({self.hours_per_rep:,.0f} on average)"
            )
        return (
            f"capacity: {source} x {self.utilization:.0%} utilisation = "
            f"{self.workload_hours_per_rep:,.0f} hours of workload per rep, as the alerts judge "
            "each rep"
        )

    def describe_accounts(self) -> str:
        """The account limit, in words."""
        per_rep = self.accounts_per_rep
        if per_rep is None:
            return "account limit: none (no rep has a capacity_accounts), so only hours count"
        share = (
            ""
            if self.limited_reps == self.reps
            else f"; {self.limited_reps:,} of {self.reps:,} reps have one, the others count as "
            "average"
        )
        return (
            f"account limit: each rep's own capacity_accounts, {per_rep:,.0f} accounts per rep on "
            f"average{share}; reps needed are the larger of the workload's and the accounts' need"
        )


def team_capacity(
    reps: Sequence[Rep],
    *,
    hours_per_rep: float = DEFAULT_HOURS_PER_REP,
    utilization: float = DEFAULT_UTILIZATION,
) -> TeamCapacity:
    """The limits of ``reps`` (the selling team): each rep's own hours, else ``hours_per_rep``,
    and own account limit."""
    return TeamCapacity(
        selling_hours=tuple(own_hours(r, hours_per_rep) for r in reps),
        account_limits=tuple(own_account_limit(r) for r in reps),
        utilization=float(utilization),
        default_hours=float(hours_per_rep),
        hours_given=sum(bool(r.capacity_hours) for r in reps),
    )


def load_in_words(row: Mapping[str, Any], utilization: float) -> str:
    """A rep's load against each limit they have, the one nearer its limit first (a
    :func:`terraplan.planning.kpi_balance.rep_capacity` row): "620 accounts of
    450; workload 1,641 h of 1,280 h (80% of 1,600 selling hours)"."""
    if row["hours_utilisation"] is not None:
        hours = (
            f"workload {row['workload']:,.0f} h of {row['workload_capacity']:,.0f} h "
            f"({utilization:.0%} of {row['capacity_hours']:,.0f} selling hours)"
        )
    else:
        hours = f"workload {row['workload']:,.0f} h, no selling hours given"
    if row["accounts_utilisation"] is not None:
        accounts = f"{_accounts(row['account_count'])} of {row['capacity_accounts']:,.0f}"
    else:
        accounts = f"{_accounts(row['account_count'])}, no account limit"
    first_accounts = (row["accounts_utilisation"] or 0.0) > (row["hours_utilisation"] or 0.0)
    return "; ".join((accounts, hours) if first_accounts else (hours, accounts))


def _accounts(count: float) -> str:
    return f"{count:,.0f} account{'' if count == 1 else 's'}"
