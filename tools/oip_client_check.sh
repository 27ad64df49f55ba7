#!/usr/bin/env bash
# Checks argus serve's Open Inference Protocol routes with tritonclient (PyPI): see tools/oip_client_check.py.
#
#   bash tools/oip_client_check.sh [ARGUS_BINARY] [IMAGE_DIR]
#
# Creates the venv .venv-tritonclient (git-ignored) on first use. Environment: TRITONCLIENT_VERSION (2.73.0).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARGUS="${1:-$ROOT/.build/release/argus}"
VENV="$ROOT/.venv-tritonclient"
[ -x "$ARGUS" ] || { echo "no argus binary at $ARGUS (swift build -c release)"; exit 2; }
if ! "$VENV/bin/python" -c 'import tritonclient.http, numpy' >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "tritonclient[http]==${TRITONCLIENT_VERSION:-2.73.0}" numpy
fi
exec "$VENV/bin/python" "$ROOT/tools/oip_client_check.py" "$ARGUS" "${@:2}"
