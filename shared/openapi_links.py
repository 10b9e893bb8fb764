"""OpenAPI links (OpenAPI 3.1 §4.8.20): from what a creation answers to the operations that take
the id it created. Generated clients read them, and schemathesis' stateful run follows them to
call an operation with an id that exists (tests/integration/test_no_server_errors.py).

A link names its target by operationId, FastAPI's generated one (function, path, method);
tests/unit/shared/test_openapi_problems.py checks that each target exists and takes the parameter.
"""

from __future__ import annotations

from typing import Any


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    """A link to `operation_id`; each parameter is read from the answer's body at a JSON pointer
    (`claim_id="claim_id"`, `payee="heir_ids/0"`)."""
    return {
        "operationId": operation_id,
        "parameters": {name: f"$response.body#/{pointer}" for name, pointer in parameters.items()},
    }


def linked(status: int, links: dict[str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """A route's `responses` with the links its success answer carries."""
    return {status: {"links": links}}
