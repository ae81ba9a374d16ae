"""Same input, same answer: the figures, lists, exports and designs users see are the same
bytes in two separate processes that differ in hash seed and Polars thread count.

Polars 2 adds a group's floats in the order its threads happen to deliver them and returns a
join's rows in no set order; before sums were made order-independent
(:mod:`terraplan.planning.exact_sums`) and accounts were numbered by id, two runs on the same
database printed balance totals, pace, priorities and KPI growth that differed in the last
digits (``386.20000000000016`` and ``386.2``), and the HTML report labelled a territory's
workload 285 in one run and 286 in the next. Each run here works on its own copy of one
database (the design and ``targets`` write to it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import TerraplanCli, seed_region_plan

import terraplan
from terraplan.domain.user import Role, User
from terraplan.services.users import hash_password
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

PASSWORD = "same answers every time"

#: name -> terraplan arguments; each output is compared byte for byte.
COMMANDS: dict[str, list[str]] = {
    "kpis territory YTD json": ["kpis", "--plan", "P1", "--by", "territory", "-f", "json"],
    "kpis rep 2025 csv": ["kpis", "--plan", "P1", "--by", "rep", "--period", "2025", "-f", "csv"],
    "kpis segment quarter json": ["kpis", "--plan", "P1", "--by", "segment", "--period", "2025Q3", "-f", "json"],
    "kpis industry table": ["kpis", "--plan", "P1", "--by", "industry", "--period", "2025"],
    "balance json": ["kpis", "--plan", "P1", "--balance", "-f", "json"],
    "balance csv": ["kpis", "--plan", "P1", "--balance", "-f", "csv"],
    "alerts json": ["alerts", "--plan", "P1", "-f", "json"],
    "alerts of the copy json": ["alerts", "--plan", "P2", "-f", "json"],
    "priorities csv": ["priorities", "--plan", "P1", "--territory", "{territory}", "-f", "csv"],
    "compare json": ["plans", "compare", "P1", "P2", "-f", "json"],
    "compare csv": ["plans", "compare", "P1", "P2", "-f", "csv", "--moved"],
    "capacity json": ["capacity", "--plan", "P1", "-f", "json"],
    "targets json": ["targets", "--plan", "P1", "-f", "json", "--months"],
    "report": ["report", "--plan", "P1", "--out", "{out}/report.html"],
    "export accounts": ["export", "accounts", "{out}/accounts.csv"],
    "design json": [
        "design", "--units", "counties", "-k", "5", "--states", "CA,NV,OR,AZ",
        "--balance", "potential:10%", "--seed", "1", "--time-limit", "120",
        "--plan-id", "D1", "--out", "{out}/design", "-f", "json",
    ],
    "designed plan json": ["plans", "show", "D1", "-f", "json"],
}  # fmt: skip

#: API paths read after the commands (a planner signed in).
API_PATHS = (
    "/plans/P1/kpis?by=territory&period=YTD",
    "/plans/P1/balance",
    "/plans/P1/alerts",
    "/plans/P1/territories/{territory}/page",
)

#: Runs in a fresh interpreter: argv = database file, output folder, territory id. Prints one
#: JSON object, output name -> text (files written by a command included).
RUNNER = r"""
import contextlib, io, json, re, sys
from pathlib import Path

db_file, out, territory = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
commands, api_paths, password = json.loads(sys.stdin.read())
import os
os.environ["TERRAPLAN_DATABASE_URL"] = "sqlite:///" + db_file
os.environ["COLUMNS"] = "160"
from terraplan.cli import main

def fill(text):
    return text.replace("{out}", str(out)).replace("{territory}", territory)

answers = {}
for name, args in commands.items():
    sys.argv = ["terraplan", *(fill(a) for a in args)]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main.run()
        except SystemExit as exc:
            code = exc.code
    text = f"exit {code}\n{stdout.getvalue()}\n{stderr.getvalue()}".replace(str(out), "OUT")
    answers[name] = re.sub(r'"seconds": [0-9.e-]+', '"seconds": -', text)  # wall-clock time
for path in sorted(out.rglob("*")):
    if path.is_file():
        answers["file " + path.relative_to(out).as_posix()] = path.read_text()

from fastapi.testclient import TestClient
from terraplan.api.app import create_app
from terraplan.config import Settings

settings = Settings(database_url="sqlite:///" + db_file, job_workers=0)
with TestClient(create_app(settings), base_url="https://testserver") as client:
    signed_in = client.post("/auth/login", json={"username": "planner", "password": password})
    client.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    for path in api_paths:
        response = client.get(fill(path))
        answers["GET " + path] = f"{response.status_code}\n{response.text}"
print(json.dumps(answers))
"""


def _answers(
    db_file: Path, out: Path, territory: str, *, hash_seed: str, threads: str
) -> dict[str, str]:
    """Every output of :data:`COMMANDS` and :data:`API_PATHS`, computed in a new process."""
    package_root = str(Path(terraplan.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONHASHSEED": hash_seed,
        "POLARS_MAX_THREADS": threads,
        "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]),
    }
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(db_file), str(out), territory],
        input=json.dumps([COMMANDS, API_PATHS, PASSWORD]),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers: dict[str, str] = json.loads(result.stdout)
    return answers


@pytest.mark.slow
def test_outputs_are_the_same_bytes_in_two_processes(
    tmp_path: Path, terraplan_cli: TerraplanCli
) -> None:
    base = tmp_path / "base.db"
    url = f"sqlite:///{base}"
    db = Database(url)
    migrate.upgrade(db)
    alignment = seed_region_plan(db, n_accounts=1_500, seed=11)
    with UnitOfWork(db) as uow:
        uow.users.add(
            User(username="planner", role=Role.PLANNER),
            hash_password(PASSWORD),
            now=datetime.now(UTC),
        )
        uow.commit()
    db.dispose()
    # a scenario to compare with: P1 with some of its first territory's counties moved
    territories = sorted(set(alignment.values()))
    moved = sorted(c for c, t in alignment.items() if t == territories[0])[:40]
    assert terraplan_cli("plans", "copy", "P1", "--plan-id", "P2", database_url=url).returncode == 0
    edit = terraplan_cli(
        "plans", "move", "P2", "--to", territories[1], "--units", ",".join(moved), database_url=url
    )
    assert edit.returncode == 0, edit.stderr

    runs = []
    for name, hash_seed, threads in (("one", "0", "1"), ("two", "1", "2")):
        db_file = tmp_path / f"{name}.db"
        shutil.copyfile(base, db_file)
        runs.append(
            _answers(db_file, tmp_path / name, territories[0], hash_seed=hash_seed, threads=threads)
        )
    first, second = runs
    assert sorted(first) == sorted(second)
    for name, text in first.items():
        if not name.startswith("file "):
            assert text.startswith(("exit 0", "200")), f"{name}: {text[:500]}"
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, "different bytes in two runs: " + ", ".join(differing)
