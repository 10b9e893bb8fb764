"""Money pages: what the bank's statement does not agree with, and payees who said the money
did not arrive. Both are claims' (GET /v1/reconciliation/mismatches, /v1/follow-ups), asked
with the signed-in person's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from services.console.pages import page_router, render
from services.console.session import Session, page_session
from services.console.upstream import Upstream

router = page_router()
Watcher = Annotated[Session, Depends(page_session("operator", "supervisor"))]


@router.get("/money")
async def money_page(request: Request, session: Watcher) -> Response:
    api = Upstream(request.app.state.runtime.settings, session.token)
    mismatches = await api.reconciliation_mismatches()
    follow_ups = await api.follow_ups()
    return render(request, "money.html", session, mismatches=mismatches, follow_ups=follow_ups)
