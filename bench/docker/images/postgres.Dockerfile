# Stand-in for the postgres image where no container registry is reachable: Debian's
# PostgreSQL 15 and an entrypoint that honours POSTGRES_USER, POSTGRES_PASSWORD and
# POSTGRES_DB as the upstream image does, so @testcontainers/postgresql starts it and waits
# on `pg_isready` as it does upstream.
FROM storage-builder/debian:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
ENTRYPOINT ["sh", "/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
