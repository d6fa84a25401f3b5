#!/bin/sh
# As the upstream image does: a redis-server started without a configuration file listens on
# every address with protected mode off; the container's network is what protects it.
set -eu
if [ "${1:-}" = "redis-server" ]; then
  case "${2:-}" in
    *.conf) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi
exec "$@"
