from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from tests.conftest import TerraplanCli

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(terraplan_cli: TerraplanCli) -> RunCli:
    """The real ``terraplan`` command (in this process, see ``terraplan_cli``) against a
    SQLite file in tmp_path unless ``database_url`` names another."""
    return terraplan_cli
