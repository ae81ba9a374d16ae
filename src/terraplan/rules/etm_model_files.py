"""The Data Loader files of a Salesforce ETM territory model: their names, their load order,
and reading and writing their CSV text (see :mod:`terraplan.rules.etm_model` for the fields).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from terraplan.rules.etm import ASSOCIATION_FILE, ITEM_FILE, RULE_FILE

MODEL_FILE = "Territory2Model.csv"
TYPE_FILE = "Territory2Type.csv"
TERRITORY_FILE = "Territory2.csv"
USER_FILE = "UserTerritory2Association.csv"
OBJECT_FILE = "ObjectTerritory2Association.csv"
#: Salesforce creates rule items only while the rule's BooleanFilter is empty: rules are
#: loaded without it, then their items, then this update sets the filters.
FILTER_FILE = "ObjectTerritory2AssignmentRule_BooleanFilter.csv"
#: Load order (each file refers only to files before it).
MODEL_FILES = (
    MODEL_FILE,
    TYPE_FILE,
    TERRITORY_FILE,
    USER_FILE,
    OBJECT_FILE,
    RULE_FILE,
    ITEM_FILE,
    FILTER_FILE,
    ASSOCIATION_FILE,
)
REQUIRED_FILES = (TERRITORY_FILE,)


def read_rows(text: str | None) -> list[dict[str, str]]:
    """The rows of a CSV text (header -> cell, both stripped; a BOM is ignored)."""
    if not text:
        return []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def csv_text(header: list[str], rows: Iterable[list[str]]) -> str:
    """CSV text of ``header`` and ``rows`` (``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
