# Stand-in for the redis image where no container registry is reachable: Debian's Redis 7
# behind the upstream image's entrypoint contract (a bare `redis-server` gets
# `--protected-mode no`, so clients through a published port are let in), logging "Ready to
# accept connections" as @testcontainers/redis waits for.
FROM storage-builder/debian:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
COPY redis-entrypoint.sh /usr/local/bin/redis-entrypoint.sh
WORKDIR /var/lib/redis
USER redis
EXPOSE 6379
ENTRYPOINT ["sh", "/usr/local/bin/redis-entrypoint.sh"]
CMD ["redis-server"]
