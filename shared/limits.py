"""Bounds on what a caller may send, shared by every service's HTTP edge.

Every text field of a request model is one of these types: a value too long, or one holding a
NUL byte (PostgreSQL refuses it in text), is a 422 naming the field, never a row written and an
event Kafka later refuses. Request bodies as a whole are capped in shared/service.py.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

ID_MAX = 64  # ids, codes, phone numbers, document numbers
NAME_MAX = 200  # a person's or a place's name, an address line
TEXT_MAX = 2_000  # free text: a cause of death, a decision's reason
LIST_MAX = 50  # entries of a list or mapping in a request (heirs, documents, programs)
LIMIT_MAX = 1_000  # the largest page a list endpoint returns

NUL_RULE = "no_nul_byte"
NUL_MESSAGE = "no_nul_byte: text may not contain a NUL byte (\\u0000)"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError(NUL_RULE, NUL_MESSAGE)
    return value


# Text with a bound of its own (`Field(max_length=…)`): still no NUL byte.
NoNul = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[str, StringConstraints(max_length=ID_MAX), AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX), AfterValidator(_no_nul)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_no_nul)]


def has_nul(text: str) -> bool:
    """True when a URL's path or query (percent-decoded or not) carries a NUL byte."""
    return "\x00" in text or "%00" in text
