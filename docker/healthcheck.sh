#!/bin/bash
# Container HEALTHCHECK: exit 0 only when GET /healthz on the server's port answers HTTP 200.
# Plain bash (/dev/tcp), so the runtime image needs no HTTP client.
set -u
port="${ARGUS_PORT:-8080}"
case "${ARGUS_HOST:-0.0.0.0}" in
  0.0.0.0) host=127.0.0.1 ;;
  ::) host=::1 ;;
  *) host="$ARGUS_HOST" ;;
esac
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 2 status_line <&3 || exit 1
exec 3<&-
case "$status_line" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "healthz: ${status_line:-no answer}" >&2; exit 1 ;;
esac
