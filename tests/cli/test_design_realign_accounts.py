"""A realignment's disruption in accounts: `design --from-plan` said "18 units moved
(potential 1.6%)", and a leader counts disruption in accounts changing hands (the audit's
49 accounts, found only by running `plans compare`). It now says how many accounts change
territory and owner, the figures `plans compare` gives."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

RI = ("44001", "44003", "44005", "44007", "44009")  # Rhode Island's five counties


def test_a_realignment_says_the_accounts_it_moves(run_cli: Any, tmp_path: Path) -> None:
    rows = ["Id,Name,BillingState,County FIPS,Potential__c,OwnerId"]
    for i in range(40):
        county = RI[i % len(RI)]
        rows.append(f'001{i:04d},Co {i},Rhode Island,{county},"{1000 + 10 * i:,}",005A')
    (tmp_path / "Account.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "User.csv").write_text("Id,Name\n005A,Ana Ruiz\n005B,Bo Li\n", encoding="utf-8")
    for step in [
        ("import", "reps", "User.csv"),
        ("import", "accounts", "Account.csv"),
        ("design", "--states", "RI", "-k", "2", "--balance", "count:60%", "--out", "p1"),
        ("match", "--plan", "P001", "--apply"),
    ]:
        done = run_cli(*step)
        assert done.returncode == 0, (step, done.stderr)
    with (tmp_path / "p1" / "P001.csv").open(encoding="utf-8") as f:
        first = {r["record_id"]: r["territory_id"] for r in csv.DictReader(f)}
    unit = "44009"
    other = next(t for t in sorted(set(first.values())) if t != first[unit])
    done = run_cli(
        "design", "--states", "RI", "-k", "2", "--from-plan", "P001", "--lock", f"{unit}:{other}"
    )
    assert done.returncode == 0, done.stderr
    compared = json.loads(run_cli("plans", "compare", "P001", "P002", "-f", "json").stdout)
    assert compared["accounts_moved"] >= 8  # 44009's eight accounts at least
    said = " ".join(done.stdout.split())
    assert (
        f"Accounts: {compared['accounts_moved']:,} of 40 change territory, "
        f"{compared['owner_changes']:,} change owner (`terraplan plans compare P001 P002 "
        "--moved` lists them)."
    ) in said
