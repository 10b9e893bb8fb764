"""The campaign page and its JSON, and the proactive claims' queue with the kelurahan's home-visit
list (issue 19). The console combines what enrollment and claims answer; it computes nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from services.console.domain.campaign import charts, combined
from services.console.pages import page_router, render
from services.console.session import Session, page_session
from services.console.upstream import Upstream

router = page_router()
Officer = Annotated[Session, Depends(page_session("officer", "supervisor"))]


def upstream(request: Request, session: Session) -> Upstream:
    return Upstream(request.app.state.runtime.settings, session.token)


async def _view(request: Request, session: Session, as_of: date | None) -> dict:
    up = upstream(request, session)
    campaign, proactive = await asyncio.gather(up.campaign(as_of.isoformat() if as_of else None), up.proactive_claims())
    return combined(campaign, proactive)


@router.get("/campaign")
async def campaign_page(request: Request, session: Officer, as_of: date | None = None) -> Response:
    view = await _view(request, session, as_of)
    return render(request, "campaign.html", session, view=view, charts=charts(view))


@router.get("/campaign.json")
async def campaign_json(request: Request, session: Officer, as_of: date | None = None) -> Response:
    return JSONResponse(await _view(request, session, as_of))


@router.get("/proactive")
async def proactive_page(request: Request, session: Officer) -> Response:
    up = upstream(request, session)
    queue, visits = await asyncio.gather(up.proactive_claims(), up.home_visits())
    return render(
        request,
        "proactive.html",
        session,
        queue=queue["awaiting_family"],
        visits=visits,
        reported=queue["reported_deaths"],
    )
