#!/bin/sh
# Installs the Debian libraries Argus builds against when any is missing: with apt-get as root, or through sudo;
# otherwise prints the apt-get line and fails. Used by `make serve`, `make test` and .ci/run.
set -eu
PACKAGES="libopenblas-dev libjpeg-dev libpng-dev libmicrohttpd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev pkg-config"
if command -v pkg-config >/dev/null 2>&1 \
   && pkg-config --exists openblas libjpeg libpng libmicrohttpd zlib libcurl libcrypto 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "Argus needs these Debian packages; install them (as root) and run this again:" >&2
  echo "  sudo apt-get install -y $PACKAGES" >&2
  exit 1
fi
echo "installing: $PACKAGES" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
