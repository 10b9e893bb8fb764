"""Claims' HTTP API, called with the signed-in supervisor's own token: grievances never
changes a claim itself, and never acts with more rights than the person asking."""

from __future__ import annotations

from typing import Any

import httpx

from services.grievances.settings import GrievancesSettings


class ClaimsRefused(Exception):
    """Claims answered with an error (or not at all); nothing was changed there. `detail` is
    claims' sentence; `code` and `errors` its problem document's rule and field errors."""

    def __init__(
        self, status: int, detail: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None
    ):
        self.status, self.detail, self.code, self.errors = status, detail, code, errors
        super().__init__(f"claims answered {status}: {detail}")


async def reopen_claim(settings: GrievancesSettings, authorization: str, claim_id: str, reason: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(base_url=settings.claims_base_url, timeout=settings.claims_timeout_seconds) as c:
            answer = await c.post(
                f"/v1/claims/{claim_id}/reopen", json={"reason": reason}, headers={"Authorization": authorization}
            )
    except httpx.HTTPError as exc:
        raise ClaimsRefused(503, f"claims did not answer ({type(exc).__name__}); nothing was changed") from exc
    if answer.status_code >= 400:
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):  # not a problem document (a proxy's page): its text, cut short
            raise ClaimsRefused(answer.status_code, answer.text[:500])
        errors = body.get("errors")
        raise ClaimsRefused(
            answer.status_code,
            str(body.get("detail") or answer.reason_phrase),
            code=body.get("code"),
            errors=errors if isinstance(errors, list) else None,
        )
    return answer.json()
