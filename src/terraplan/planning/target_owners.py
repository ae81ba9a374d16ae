"""Who carries each leaf territory's target, month by month: its primary owners; in months
already begun, whoever owned its accounts then (KPIs credit them with those months' sales);
and with ``+capacity`` whoever owned its accounts in the months before an owner was hired.

A territory's business does not stop while its new owner is not yet there. With
``+capacity`` a rep hired in the period carries nothing before the hire month and ramps
after it, but the territory keeps those months in full (the audit's Northwest
read 0 for January-July and -64 % for the year because its owner was hired on 10 August):
the rep who owned its accounts then carries them (the owner KPIs credit with those months'
sales, from the recorded ownership periods), and what no hired rep owned stays with the
territory with no rep target, as a vacant territory's does. Each such territory is named in
a note with who carries which months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from terraplan.domain import OwnerRole, Rep, Territory
from terraplan.engine import capacity as cap
from terraplan.planning.reps_support import months_between
from terraplan.planning.target_method import TargetMethod

__all__ = ["LeafOwners", "OwnerSpan", "leaf_owners", "mixed_owners_note"]

#: One recorded ownership period of an account: ``(account id, rep id or None, first day,
#: last day or None while open)``.
OwnerSpan = tuple[str, str | None, date, date | None]

#: Territories named one by one in the notes; the rest are counted.
_NOTES = 10


@dataclass(frozen=True, slots=True)
class LeafOwners:
    """Per leaf territory (in ``leaves`` order): ``productivity`` ``(n_leaves,)``, the
    share-weighted productivity of its carriers over the period (1 where vacant);
    ``monthly`` ``(n_leaves, n_months)``, the same month by month (all 1 without
    ``+capacity``); ``owners``, each leaf's ``(rep id, weight)`` pairs, the weight one number
    or ``(n_months,)``. A rep id None is the part no rep carries (it stays with the
    territory)."""

    productivity: np.ndarray
    monthly: np.ndarray
    owners: list[list[tuple[str | None, Any]]]


def leaf_owners(
    nodes: Sequence[Territory],
    leaves: Sequence[int],
    reps: Sequence[Rep] | None,
    how: TargetMethod,
    ramp_months: int,
    months: Sequence[tuple[int, int]],
    warnings: list[str],
    *,
    leaf_accounts: Sequence[Mapping[str, float]] = (),
    owner_spans: Sequence[OwnerSpan] = (),
    as_of: date | None = None,
    labels: Mapping[str, str] | None = None,
) -> LeafOwners:
    """Who carries each leaf's months (see :class:`LeafOwners`).

    ``leaf_accounts``: per leaf, its accounts and their sales in the history window
    (currency), which weigh the accounts' owners where they carry months before a hire (by
    count where the leaf has no sales). ``owner_spans``: the accounts' recorded owners. An
    inactive rep carries only months that began before ``as_of`` (they were there then; not
    after they left). ``labels``: rep id -> name for the notes.
    """
    active = None if reps is None else {r.id: r for r in reps if r.active}
    everyone = {r.id: r for r in reps or ()}
    ramp = cap.ramp_curve(ramp_months)
    firsts = [date(y, m, 1) for y, m in months]
    labels = labels or {}

    def monthly_productivity(rep: Rep | None) -> np.ndarray:
        """``(n_months,)``: 0 before the hire month, the ramp after it, then 1."""
        if rep is None or rep.hire_date is None:
            return np.ones(len(firsts))
        hired = rep.hire_date.replace(day=1)
        ages = [months_between(hired, d) if d >= hired else -1 for d in firsts]
        return np.array([0.0 if a < 0 else ramp[min(a, ramp.size - 1)] for a in ages])

    def carrier_productivity(rep_id: str) -> np.ndarray:
        """A former owner's productivity: 0 where they were not yet hired, or (inactive)
        in months from ``as_of`` on; a rep the data does not know carries nothing."""
        rep = everyone.get(rep_id)
        if rep is None:
            return np.zeros(len(firsts))
        out = monthly_productivity(rep)
        if not rep.active:
            gone = as_of or date.max
            out = np.where([d < gone for d in firsts], out, 0.0)
        return out

    productivity = np.ones(len(leaves))
    monthly = np.ones((len(leaves), len(firsts)))
    owners: list[list[tuple[str | None, Any]]] = []
    vacant: list[str] = []
    covered: list[str] = []
    spans_of = _spans_by_account(owner_spans)
    for k, i in enumerate(leaves):
        listed = [
            o for o in nodes[i].owners
            if o.role is OwnerRole.PRIMARY and (active is None or o.rep_id in active)
        ]  # fmt: skip
        if not listed:
            vacant.append(nodes[i].name)
            owners.append([])
            continue
        shares = np.array([o.share for o in listed])
        if not how.capacity_adjusted:
            prods = np.array(
                [np.mean(monthly_productivity(everyone.get(o.rep_id))) for o in listed]
            )
            productivity[k] = float((prods * shares).sum() / shares.sum())
            pairs: list[tuple[str | None, Any]] = [
                (o.rep_id, float(s) / shares.sum()) for o, s in zip(listed, shares, strict=True)
            ]
            if spans_of and as_of is not None:
                accounts = leaf_accounts[k] if k < len(leaf_accounts) else {}
                begun = np.array([d <= as_of for d in firsts])
                then = _former_owners(accounts, spans_of, firsts, begun)
                pairs, said = _owners_of_the_day(
                    nodes[i].name, pairs, then, carrier_productivity, months, labels, everyone
                )
                covered.extend(said)
            owners.append(pairs)
            continue
        # month by month: a rep hired in May carries nothing before May and a ramp after
        by_month = np.array([monthly_productivity(everyone.get(o.rep_id)) for o in listed])
        weights = shares[:, None] * by_month / shares.sum()  # (owners, months)
        carried: list[tuple[str | None, Any]] = [
            (o.rep_id, w) for o, w in zip(listed, weights, strict=True)
        ]
        # the owners' part of each month before they were hired: the territory's all the same
        gap = (shares[:, None] * (by_month == 0)).sum(axis=0) / shares.sum()
        if gap.any():
            accounts = leaf_accounts[k] if k < len(leaf_accounts) else {}
            former = _former_owners(accounts, spans_of, firsts, gap > 0)
            rest = gap.copy()
            for rep_id, held in former.items():
                prod = carrier_productivity(rep_id)
                part = np.where(prod > 0, held, 0.0)  # not yet hired, or gone: no one's
                if part.any():
                    carried.append((rep_id, gap * part * prod))
                    rest = rest - gap * part
            rest[rest < 1e-9] = 0.0  # the float dust of fractions that add up to 1
            if rest.any():
                carried.append((None, rest))
            unhired = [o for o, row in zip(listed, by_month, strict=True) if (row == 0).any()]
            covered.append(
                _cover_note(
                    nodes[i].name, unhired, everyone, carried[len(listed) :], gap, months, labels
                )
            )
        monthly[k] = np.sum([np.broadcast_to(w, (len(firsts),)) for _, w in carried], axis=0)
        productivity[k] = float(monthly[k].mean())
        owners.append(carried)
    if vacant:
        warnings.append(
            f"{len(vacant)} territory(ies) have no active primary owner (e.g. {vacant[0]!r}); "
            "their targets stay with the territory and no rep gets them"
        )
    warnings.extend(covered[:_NOTES])
    if len(covered) > _NOTES:
        # one line per territory is readable for a few new hires, not for a hiring wave
        warnings.append(
            f"{len(covered) - _NOTES} more territory(ies) keep their months before their "
            "owner's hire the same way (the rep rows say who carries which months)"
        )
    return LeafOwners(productivity, monthly, owners)


def _owners_of_the_day(
    territory: str,
    pairs: list[tuple[str | None, Any]],
    held: Mapping[str, np.ndarray],
    credited: Any,
    months: Sequence[tuple[int, int]],
    labels: Mapping[str, str],
    everyone: Mapping[str, Rep],
) -> tuple[list[tuple[str | None, Any]], list[str]]:
    """A leaf's carriers when other reps than its owners today owned its accounts in months
    of the period already begun (``held``: rep id -> fraction of each month): those months'
    parts go to the reps KPIs credit with their sales (``credited(rep_id)``: 0 in a month
    they were not hired yet, or had left; that part stays with the territory, no rep's), the
    rest to the owners by share. A note says who carries which months."""
    listed = {r for r, _ in pairs}
    others = {r: w for r, w in held.items() if r not in listed and w.any()}
    if not others:
        return pairs, []
    taken = np.sum(list(others.values()), axis=0)
    rest = np.clip(1 - taken, 0.0, 1.0)
    rest[rest < 1e-9] = 0.0  # the float dust of fractions that add up to 1
    out: list[tuple[str | None, Any]] = [(r, w * rest) for r, w in pairs]
    parts = []
    nobody = np.zeros(len(months))
    for rep_id in sorted(others, key=lambda r: labels.get(r, r)):
        part = np.where(credited(rep_id) > 0, others[rep_id], 0.0)
        nobody += others[rep_id] - part
        if part.any():
            out.append((rep_id, part))
            name = labels.get(rep_id) or (everyone[rep_id].name if rep_id in everyone else rep_id)
            parts.append(f"{name} {_ranges(part > 0, months)}")
    if nobody.any():
        out.append((None, nobody))
        parts.append(
            f"no rep {_ranges(nobody > 0, months)} (its owner then was not hired yet, or had left)"
        )
    owners = ", ".join(sorted(labels.get(str(r), str(r)) for r in listed))
    note = (
        f"{territory}: its months owned by other reps than {owners} are carried by the owner "
        f"of its accounts then, whom KPIs credit with their sales: {'; '.join(parts)}"
    )
    return out, [note]


def mixed_owners_note(
    names: Sequence[str],
    carriers: LeafOwners,
    months: Sequence[tuple[int, int]],
    *,
    leaf_accounts: Sequence[Mapping[str, float]],
    owner_spans: Sequence[OwnerSpan],
    labels: Mapping[str, str],
    hires: Mapping[str, date | None],
    as_of: date | None = None,
) -> str | None:
    """Where a leaf's rep target goes to a rep while another rep owned its accounts that
    month (a target period reaching back over a realignment or a change of owner): KPIs
    credit those months' sales to the owner of the day, so by rep attainment compares one
    rep's target with another's revenue. One note naming each such territory (``names``, in
    leaf order) with its months, its target's reps and the owners then; None when none.
    An owner not hired yet in a month (``hires``: rep id -> hire date) is credited nothing
    then, as the KPIs do, so that month mixes nothing of theirs. Only months begun by
    ``as_of`` (all without it) are looked at: a month ahead has no owner of the day yet (the
    plan in force then gives it; next year's draft, activated on 1 January, was said to mix
    its new owners with the reps of the plan it replaces)."""
    spans_of = _spans_by_account(owner_spans)
    every = np.array([as_of is None or date(y, m, 1) <= as_of for y, m in months], dtype=bool)
    ends = [date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1) for y, m in months]
    found: list[str] = []
    for k, carried in enumerate(carriers.owners):
        reps = [(r, np.broadcast_to(w, (len(months),))) for r, w in carried if r is not None]
        if not reps or k >= len(leaf_accounts):
            continue
        firsts = [date(y, m, 1) for y, m in months]
        held = _former_owners(leaf_accounts[k], spans_of, firsts, every)
        flagged = np.zeros(len(months), dtype=bool)
        others: set[str] = set()
        for rep_id, share in held.items():
            carries = next((w for r, w in reps if r == rep_id), np.zeros(len(months)))
            hired = hires.get(rep_id)
            credited = np.array([hired is None or hired <= end for end in ends])
            hit = (share > 0) & (carries <= 0) & credited
            if hit.any():
                flagged |= hit
                others.add(rep_id)
        if not flagged.any():
            continue
        to = sorted({labels.get(r, r) for r, w in reps if (w[flagged] > 0).any()})
        then = sorted(labels.get(r, r) for r in others)
        found.append(
            f"{names[k]} {_ranges(flagged, months)} (target to {', '.join(to) or 'no rep'}; "
            f"{', '.join(then)} owned its accounts then)"
        )
    if not found:
        return None
    more = len(found) - _NOTES
    listed = "; ".join(found[:_NOTES]) + (f"; and {more} more" if more > 0 else "")
    return (
        "by rep, each territory's monthly targets go to its owners today while KPIs credit "
        "each month's sales to the owner of the day, so attainment by rep mixes two reps "
        f"where another rep owned a territory's accounts in months of the period: {listed}"
    )


def _spans_by_account(spans: Sequence[OwnerSpan]) -> dict[str, list[OwnerSpan]]:
    out: dict[str, list[OwnerSpan]] = {}
    for span in spans:
        out.setdefault(span[0], []).append(span)
    return out


def _former_owners(
    accounts: Mapping[str, float],
    spans_of: Mapping[str, Sequence[OwnerSpan]],
    firsts: Sequence[date],
    wanted: np.ndarray,
) -> dict[str, np.ndarray]:
    """Rep id -> ``(n_months,)`` fraction of the leaf its accounts' recorded owner held that
    month (the owner of most of the month's days), weighted by the accounts' sales, by count
    where they have none; only ``wanted`` months. Accounts with no owner recorded add to no
    rep, so the fractions may sum to less than 1."""
    if not accounts:
        return {}
    total = sum(max(v, 0.0) for v in accounts.values())
    weight = {
        a: (max(v, 0.0) / total if total > 0 else 1 / len(accounts)) for a, v in accounts.items()
    }
    out: dict[str, np.ndarray] = {}
    for m in np.flatnonzero(wanted).tolist():
        first = firsts[m]
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        for account, w in weight.items():
            rep_id = _owner_of_month(spans_of.get(account, ()), first, last)
            if rep_id is not None and w > 0:
                out.setdefault(rep_id, np.zeros(len(firsts)))[m] += w
    return out


def _owner_of_month(spans: Sequence[OwnerSpan], first: date, last: date) -> str | None:
    """The owner recorded for the most days from ``first`` to ``last`` (None if none)."""
    days: dict[str, int] = {}
    for _, rep_id, start, end in spans:
        overlap = (min(last, end or last) - max(first, start)).days + 1
        if rep_id is not None and overlap > 0:
            days[rep_id] = days.get(rep_id, 0) + overlap
    return max(days, key=lambda r: days[r]) if days else None


def _cover_note(
    territory: str,
    unhired: Sequence[Any],
    everyone: Mapping[str, Rep],
    former: Sequence[tuple[str | None, Any]],
    gap: np.ndarray,
    months: Sequence[tuple[int, int]],
    labels: Mapping[str, str],
) -> str:
    """What happened to the months before ``unhired`` owners' hire, in names: ``Northwest:
    Gia Hart (hired 2026-08-10) carries nothing before the hire month; the territory keeps
    2026-01 to 2026-07 in full, carried by Cara Diaz (owner of its accounts
    then) 2026-01 to 2026-06; no rep 2026-07``. ``former``: the carriers other than the
    owners (None: no rep)."""
    new = []
    for o in unhired:
        rep = everyone[o.rep_id]  # an owner with a month before the hire has a hire date
        new.append(f"{labels.get(o.rep_id, rep.name)} (hired {rep.hire_date})")
    parts = []
    for rep_id, w in former:
        share = np.broadcast_to(w, gap.shape)
        held = (share > 0) & (gap > 0)
        if rep_id is None:
            parts.append(f"no rep {_ranges(held, months)}")
        else:
            name = labels.get(rep_id) or (everyone[rep_id].name if rep_id in everyone else rep_id)
            parts.append(f"{name} (owner of its accounts then) {_ranges(held, months)}")
    return (
        f"{territory}: {' and '.join(new) or 'its owner'} carries nothing before the hire "
        f"month; the territory keeps {_ranges(gap > 0, months)} in full, carried "
        f"by {'; '.join(parts)}"
    )


def _ranges(flags: np.ndarray, months: Sequence[tuple[int, int]]) -> str:
    """Months flagged, as ``2026-01 to 2026-06, 2026-09``."""
    out: list[str] = []
    run: list[int] = []
    for m in [*np.flatnonzero(flags).tolist(), -2]:
        if run and m != run[-1] + 1:
            a, b = months[run[0]], months[run[-1]]
            text = f"{a[0]:04d}-{a[1]:02d}"
            out.append(text if len(run) == 1 else f"{text} to {b[0]:04d}-{b[1]:02d}")
            run = []
        if m >= 0:
            run.append(m)
    return ", ".join(out)
