#!/usr/bin/env bash
# The explorer page in headless Chromium (tools/explorer_browser_check.py): installs Debian's chromium and
# chromium-driver when missing and Selenium into .venv-selenium (git-ignored), then runs the check.
#
#   bash tools/explorer_browser_check.sh [ARGUS_BINARY] [SHARED_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARGUS="${1:-$ROOT/.build/release/argus}"
SHARED="${2:-$ROOT/../shared}"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >/dev/null 2>&1 \
    || { echo "explorer browser check skipped: chromium and chromium-driver could not be installed"; exit 0; }
fi
VENV="$ROOT/.venv-selenium"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "selenium==${SELENIUM_VERSION:-4.27.1}"
fi
exec "$VENV/bin/python" "$ROOT/tools/explorer_browser_check.py" "$ARGUS" "$SHARED" "${@:3}"
