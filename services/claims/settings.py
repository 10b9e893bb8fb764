import hashlib
import hmac

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.claims.domain.sampling import ReviewSampling
from shared.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    http_port: int = 8102
    # The bank's disbursement callback is signed with this key (HMAC-SHA256 of the body).
    bank_callback_secret: str = "local-bank-callback-secret"
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
            key = hmac.new(self.infra.jaring_auth_secret.encode(), b"jaring-claims-review-sample",
                           hashlib.sha256).digest()
        else:
            key = b"jaring-claims-review-sample"
        return ReviewSampling(self.review_sample_rate, self.review_above_rupiah, key)
