#!/usr/bin/env bash
# `make local`: the admin API under `chalice local --no-autoreload` (stage local) on PORT, and
# the local engine (Step Functions + S3 on loopback) on LOCAL_SFN_PORT. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
LOCAL_SFN_PORT="${LOCAL_SFN_PORT:-8083}"
PY=.venv/bin/python
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"

READY="$(mktemp -u)"
$PY -m podcasto_local.engine_server --port "$LOCAL_SFN_PORT" --ready-file "$READY" &
ENGINE_PID=$!
trap 'kill "$ENGINE_PID" 2>/dev/null || true; wait "$ENGINE_PID" 2>/dev/null || true; rm -f "$READY"' EXIT
trap 'exit 130' INT TERM

# Wait until the engine serves and has seeded the demo podcast.
for _ in $(seq 1 300); do
  [ -e "$READY" ] && break
  kill -0 "$ENGINE_PID" 2>/dev/null || { echo "the local engine did not start" >&2; exit 1; }
  sleep 0.1
done
[ -e "$READY" ] || { echo "the local engine did not become ready in 30 s" >&2; exit 1; }

export SFN_ENDPOINT_URL="http://127.0.0.1:$LOCAL_SFN_PORT"
export S3_ENDPOINT_URL="http://127.0.0.1:$LOCAL_SFN_PORT"
export STATE_MACHINE_ARN="arn:aws:states:$AWS_REGION:123456789012:stateMachine:podcasto-local"
echo "podcasto admin:    http://127.0.0.1:$PORT/admin   (the admin page: sign in with the API key)"
echo "podcasto API:      http://127.0.0.1:$PORT   (GET /podcasts, POST /podcasts/demo/episodes, ...)"
if [ -z "${PODCASTO_API_KEY:-}" ]; then
  echo "podcasto API key:  podcasto-local-key (the local stage's default; set PODCASTO_API_KEY to change it)"
fi
echo "Step Functions:    $SFN_ENDPOINT_URL   ($STATE_MACHINE_ARN)"
.venv/bin/chalice local --no-autoreload --stage local --host 127.0.0.1 --port "$PORT"
