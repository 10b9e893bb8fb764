# PostgreSQL from Debian's own package (bookworm: PostgreSQL 15), where no image registry can be
# reached. It reads the official postgres image's settings (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, PGDATA; extra arguments go to `postgres`, e.g.
# `-c fsync=off`), initialises the data directory on the first start and runs as `postgres`.
#   docker build -f deploy/images/postgres.Dockerfile -t jaring-postgres:15-bookworm deploy/images
ARG OS_BASE=jaring-os:bookworm
FROM ${OS_BASE}
ARG PG_MAJOR=15
# No "main" cluster from the package: the entrypoint makes one in PGDATA.
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}" \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/run/postgresql /var/lib/postgresql \
 && chown postgres:postgres /var/run/postgresql /var/lib/postgresql
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH \
    PGDATA=/var/lib/postgresql/${PG_MAJOR}/docker \
    LANG=C.UTF-8
COPY postgres/entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
EXPOSE 5432
VOLUME /var/lib/postgresql
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
  CMD pg_isready -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" || exit 1
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
