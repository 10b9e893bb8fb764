from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    http_port: int = 8100
    # Officers' actions go to the services' own HTTP APIs, with the signed-in person's token.
    claims_base_url: str = "http://127.0.0.1:8102"
    enrollment_base_url: str = "http://127.0.0.1:8101"
    notifications_base_url: str = "http://127.0.0.1:8103"
    grievances_base_url: str = "http://127.0.0.1:8105"
    upstream_timeout_seconds: float = 10.0
    # A claim whose last event is older than this, and which is not finished, is listed as stuck.
    stuck_after_seconds: int = 1800
    # A claim this many days (or fewer) from its payment deadline is listed as near it.
    sla_warn_days: int = 1
    # How often pages that watch something refresh themselves (the issue asks for ≤ 5 s).
    refresh_seconds: int = 5
    # Signs the CSRF tokens of forms. Empty: derived from JARING_AUTH_SECRET, or random per
    # process when tokens come from an OIDC issuer (then forms open across a restart fail once).
    session_secret: str = ""
    # Set behind TLS so the session cookie is only ever sent over HTTPS.
    cookie_secure: bool = False
    # Officers sign in through this OpenID Connect issuer (authorization code with PKCE); the
    # local stack's is its Keycloak realm. Empty: no identity provider (pasted tokens only, if allowed).
    oidc_issuer: str = ""
    oidc_client_id: str = "jaring-console"
    oidc_client_secret: str = ""
    # The console's address as browsers reach it (redirect URIs registered at the issuer). Empty:
    # taken from each request; set it in any deployment behind a proxy.
    public_url: str = ""
    # The local demo's sign-in by pasting a role token. Off unless a local stack turns it on.
    allow_pasted_token: bool = False
    # The console publishes no events of its own (replays go straight to their topic), so it
    # runs no outbox relay.
    run_relay: bool = False
    # Where the trace page links a claim's OpenTelemetry trace, `{trace_id}` filled in (Jaeger:
    # http://127.0.0.1:16686/trace/{trace_id}). Empty: the trace id is shown without a link.
    trace_url_template: str = ""
