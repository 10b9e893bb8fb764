"""Wiring of the console: the fourth service, built like the others (shared.service), that
reads every topic into its own read model and serves operators' and officers' pages.

`name` is the schema and the prefix of the consumer groups: a console started under a
new name rebuilds its read model from the topics (tests use that; `make up` uses
"console").
"""

from __future__ import annotations

from pathlib import Path

from services.console.api import router as api_router
from services.console.consumers import dead_letter_subscriber, index_consumers
from services.console.metrics import dead_letters_standing, lag_standing
from services.console.pages import static_files
from services.console.pages.campaign import router as campaign_router
from services.console.pages.filing import router as filing_router
from services.console.pages.money import router as money_router
from services.console.pages.officers import router as officers_router
from services.console.pages.operators import router as operators_router
from services.console.pages.signin import router as signin_router
from services.console.settings import ConsoleSettings
from shared.service import ServiceSpec


def build_spec(settings: ConsoleSettings | None = None, name: str = "console") -> ServiceSpec:
    settings = settings or ConsoleSettings()
    return ServiceSpec(
        name=name,
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[
            api_router,
            signin_router,
            operators_router,
            filing_router,
            officers_router,
            money_router,
            campaign_router,
            static_files(),
        ],
        consumers=lambda _settings: index_consumers(name),
        subscribers=[dead_letter_subscriber(name)],
        at_scrape=[lag_standing, dead_letters_standing],
    )
