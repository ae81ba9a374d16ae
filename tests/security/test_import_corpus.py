"""Hostile import files (CSV, XLSX and Parquet built here): each is refused with a DataError
naming the file and the row/field or the limit, fast, with a short message, and the database is
left exactly as it was (``unchanged`` compares a fingerprint of every table)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from security_corpus import Seeded, assert_clean_refusal

from terraplan.errors import DataError, InvalidParameterError, TerraplanError
from terraplan.services.imports import import_file

pytestmark = pytest.mark.timeout(20)

Build = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    build: Build
    expected: tuple[str, ...]  # fragments the message must hold (place and reason)
    options: tuple[tuple[str, object], ...] = ()
    error: type[TerraplanError] = DataError
    names_file: bool = True  # False when the message names another file (the mapping)


def _table(text: str) -> tuple[list[str], list[list[str | None]]]:
    lines = text.strip("\n").split("\n")
    header = lines[0].split(",")
    rows = [[c if c != "" else None for c in line.split(",")] for line in lines[1:]]
    return header, rows


def text_file(name: str, text: str, fmt: str) -> Build:
    """``text`` (comma-separated, no quoting) as a CSV, XLSX (text cells) or Parquet file."""

    def build(folder: Path) -> Path:
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            path.write_text(text.lstrip("\n"), encoding="utf-8")
            return path
        header, rows = _table(text)
        if fmt == "xlsx":
            book = openpyxl.Workbook()
            sheet = book.active
            assert sheet is not None
            sheet.append(header)
            for row in rows:
                sheet.append(row)
            book.save(path)
        else:
            data = {
                h: pl.Series(h, [r[i] if i < len(r) else None for r in rows], dtype=pl.String)
                for i, h in enumerate(header)
            }
            pl.DataFrame(data).write_parquet(path)
        return path

    return build


def raw_file(name: str, data: bytes) -> Build:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _row(fmt: str) -> str:
    """The place of the second data row in a message: CSV line / sheet row 3, Parquet row 2."""
    return ":2:" if fmt == "parquet" else ":3:"


FORMATS = ("csv", "xlsx", "parquet")

# --- bad rows: kind, header + a good row, the bad row's template, the field named -------------

DATES = ("0000-01-01", "9999-12-31", "1800-06-01", "2024-02-30", "2024-13-01", "yesterday")
DATE_FIELDS = {
    "leads": ("id,company,created_date\nL1,X,2024-01-01\nL2,Y,{v}\n", "created_date"),
    "reps": ("id,name,hire_date\nR7,Ann,2020-01-01\nR8,Bob,{v}\n", "hire_date"),
    "sales_lines": ("id,account_id,date,amount\nS1,A1,2024-01-01,5\nS2,A1,{v},5\n", "date"),
    "opportunities": (
        "id,account_id,created_date,amount,stage\nO1,A1,2024-01-01,5,Open\nO2,A1,{v},5,Open\n",
        "created_date",
    ),
    "targets": (
        "id,period_start,period_end,amount,territory_id\n"
        "T1,2024-01-01,2024-12-31,5,W\nT2,2024-01-01,{v},5,W\n",
        "period_end",
    ),
    "acquisition_costs": (
        "id,territory_id,period_start,period_end,amount\n"
        "C1,W,2024-01-01,2024-12-31,5\nC2,W,{v},2024-12-31,5\n",
        "period_start",
    ),
}

ROW_CASES: list[tuple[str, str, str, str, str]] = [
    # (case id, kind, text, field named, reason fragment)
    (
        "potential-negative",
        "accounts",
        "id,name,potential\nX1,A,5\nX2,B,-5\n",
        "potential",
        "negative",
    ),
    ("potential-text", "accounts", "id,name,potential\nX1,A,5\nX2,B,lots\n", "potential", "number"),
    ("potential-overflow", "accounts", "id,name,potential\nX1,A,5\nX2,B,1e400\n", "potential", ""),
    (
        "potential-400-digits",
        "accounts",
        "id,name,potential\nX1,A,5\nX2,B," + "9" * 400 + "\n",
        "potential",
        "",
    ),
    ("potential-nan", "accounts", "id,name,potential\nX1,A,5\nX2,B,NaN\n", "potential", ""),
    ("potential-inf", "accounts", "id,name,potential\nX1,A,5\nX2,B,-inf\n", "potential", ""),
    ("employees-fraction", "accounts", "id,name,employees\nX1,A,5\nX2,B,2.5\n", "employees", ""),
    (
        "employees-huge",
        "accounts",
        "id,name,employees\nX1,A,5\nX2,B,99999999999999999999999\n",
        "employees",
        "",
    ),
    (
        "latitude-91",
        "accounts",
        "id,name,latitude,longitude\nX1,A,10,10\nX2,B,91,10\n",
        "latitude",
        "outside [-90, 90]",
    ),
    (
        "longitude-200",
        "accounts",
        "id,name,latitude,longitude\nX1,A,10,10\nX2,B,10,200\n",
        "longitude",
        "outside [-180, 180]",
    ),
    ("zip-letters", "accounts", "id,name,postal_code\nX1,A,94107\nX2,B,ABCDE\n", "postal_code", ""),
    ("zip-unknown", "accounts", "id,name,postal_code\nX1,A,94107\nX2,B,99999\n", "postal_code", ""),
    (
        "zip-unknown-lead",
        "leads",
        "id,company,postal_code\nL1,A,94107\nL2,B,99999\n",
        "postal_code",
        "",
    ),
    (
        "zip-letters-rep",
        "reps",
        "id,name,home_postal_code\nR7,A,94107\nR8,B,ABCDE\n",
        "home_postal_code",
        "",
    ),
    (
        "zip-unknown-rep",
        "reps",
        "id,name,home_postal_code\nR7,A,94107\nR8,B,99999\n",
        "home_postal_code",
        "",
    ),
    ("duplicate-id", "accounts", "id,name\nX1,A\nX1,B\n", "id", "duplicate"),
    ("duplicate-rep-id", "reps", "id,name\nR7,A\nR7,B\n", "id", "duplicate"),
    ("missing-name", "accounts", "id,name\nX1,A\nX2,\n", "name", ""),
    ("missing-id", "accounts", "id,name\nX1,A\n,B\n", "id", ""),
    ("unknown-role", "reps", "id,name,role\nR7,A,rep\nR8,B,emperor\n", "role", ""),
    ("unknown-manager", "reps", "id,name,manager_id\nR7,A,M1\nR8,B,NOPE\n", "manager_id", ""),
    (
        "unknown-account-sale",
        "sales_lines",
        "id,account_id,date,amount\nS1,A1,2024-01-01,5\nS2,NOPE,2024-01-01,5\n",
        "account_id",
        "",
    ),
    (
        "unknown-account-opp",
        "opportunities",
        "id,account_id,created_date,amount,stage\nO1,A1,2024-01-01,5,Open\nO2,NOPE,2024-01-01,5,Open\n",
        "account_id",
        "",
    ),
    (
        "bad-boolean",
        "opportunities",
        "id,account_id,created_date,amount,stage,is_won,close_date\nO1,A1,2024-01-01,5,Open,false,\nO2,A1,2024-01-01,5,Won,perhaps,2024-02-01\n",
        "is_won",
        "",
    ),
    (
        "amount-text",
        "sales_lines",
        "id,account_id,date,amount\nS1,A1,2024-01-01,5\nS2,A1,2024-01-01,abc\n",
        "amount",
        "",
    ),
    (
        "amount-overflow",
        "sales_lines",
        "id,account_id,date,amount\nS1,A1,2024-01-01,5\nS2,A1,2024-01-01,1e999\n",
        "amount",
        "",
    ),
    (
        "target-unknown-territory",
        "targets",
        "id,period_start,period_end,amount,territory_id\nT1,2024-01-01,2024-12-31,5,W\nT2,2024-01-01,2024-12-31,5,NOPE\n",
        "territory_id",
        "",
    ),
    (
        "target-amount-negative",
        "targets",
        "id,period_start,period_end,amount,territory_id\nT1,2024-01-01,2024-12-31,5,W\nT2,2024-01-01,2024-12-31,-5,W\n",
        "amount",
        "",
    ),
    (
        "cost-unknown-territory",
        "acquisition_costs",
        "id,territory_id,period_start,period_end,amount\nC1,W,2024-01-01,2024-12-31,5\nC2,NOPE,2024-01-01,2024-12-31,5\n",
        "territory_id",
        "",
    ),
    (
        "capacity-negative",
        "reps",
        "id,name,capacity_hours\nR7,A,100\nR8,B,-100\n",
        "capacity_hours",
        "",
    ),
]


def _row_cases() -> list[object]:
    cases = []
    for kind, (template, field) in DATE_FIELDS.items():
        for value in DATES:
            for fmt in FORMATS:
                case = Case(
                    f"date-{kind}-{value}-{fmt}",
                    kind,
                    text_file(f"{kind}_dates", template.format(v=value), fmt),
                    (_row(fmt), field, value),
                )
                cases.append(pytest.param(case, id=case.id))
    for case_id, kind, text, field, reason in ROW_CASES:
        for fmt in FORMATS:
            case = Case(
                f"{case_id}-{fmt}",
                kind,
                text_file(case_id, text, fmt),
                (_row(fmt), field, reason),
            )
            cases.append(pytest.param(case, id=case.id))
    return cases


# --- whole files: bombs, garbage, encodings ---------------------------------------------------


def _garbage(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _wide_xlsx(folder: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"c{i}" for i in range(2_001)])
    book.save(folder / "wide.xlsx")
    return folder / "wide.xlsx"


def _wide_parquet(folder: Path) -> Path:
    pl.DataFrame({f"c{i}": ["1"] for i in range(2_001)}).write_parquet(folder / "wide.parquet")
    return folder / "wide.parquet"


def _big_cell_parquet(folder: Path) -> Path:
    path = folder / "cell.parquet"
    pl.DataFrame({"id": ["A9"], "name": ["x" * 100_001]}).write_parquet(path)
    return path


def _big_cell_xlsx(folder: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "industry"])
    for column in range(3):  # an XLSX cell holds at most 32,767 characters: spread a bomb
        sheet.append(["A9", "x" * 32_000, "y" * 32_000][: column + 1])
    sheet.append(["A9", "ok", "z" * 32_767])
    book.save(folder / "cells.xlsx")
    return folder / "cells.xlsx"


def _float_names_parquet(value: float, name: str) -> Build:
    def build(folder: Path) -> Path:
        path = folder / f"{name}.parquet"
        pl.DataFrame({"id": [1.0, 2.0], "name": [4711.0, value]}).write_parquet(path)
        return path

    return build


def _fraction_id_parquet(folder: Path) -> Path:
    path = folder / "fraction.parquet"
    pl.DataFrame({"id": [1.0, 2.5], "name": ["A", "B"]}).write_parquet(path)
    return path


def _xlsx_sheet_missing(folder: Path) -> Path:
    return text_file("sheet", "id,name\nX1,A\n", "xlsx")(folder)


def _folder(folder: Path) -> Path:
    (folder / "folder.csv").mkdir()
    return folder / "folder.csv"


def _link_to_folder(folder: Path) -> Path:
    target = folder / "elsewhere"
    target.mkdir()
    os.symlink(target, folder / "link.csv")
    return folder / "link.csv"


BOMB = b"," * 1_000_000
FILE_CASES: list[Case] = [
    Case(
        "header-million-commas",
        "accounts",
        raw_file("bomb.csv", BOMB + b"\n1\n"),
        ("the limit is 2,000",),
    ),
    Case(
        "header-million-semicolons",
        "accounts",
        raw_file("bomb.csv", b";" * 1_000_000 + b"\n1\n"),
        ("the limit is 2,000",),
    ),
    Case(
        "header-million-tabs",
        "reps",
        raw_file("bomb.csv", b"\t" * 1_000_000 + b"\n1\n"),
        ("the limit is 2,000",),
    ),
    Case("header-no-eol", "leads", raw_file("bomb.csv", b"," * 3_000_000), ("the limit is 2,000",)),
    Case(
        "header-huge-name",
        "accounts",
        raw_file("h.csv", b"id,name," + b"h" * 100_001 + b"\n"),
        ("100,000 bytes",),
    ),
    Case(
        "line-bomb",
        "accounts",
        raw_file("line.csv", b"id,name\nA9,Acme\nA8," + b"q" * 1_000_001 + b"\n"),
        ("line 3", "1,000,000 bytes"),
    ),
    Case(
        "field-bomb",
        "accounts",
        raw_file("cell.csv", b"id,name\nA9," + b"x" * 100_001 + b"\n"),
        ("row 2", "'name'", "100,000"),
    ),
    Case(
        "field-bomb-quoted",
        "accounts",
        raw_file("cell.csv", b'id,name\nA9,"' + b"x\n" * 50_001 + b'"\n'),
        ("'name'", "100,000"),
    ),
    Case("wide-xlsx", "accounts", _wide_xlsx, ("2,001 columns", "2,000")),
    Case("wide-parquet", "accounts", _wide_parquet, ("2,001 columns", "2,000")),
    Case("field-bomb-parquet", "accounts", _big_cell_parquet, ("row 1", "'name'", "100,000")),
    Case(
        "float-name-nan",
        "accounts",
        _float_names_parquet(float("nan"), "nan"),
        (":2:", "name", "NaN"),
    ),
    Case(
        "float-name-inf",
        "accounts",
        _float_names_parquet(float("inf"), "inf"),
        (":2:", "name", "inf"),
    ),
    Case(
        "float-name-fraction",
        "accounts",
        _float_names_parquet(12.5, "frac"),
        (":2:", "name", "fractional"),
    ),
    Case("fraction-id", "accounts", _fraction_id_parquet, (":2:", "id", "fractional")),
    Case("garbage-csv", "accounts", raw_file("garbage.csv", _garbage(20_000, 1)), ("garbage.csv",)),
    Case(
        "garbage-csv-reps", "reps", raw_file("garbage.csv", _garbage(50_000, 2)), ("garbage.csv",)
    ),
    Case(
        "garbage-xlsx", "accounts", raw_file("garbage.xlsx", _garbage(20_000, 3)), ("garbage.xlsx",)
    ),
    Case(
        "garbage-parquet",
        "accounts",
        raw_file("garbage.parquet", _garbage(20_000, 4)),
        ("garbage.parquet",),
    ),
    Case(
        "zip-not-xlsx",
        "accounts",
        raw_file("fake.xlsx", b"PK\x03\x04" + _garbage(5_000, 5)),
        ("fake.xlsx",),
    ),
    Case(
        "parquet-magic-only",
        "accounts",
        raw_file("fake.parquet", b"PAR1" + _garbage(100, 6) + b"PAR1"),
        ("fake.parquet",),
    ),
    Case(
        "nul-bytes",
        "accounts",
        raw_file("nul.csv", b"id,name\n" + b"\x00" * 10_000 + b"\n"),
        ("nul.csv",),
    ),
    Case("empty-file", "accounts", raw_file("empty.csv", b""), ("empty.csv",)),
    Case("empty-xlsx-name", "accounts", raw_file("empty.xlsx", b""), ("empty.xlsx",)),
    Case("empty-parquet-name", "accounts", raw_file("empty.parquet", b""), ("empty.parquet",)),
    Case(
        "utf32-csv",
        "accounts",
        raw_file("utf32.csv", "id,name\nA9,Acme\n".encode("utf-32")),
        ("utf32.csv",),
    ),
    Case(
        "latin1-declared-utf8",
        "accounts",
        raw_file("latin1.csv", "id,name\nA9,Müller\n".encode("latin-1")),
        ("latin1.csv",),
        (("encoding", "utf-8"),),
    ),
    Case(
        "unknown-encoding",
        "accounts",
        raw_file("enc.csv", b"id,name\nA9,Acme\n"),
        ("no-such-encoding",),
        (("encoding", "no-such-encoding"),),
    ),
    Case(
        "no-id-column",
        "accounts",
        raw_file("noid.csv", b"name,industry\nAcme,Software\n"),
        ("noid.csv", "id"),
    ),
    Case(
        "no-name-column",
        "accounts",
        raw_file("noname.csv", b"id,industry\nA9,Software\n"),
        ("noname.csv", "name"),
    ),
    # A header alone is a quiet night's delta (nothing imported); as a full export with
    # --close-missing it would close every open account, so it is refused.
    Case(
        "header-only-formula",
        "accounts",
        raw_file("hdr.csv", b"id,name,\"=cmd|' /C calc'!A0\"\n,\n"),
        ("hdr.csv",),
        (("close_missing", True),),
    ),
    Case("missing-sheet", "accounts", _xlsx_sheet_missing, ("Nope",), (("sheet", "Nope"),)),
    Case("sheet-index-out", "accounts", _xlsx_sheet_missing, ("sheet.xlsx",), (("sheet", 7),)),
    Case(
        "unsupported-suffix",
        "accounts",
        raw_file("data.exe", b"MZ" + _garbage(2_000, 8)),
        ("data.exe", "unsupported file type"),
    ),
    Case(
        "unsupported-suffix-json",
        "accounts",
        raw_file("data.json", b'[{"id": "A9"}]'),
        ("data.json",),
    ),
    Case("folder-as-file", "accounts", _folder, ("folder.csv",)),
    Case("link-to-folder", "accounts", _link_to_folder, ("link.csv",)),
    Case("missing-file", "accounts", lambda folder: folder / "missing.csv", ("missing.csv",)),
    Case(
        "unknown-kind",
        "spaceships",
        raw_file("ok.csv", b"id,name\nA9,Acme\n"),
        ("spaceships",),
        error=InvalidParameterError,
        names_file=False,
    ),
    Case("xlsx-32k-cells-over-line", "accounts", _big_cell_xlsx, ("cells.xlsx",)),
    Case(
        "decimal-ambiguous",
        "accounts",
        raw_file("semi.csv", b"id;name;potential\nA9;Acme;1.200\nA8;Beta;3.400\n"),
        ("semi.csv", "potential"),
    ),
]

# --- mapping files: deep nesting, alias bombs, wrong types ------------------------------------


def _mapping_case(case_id: str, name: str, content: str | bytes, expected: tuple[str, ...]) -> Case:
    def build(folder: Path) -> Path:
        (folder / "ok.csv").write_text("Account Name,Key\nAcme,A9\n", encoding="utf-8")
        mapping = folder / name
        mapping.write_bytes(content if isinstance(content, bytes) else content.encode())
        return folder / "ok.csv"

    return Case(
        case_id, "accounts", build, (name, *expected), (("mapping", name),), names_file=False
    )


def _alias_bomb_yaml(levels: int) -> str:
    lines = ["a0: &a0 [name]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


MAPPING_CASES = [
    _mapping_case("mapping-deep-yaml", "deep.yaml", "x: " + "[" * 50_000 + "]" * 50_000, ()),
    _mapping_case(
        "mapping-deep-json", "deep.json", '{"x": ' + "[" * 50_000 + "]" * 50_000 + "}", ()
    ),
    _mapping_case("mapping-deep-dicts", "deepdict.yaml", "a: {" * 5_000 + "}" * 5_000, ()),
    _mapping_case("mapping-alias-bomb", "bomb.yaml", _alias_bomb_yaml(30), ()),
    _mapping_case("mapping-list", "list.yaml", "- Account Name\n- name\n", ()),
    _mapping_case("mapping-scalar", "scalar.yaml", "42\n", ()),
    _mapping_case("mapping-number-values", "num.yaml", "Account Name: 42\n", ()),
    _mapping_case("mapping-nested-values", "nested.yaml", "Account Name: {a: b}\n", ()),
    _mapping_case(
        "mapping-bad-values",
        "values.yaml",
        "columns: {Key: id}\nvalues: {role: [1, 2]}\n",
        ("values",),
    ),
    _mapping_case(
        "mapping-extra-keys", "extra.yaml", "columns: {Key: id}\nvalues: {}\nother: 1\n", ("other",)
    ),
    _mapping_case("mapping-binary", "bin.yaml", _garbage(4_000, 7), ()),
    _mapping_case("mapping-bad-yaml", "bad.yaml", "a: [unclosed\n", ()),
    _mapping_case("mapping-bad-json", "bad.json", '{"a": ', ()),
    _mapping_case(
        "mapping-python-tag", "tag.yaml", "!!python/object/apply:os.system ['true']\n", ()
    ),
    _mapping_case(
        "mapping-unknown-field",
        "field.yaml",
        "Account Name: name\nKey: no_such_field\n",
        ("no_such_field",),
    ),
    _mapping_case("mapping-empty", "empty.yaml", "", ()),
]


def _all_cases() -> list[object]:
    cases = _row_cases()
    cases += [pytest.param(c, id=c.id) for c in FILE_CASES + MAPPING_CASES]
    return cases


@pytest.mark.parametrize("case", _all_cases())
def test_hostile_import_is_refused_cleanly(case: Case, unchanged: Seeded, tmp_path: Path) -> None:
    path = case.build(tmp_path)
    options = {k: (str(tmp_path / v) if k == "mapping" else v) for k, v in case.options}
    with pytest.raises(case.error) as caught:
        import_file(unchanged.db, path, case.kind, **options)  # type: ignore[arg-type]
    message = caught.value.message
    names = [path.name] if case.names_file else []
    assert_clean_refusal(message, *names, *[e for e in case.expected if e], limit=700)
    json.dumps(caught.value.details, default=str)  # details are plain data (the API sends them)
