"""The services' HTTP APIs, called with the signed-in person's own token: the console
never acts with more rights than the person at the screen, and never reads another
service's tables."""

from __future__ import annotations

from typing import Any

import httpx

from services.console.settings import ConsoleSettings


class UpstreamError(Exception):
    """A service answered with an error (or not at all)."""

    def __init__(self, service: str, status: int, detail: Any):
        self.service = service
        self.status = status
        self.detail = detail
        super().__init__(f"{service} answered {status}: {detail}")

    def field_errors(self) -> dict[str, str]:
        """A 422's errors by field path ("reporter.phone", "documents.ktp_heir"), for showing
        each next to its field; errors without a field come under ""."""
        errors: dict[str, str] = {}
        if self.status != 422 or not isinstance(self.detail, list):
            return errors
        for item in self.detail:
            loc = [str(part) for part in item.get("loc", ()) if part != "body"]
            key = ".".join(loc)
            errors[key] = (errors[key] + "; " if key in errors else "") + str(item.get("msg", ""))
        return errors

    def codes(self) -> dict[str, str]:
        """A 422's rule codes (`type`) by field path, for translated wording."""
        if self.status != 422 or not isinstance(self.detail, list):
            return {}
        return {".".join(str(p) for p in item.get("loc", ()) if p != "body"): str(item.get("type", ""))
                for item in self.detail}


def problem_detail(body: dict[str, Any], text: str) -> Any:
    """What the pages read from a service's problem document (RFC 9457): a 422's field errors (a
    list), a refused rule as {type, msg, existing_id…} (403 four eyes, 409 already claimed), or
    the sentence."""
    if isinstance(body.get("errors"), list):
        return body["errors"]
    if body.get("code"):
        members = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail", "code")}
        return {"type": body["code"], "msg": body.get("detail", ""), **members}
    return body.get("detail", text)


class Upstream:
    def __init__(self, settings: ConsoleSettings, token: str):
        self._settings = settings
        self._headers = {"Authorization": f"Bearer {token}"}

    async def _call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        base = getattr(self._settings, f"{service}_base_url")
        try:
            async with httpx.AsyncClient(base_url=base, headers=self._headers,
                                         timeout=self._settings.upstream_timeout_seconds) as client:
                answer = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(service, 503, f"{service} did not answer: {type(exc).__name__}") from exc
        if answer.status_code >= 400:
            try:
                detail = problem_detail(answer.json(), answer.text)
            except (ValueError, AttributeError):
                detail = answer.text
            raise UpstreamError(service, answer.status_code, detail)
        return answer.json()

    # claims
    async def claim(self, claim_id: str) -> dict[str, Any]:
        return await self._call("claims", "GET", f"/v1/claims/{claim_id}")

    async def claims(self, status: str | None = None, participant_id: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("status", status), ("participant_id", participant_id)) if v}
        return await self._call("claims", "GET", "/v1/claims", params=params)

    async def file_claim(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("claims", "POST", "/v1/claims", json=body)

    async def decide(self, claim_id: str, decision: str, reason: str) -> dict[str, Any]:
        return await self._call("claims", "POST", f"/v1/claims/{claim_id}/decision",
                                json={"decision": decision, "reason": reason})

    async def claimable_participants(self, query: str) -> list[dict[str, Any]]:
        """Participants as claims knows them (its read model): who a claim can be filed for."""
        return await self._call("claims", "GET", "/v1/participants", params={"q": query})

    async def reconciliation_mismatches(self) -> list[dict[str, Any]]:
        return await self._call("claims", "GET", "/v1/reconciliation/mismatches")

    async def follow_ups(self) -> list[dict[str, Any]]:
        return await self._call("claims", "GET", "/v1/follow-ups")

    # enrollment
    async def participants(self, query: str) -> list[dict[str, Any]]:
        return await self._call("enrollment", "GET", "/v1/participants", params={"q": query})

    async def participant(self, participant_id: str) -> dict[str, Any]:
        return await self._call("enrollment", "GET", f"/v1/participants/{participant_id}")

    # notifications
    async def notifications(self, claim_id: str) -> list[dict[str, Any]]:
        return await self._call("notifications", "GET", "/v1/notifications", params={"claim_id": claim_id})

    # grievances
    async def grievances(self, claim_id: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        """Ordered by deadline; a claim's, or every open one (the supervisors' queue)."""
        params: dict[str, Any] = {"claim_id": claim_id} if claim_id else {"status": "open"}
        if overdue:
            params["overdue"] = "true"
        return await self._call("grievances", "GET", "/v1/grievances", params=params)

    # issue 19: the campaign and proactive claims
    async def campaign(self, as_of: str | None = None) -> dict[str, Any]:
        return await self._call("enrollment", "GET", "/v1/campaign", params={"as_of": as_of} if as_of else {})

    async def proactive_claims(self) -> dict[str, Any]:
        return await self._call("claims", "GET", "/v1/proactive-claims")

    async def home_visits(self) -> list[dict[str, Any]]:
        return await self._call("claims", "GET", "/v1/proactive-claims/home-visits")
