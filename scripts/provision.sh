#!/usr/bin/env bash
# What `npm start` (prestart) and `npm test` (pretest) need on a bare machine, installed by the project itself and
# quick when it is all there:
#   both:        the pinned Temporal binaries (scripts/provision-temporal.sh) and a Redis answering on REDIS_URL's
#                default, 127.0.0.1:6379 (Debian's redis-server, started without persistence: a dev/test cache);
#                redis-server and redis-cli (redis-tools) also start the store tests' local Redis Cluster.
#   test only:   Debian's chromium (browser tests), docker-compose (the static compose check), openssl (signature
#                interop; the Temporal TLS tests' certificates) and prometheus (promtool, to check the alert rules);
#                Antom's official Python SDK from PyPI into .python-sdk/ (scripts/provision-python-sdk.sh: the
#                sandbox must work with it).
# Debian packages need root (apt-get); without it, the missing ones are named in one line.
# ANTOM_SKIP_PROVISION=1 skips all of it (a machine set up another way).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${ANTOM_SKIP_PROVISION:-0}" = 1 ] && exit 0
purpose=${1:-test}

bash scripts/provision-temporal.sh
[ "$purpose" = test ] && bash scripts/provision-python-sdk.sh

declare -A package_of=([redis-server]=redis-server [redis-cli]=redis-tools)
if [ "$purpose" = test ]; then
  package_of+=([chromium]=chromium [docker-compose]=docker-compose [openssl]=openssl [promtool]=prometheus)
fi
need=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || need+=("${package_of[$command]}")
done
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" != 0 ]; then
    echo "provision: missing Debian packages: ${need[*]} — install them (apt-get install ${need[*]}) or run this as root" >&2
    exit 1
  fi
  echo "provision: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian starts prometheus as a service on install; nothing here wants it running.
  if [[ " ${need[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi
fi

# A REDIS_URL pointing elsewhere is the user's Redis: leave it alone.
if [ -z "${REDIS_URL:-}" ] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "provision: starting Redis on 127.0.0.1:6379 (no persistence)" >&2
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
fi
