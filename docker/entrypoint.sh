#!/bin/sh
# Maps ARGUS_* environment variables to `argus serve` flags (the flag's name, upper-cased, '-' -> '_'),
# then execs argus so that it is the process receiving SIGTERM. Arguments given to the container are
# appended, so they override the environment (e.g. `docker run IMAGE --workers 1`).
#   ARGUS_HOST ARGUS_PORT ARGUS_MODELS ARGUS_WORKERS ARGUS_QUEUE ARGUS_DEADLINE ARGUS_MAX_BODY_MB
#   ARGUS_MAX_EVALUATE_BODY_MB ARGUS_MAX_MEGAPIXELS ARGUS_MAX_IMAGES ARGUS_MAX_CONNECTIONS
#   ARGUS_MAX_CONNECTIONS_PER_IP ARGUS_CONNECTION_TIMEOUT
#   ARGUS_WEIGHTS   one or more checkpoint paths separated by ':' (each becomes --weights PATH)
#   ARGUS_MODEL     one or more manifest names separated by ':' (each becomes --model NAME; weights pulled)
#   ARGUS_QUIET     1/true/yes: --quiet
#   ARGUS_NO_DEFAULT_MODEL  1/true/yes: --no-default-model (never serve the built-in YOLOX-Nano)
#   ARGUS_PROTECT_METRICS   1/true/yes: --protect-metrics (with API keys, /metrics needs a key too)
#   ARGUS_WATCH     1/true/yes: --models "$ARGUS_MODELS" --watch (load, reload and unload its files while serving)
#   ARGUS_WATCH_INTERVAL
# ARGUS_API_KEY, ARGUS_API_KEY_FILE, ARGUS_ADMIN_KEY and ARGUS_ADMIN_KEY_FILE (mounted secrets) are read by argus
# itself, so a key never appears on a command line.
# An empty variable is left out (the flag's default applies). A models directory without a model file in it is
# left out too, so an image run with no volume and no weights serves the built-in default model.
set -eu

# flag VALUE: append "--flag 'VALUE'" (quoted for the eval below) when VALUE is not empty.
set_args=""
flag() { [ -n "$2" ] && set_args="$set_args $1 '$(printf '%s' "$2" | sed "s/'/'\\\\''/g")'"; return 0; }
flag --host "${ARGUS_HOST:-}"
flag --port "${ARGUS_PORT:-}"
# The models directory only when it holds a model file (an empty /models means: the built-in model, or the
# ARGUS_WEIGHTS / ARGUS_MODEL ones).
has_checkpoint() {
  for f in "$1"/*.pt "$1"/*.pth "$1"/*.safetensors "$1"/*.onnx; do [ -e "$f" ] && return 0; done
  return 1
}
case "${ARGUS_WATCH:-}" in 1|true|TRUE|yes|YES) watch=1 ;; *) watch=0 ;; esac
# A watched directory is followed even while empty: models may be dropped into it later.
if [ -n "${ARGUS_MODELS:-}" ] && { [ "$watch" = 1 ] || has_checkpoint "$ARGUS_MODELS"; }; then
  flag --models "$ARGUS_MODELS"
  if [ "$watch" = 1 ]; then set_args="$set_args --watch"; fi
fi
flag --watch-interval "${ARGUS_WATCH_INTERVAL:-}"
if [ -n "${ARGUS_WEIGHTS:-}" ]; then
  old_ifs=$IFS; IFS=:
  for w in $ARGUS_WEIGHTS; do IFS=$old_ifs; flag --weights "$w"; IFS=:; done
  IFS=$old_ifs
fi
if [ -n "${ARGUS_MODEL:-}" ]; then
  old_ifs=$IFS; IFS=:
  for m in $ARGUS_MODEL; do IFS=$old_ifs; flag --model "$m"; IFS=:; done
  IFS=$old_ifs
fi
flag --workers "${ARGUS_WORKERS:-}"
flag --queue "${ARGUS_QUEUE:-}"
flag --deadline "${ARGUS_DEADLINE:-}"
flag --max-body-mb "${ARGUS_MAX_BODY_MB:-}"
flag --max-evaluate-body-mb "${ARGUS_MAX_EVALUATE_BODY_MB:-}"
flag --max-megapixels "${ARGUS_MAX_MEGAPIXELS:-}"
flag --max-images "${ARGUS_MAX_IMAGES:-}"
flag --max-connections "${ARGUS_MAX_CONNECTIONS:-}"
flag --max-connections-per-ip "${ARGUS_MAX_CONNECTIONS_PER_IP:-}"
flag --connection-timeout "${ARGUS_CONNECTION_TIMEOUT:-}"
case "${ARGUS_QUIET:-}" in 1|true|TRUE|yes|YES) set_args="$set_args --quiet" ;; esac
case "${ARGUS_NO_DEFAULT_MODEL:-}" in 1|true|TRUE|yes|YES) set_args="$set_args --no-default-model" ;; esac
case "${ARGUS_PROTECT_METRICS:-}" in 1|true|TRUE|yes|YES) set_args="$set_args --protect-metrics" ;; esac

# The environment's flags first, then the container's arguments (argument parsing keeps the last value).
eval "set -- serve $set_args \"\$@\""
exec /usr/local/bin/argus "$@"
