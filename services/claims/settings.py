import hashlib
import hmac

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.claims.domain.sampling import ReviewSampling
from shared.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    http_port: int = 8102
    # Fraud controls (domain/sampling.py): the share of claims the rules would approve that a
    # supervisor checks first, and the cash payout above which every claim is checked.
    review_sample_rate: float = Field(0.05, ge=0.0, le=1.0)
    review_above_rupiah: int = Field(100_000_000, ge=0)
    # Keys the draw. Empty: derived from JARING_AUTH_SECRET (stable across restarts, so a
    # replay draws the same claims), or a fixed label when tokens come from an OIDC issuer.
    review_sample_key: str = ""

    def review_sampling(self) -> ReviewSampling:
        if self.review_sample_key:
            key = self.review_sample_key.encode()
        elif self.infra.jaring_auth_secret:
            key = hmac.new(
                self.infra.jaring_auth_secret.encode(), b"jaring-claims-review-sample", hashlib.sha256
            ).digest()
        else:
            key = b"jaring-claims-review-sample"
        return ReviewSampling(self.review_sample_rate, self.review_above_rupiah, key)

    # The bank (SNAP API): where it is and the keys it gave the programme. The client secret signs
    # every request to the bank and authenticates the bank's notifications (HMAC-SHA512); there is
    # no default: the service refuses to start without it (`make up` generates one).
    bank_base_url: str = "http://127.0.0.1:8106"
    bank_partner_id: str = "JARING-MAKASSAR"
    bank_channel_id: str = "95221"
    bank_source_account: str = "1200099887766"
    bank_client_secret: str = ""
    bank_timeout_seconds: float = 10.0
    # The disbursement worker (one instance at a time moves money); off for a process that
    # must not call the bank.
    disbursement_worker: bool = True
    disbursement_poll_seconds: float = 1.0
    # Claims whose bank calls are in flight at once (each claim's lines still go one by one), and
    # the bank client's kept-alive connections.
    disbursement_concurrency: int = Field(16, ge=1, le=256)
    # A pending transfer with no notification for this long is asked about by its status.
    disbursement_recheck_seconds: float = 30.0
    # After the money lands, this share of payees (and every payee paid more than Rp 50,000,000)
    # is asked whether it arrived.
    receipt_survey_percent: float = 10.0
    # Proactive death claims (docs/outreach.md): where the family brings the documents (told in
    # the messages), and how often the reminder sweep runs (seconds; 0 = never).
    family_office: str = "Kantor Cabang BPJS Ketenagakerjaan Makassar"
    proactive_sweep_seconds: float = 3600.0
