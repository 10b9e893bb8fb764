from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ClaimsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    http_port: int = 8102
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
    # A pending transfer with no notification for this long is asked about by its status.
    disbursement_recheck_seconds: float = 30.0
    # After the money lands, this share of payees (and every payee paid more than Rp 50,000,000)
    # is asked whether it arrived.
    receipt_survey_percent: float = 10.0
