"""Types for the fields of success answers (response models), shared by every service's HTTP edge.

A response model filters and validates what a handler returns; these keep the wire as it was
before the routes were typed (issue 16).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, PlainSerializer

# A moment as `datetime.isoformat()` writes it ("…+00:00"), as FastAPI answered untyped routes;
# pydantic's own JSON would write "…Z", and clients compare the text.
Instant = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str, when_used="json")]


def one_of(words: Iterable[str], description: str | None = None, *, nullable: bool = False) -> Any:
    """A text field whose values are `words` (a vocabulary from shared/contracts): listed as an
    enum in OpenAPI, not enforced on the answer, so a stored value never turns a read into a 500.
    `nullable` for a `str | None` field: the enum is beside the type, so it must list null too."""
    return Field(description=description, json_schema_extra={"enum": [*words, *([None] if nullable else [])]})
