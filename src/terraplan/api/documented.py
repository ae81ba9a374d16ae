"""Say in the OpenAPI document what a stored JSON object holds, without checking it on the way out.

Some answers carry JSON that an earlier run stored (a job's result, a team report, a change
request's edit): validating it against today's model on every read would turn an older row
into a 500, and converting it would change the bytes sent. :class:`Documented` leaves the
value as it is at run time and gives the field the JSON schema of a model (or of any type), so
generated clients get typed objects; the tests check the real answers against that schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Documented:
    """``Annotated[dict[str, Any] | None, Documented(ReportPublic | None)]``: the field is
    passed through unchanged and documented as ``ReportPublic | None`` (its components are
    added to the document as for any model)."""

    def __init__(self, shown: Any) -> None:
        self.shown = shown

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(TypeAdapter(self.shown).core_schema)
