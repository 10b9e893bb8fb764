"""The services' HTTP APIs, called with the signed-in person's own token: the console
never acts with more rights than the person at the screen, and never reads another
service's tables."""

from __future__ import annotations

from typing import Any

import httpx

from services.console.settings import ConsoleSettings

# The services the console calls, each at its `<name>_base_url`.
SERVICES: tuple[str, ...] = ("enrollment", "claims", "notifications", "grievances")
# The flows panel asks every service each refresh: one that hangs must not hold the page long.
QUARANTINE_TIMEOUT_SECONDS = 3.0


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
        return {
            ".".join(str(p) for p in item.get("loc", ()) if p != "body"): str(item.get("type", ""))
            for item in self.detail
        }


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
            async with httpx.AsyncClient(
                base_url=base, headers=self._headers, timeout=self._settings.upstream_timeout_seconds
            ) as client:
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

    # every service's plumbing
    async def outbox_quarantine(self, service: str) -> dict[str, Any]:
        """The events the service's outbox set aside (Kafka refused them), with their reasons."""
        return await self._call(
            service,
            "GET",
            "/v1/outbox/quarantine",
            timeout=min(QUARANTINE_TIMEOUT_SECONDS, self._settings.upstream_timeout_seconds),
        )

    # claims
    async def claim(self, claim_id: str) -> dict[str, Any]:
        return await self._call("claims", "GET", f"/v1/claims/{claim_id}")

    async def claims(
        self,
        status: str | None = None,
        participant_id: str | None = None,
        filed_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            k: v for k, v in (("status", status), ("participant_id", participant_id), ("filed_by", filed_by)) if v
        }
        return await self._call("claims", "GET", "/v1/claims", params=params | {"limit": limit, "offset": offset})

    async def checklist(self) -> dict[str, Any]:
        """The documents each claim type needs, as claims publishes them (its rule, not a copy)."""
        return await self._call("claims", "GET", "/v1/checklist")

    async def check_claim(self, body: dict[str, Any]) -> dict[str, Any]:
        """Filing's dry run: claims' 422 and 409 without writing, and coverage on the incident date."""
        return await self._call("claims", "POST", "/v1/claims/check", json=body)

    async def file_claim(self, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._call("claims", "POST", "/v1/claims", json=body, headers=headers)

    async def decide(self, claim_id: str, decision: str, reason: str) -> dict[str, Any]:
        return await self._call(
            "claims", "POST", f"/v1/claims/{claim_id}/decision", json={"decision": decision, "reason": reason}
        )

    async def withdraw(self, claim_id: str, reason: str) -> dict[str, Any]:
        return await self._call("claims", "POST", f"/v1/claims/{claim_id}/withdrawal", json={"reason": reason})

    async def add_documents(self, claim_id: str, documents: dict[str, str]) -> dict[str, Any]:
        return await self._call("claims", "POST", f"/v1/claims/{claim_id}/documents", json={"documents": documents})

    async def disbursement(self, claim_id: str) -> dict[str, Any]:
        return await self._call("claims", "GET", f"/v1/claims/{claim_id}/disbursement")

    async def record_transfer(
        self, claim_id: str, component: str, payee: str, bank_reference: str, note: str
    ) -> dict[str, Any]:
        """A transfer made by hand, recorded by a supervisor with the bank's reference."""
        return await self._call(
            "claims",
            "POST",
            f"/v1/claims/{claim_id}/disbursement",
            json={"component": component, "payee": payee, "bank_reference": bank_reference, "note": note},
        )

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

    async def lookup_participants(self, nik: str | None = None, phone: str | None = None) -> list[dict[str, Any]]:
        """By full NIK or phone, in a POST body (a NIK never travels in a URL)."""
        return await self._call("enrollment", "POST", "/v1/participants/lookup", json={"nik": nik, "phone": phone})

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
