from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    http_port: int = 8102
    # The bank's disbursement callback is signed with this key (HMAC-SHA256 of the body).
    bank_callback_secret: str = "local-bank-callback-secret"
