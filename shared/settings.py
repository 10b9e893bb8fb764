"""Settings: one object per service, read from the environment.

The infrastructure every service shares (Kafka, PostgreSQL, the auth key) is read
without a prefix; what is the service's own (its HTTP port, its knobs) carries the
service's prefix, e.g. ENROLLMENT_HTTP_PORT.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import HUMAN_TOKEN_HOURS, LOCAL_AUDIENCE, LOCAL_ISSUER


class InfraSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "postgresql://postgres@127.0.0.1:5433/jaring"
    # HS256 key for officers' JWTs. Production may use an OIDC issuer instead (jwks_url).
    jaring_auth_secret: str = ""
    jaring_auth_jwks_url: str | None = None
    # The issuer of the tokens JARING_AUTH_JWKS_URL's keys sign, when it is not JARING_AUTH_ISSUER:
    # the local stack takes its own HS256 tokens (issuer jaring-local) and Keycloak's.
    jaring_auth_oidc_issuer: str | None = None
    # Every token must name this issuer and this audience (shared.auth); the defaults are the
    # local stack's, a deployment sets its own.
    jaring_auth_issuer: str = LOCAL_ISSUER
    jaring_auth_audience: str = LOCAL_AUDIENCE
    # The longest a person's token may live (exp - iat), in hours: one working shift.
    jaring_auth_token_hours: int = HUMAN_TOKEN_HOURS
    # Topic layout when the service creates its topics; on a real cluster use 3+.
    kafka_topic_partitions: int = 3
    kafka_replication_factor: int = 1
    # How long dead letters are kept (milliseconds); 30 days unless set.
    kafka_dead_letter_retention_ms: int = 30 * 24 * 3600 * 1000
    # Copies a write needs before acks=all counts it (topic config min.insync.replicas); unset:
    # 2 when the replication factor is 3 or more, else the cluster's default.
    kafka_min_insync_replicas: int | None = None
    log_level: str = "INFO"


class ServiceSettings(BaseSettings):
    """Subclass per service with `model_config = SettingsConfigDict(env_prefix="NAME_")`."""

    model_config = SettingsConfigDict(extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Bounded retries before a message is dead-lettered.
    handler_max_attempts: int = 3
    handler_backoff_seconds: float = 0.2
    # A message whose prerequisite has not arrived is parked; tried again this often, and
    # dead-lettered after waiting this long.
    parked_retry_seconds: float = 5.0
    prerequisite_wait_seconds: float = 3600.0
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 1.0
    # After a commit wakes the relay, it waits this long so the next commits' events join the
    # same round (measured in docs/benchmarks.md, "CPU per claim"); 0 publishes at once.
    outbox_gather_seconds: float = 0.02
    # Failed tries of one event, while others go through, before it is quarantined.
    outbox_max_attempts: int = 5
    # Largest request body the HTTP edge reads (413 beyond); Kafka's own limit is 1 MiB an event.
    max_body_bytes: int = 1024 * 1024
    db_pool_size: int = 10
    # Records a consumer applies in one transaction (one commit, inbox rows in one statement), at
    # most. More than one fetch brings while the consumer keeps up (its 64 KiB are ~115 of the smallest
    # events): aiokafka fetches no partition whose records a poll left behind, so a poll smaller than
    # the fetch puts its partitions' fetches apart, and a step waits a fetch more, or reads a claim's
    # decision before its filing (another topic). 100 did that at 200 claims/s (docs/benchmarks.md,
    # "Round 20").
    consumer_batch_size: int = 500
    # How often the inbox is pruned of rows no redelivery can need (shared/pruning.py; 0: never),
    # and how many rows one DELETE takes.
    inbox_prune_seconds: float = 3600.0
    inbox_prune_batch: int = 1000
    # Kafka's fetch.max.wait.ms and fetch.min.bytes for every consumer: the broker answers a fetch
    # once this many bytes are there or this long has passed. Waiting up to 100 ms for 64 KiB makes a
    # poll carry a tenth of a second's records, so a claim shares each consumer's transaction, inbox
    # statement and offset commit with the others of that tenth: at 100 claims/s 17.8 -> 14.4 ms of
    # CPU a claim and p99 unchanged; at 200/s sustained where it was not (docs/benchmarks.md,
    # "Round 7"). The price: up to 100 ms a hop when traffic is light. Longer waits hurt: aiokafka
    # sends no second fetch to a broker while one is in flight, so a partition whose records were
    # just consumed waits for the other partitions' fetch (2 s: the verification step fell behind).
    consumer_fetch_max_wait_ms: int = 100
    consumer_fetch_min_bytes: int = 65536
    # How often a consumer group commits its applied records' offsets to Kafka, at most (shared/offsets.py;
    # 0: after every poll). An OffsetCommit a poll was ~0.4 ms of Kafka's CPU a claim at 100 claims/s
    # (docs/benchmarks.md, round 16). A crash leaves up to this much applied and uncommitted: it comes
    # again, and the inbox makes it a duplicate. The console's lag is as old, at most.
    consumer_commit_interval_seconds: float = 1.0
    # Consumers nobody waits on (`Consumer.background`: the console's index, grievances' read
    # models, claims' timeline) take bigger polls: the broker holding a fetch up to 500 ms for 1 MiB.
    # Fewer transactions, fetches and offset commits a claim, for views at most half a second later
    # (docs/benchmarks.md, round 11). Up to 2,500 records a poll, more than such a fetch brings (1 MiB
    # is ~1,800 of the smallest events), for the reason given at consumer_batch_size: with 500,
    # grievances read half the claims' decisions before their filings at 200 claims/s.
    background_consumer_batch_size: int = 2500
    background_consumer_fetch_max_wait_ms: int = 500
    background_consumer_fetch_min_bytes: int = 1024 * 1024
    # Consumers of topics where records are rare (`Consumer.quiet`: participants, a family's texts,
    # grievance notices): the broker answers at the first record and holds an empty fetch this long, so
    # an idle consumer fetches twice a second, not ten times, and a record waits for no batch. Kafka's
    # request threads and waiting fetches were most of its idle CPU (docs/benchmarks.md, round 18).
    quiet_consumer_fetch_max_wait_ms: int = 500
    # The other consumers (a claim's steps), having brought no record for this long, fetch as the quiet
    # ones do until records come again: an idle stack's consumers fetch twice a second, not ten
    # times, and the first record after a lull waits for no batch (shared/fetch_pace.py). 0: never.
    consumer_idle_after_seconds: float = 1.0
    # Which consumers this process runs ("all", "none", or names such as "verification,decisions"),
    # so one step can be scaled or restarted on its own; and whether it runs the outbox relay.
    consumers: str = "all"
    run_relay: bool = True
    infra: InfraSettings = Field(default_factory=InfraSettings)
