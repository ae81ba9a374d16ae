"""Every ORM module imports first, in a fresh interpreter.

``from terraplan.api.app import create_app`` as a program's first terraplan import (as a
script serving the API does) failed with a circular import: the sign-in throttle imported
the sign-in tables, whose module imported the ORM's base, whose module imported the sign-in
tables back before they existed. The base now lives in a module of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

FIRST_IMPORTS = [
    "from terraplan.api.app import create_app",
    "import terraplan.storage.sign_in_failures",
    "import terraplan.storage.orm_access",
    "import terraplan.storage.orm_deletions",
    "import terraplan.storage.orm_mappings",
]


@pytest.mark.parametrize("statement", FIRST_IMPORTS)
def test_an_orm_module_imports_first(statement: str) -> None:
    check = (
        f"{statement}\n"
        "from terraplan.storage.orm import Base\n"
        "tables = set(Base.metadata.tables)\n"
        "assert {'users', 'api_tokens', 'accounts', 'import_mappings'} <= tables, tables\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
