"""What an id a user gives (a plan's, a territory's) may look like.

An id is part of the API's paths (``/plans/P002/territories/T03``) and of the files the CLI
writes, so it must be one every route can reach. One definition, used by the services that
create plans and territories and by the rule-set parser that declares territories.
"""

from __future__ import annotations

import re

#: What a user-given plan or territory id may look like.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
#: The same, in words (for messages).
ALLOWED_ID = "1-64 letters, digits, '-', '_' or '.', not starting with a dot"


def is_usable_id(text: str) -> bool:
    """Whether ``text`` is an id a user may give (see :data:`ID_PATTERN`)."""
    return ID_PATTERN.fullmatch(text) is not None
