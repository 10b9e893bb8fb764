from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.grievances.domain.grievance import DEFAULT_RESOLUTION_WORKING_DAYS
from shared.settings import ServiceSettings


class GrievancesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRIEVANCES_", extra="ignore")

    http_port: int = 8105
    # Claims' API: a supervisor reopens a claim's decision through it, with their own token.
    claims_base_url: str = "http://127.0.0.1:8102"
    claims_timeout_seconds: float = 10.0
    # Working days to resolve a grievance, by category (JSON, e.g. {"delay": 3}); defaults in
    # docs/grievances.md. Categories left out keep their default.
    resolution_working_days: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_RESOLUTION_WORKING_DAYS))
    # Supervisors new grievances are shared among (the least loaded first), by their token subject.
    supervisors: list[str] = ["local-supervisor"]
    # Who an overdue grievance is escalated to (the branch head).
    escalation_supervisor: str = "kepala-cabang"
    # How often the overdue sweep runs; 0 turns it off (tests drive it with their own `today`).
    overdue_sweep_seconds: float = 300.0
    # Keys the hashes of one-time codes. Empty: derived from JARING_AUTH_SECRET.
    lookup_secret: str = ""
    # Rate limits of "Lacak Klaim" code requests.
    lookup_per_phone: int = 3
    lookup_per_phone_minutes: int = 15
    lookup_per_client: int = 10
    lookup_per_client_minutes: int = 15
    # Trust X-Forwarded-For's first address as the client's (only behind the city's own proxy).
    trust_forwarded_for: bool = False
