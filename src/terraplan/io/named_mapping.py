"""A mapping read already (a stored one, :mod:`terraplan.services.import_mappings`), carrying
the name its messages give it (``mapping 'hubspot-deals'``) where a file's path would be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class NamedMapping(dict[str, Any]):
    def __init__(self, content: Mapping[str, Any], source: str) -> None:
        super().__init__(content)
        self.source = source
