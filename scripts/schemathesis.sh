#!/usr/bin/env bash
# Property-based API testing: starts `tripdesk demo` on a free loopback port and runs
# schemathesis against its own OpenAPI document (/api/v1/openapi.json) with every check it
# has: server errors; status, content type, headers and body against the document; valid data
# accepted and invalid data refused; authentication not ignored; unsupported methods answered
# 405; resources usable after creation and gone after deletion. Settings (and why) in
# scripts/schemathesis.toml and docs/API-CONFORMANCE.md. Fails on any failure.
#
#   scripts/schemathesis.sh [path/to/tripdesk]        (default: target/debug/tripdesk)
#
# Builds nothing. Uses SQLite in a temporary data dir, or PostgreSQL when
# TRIPDESK_DATABASE_URL is set (then a fresh database is created beside the one named there
# and dropped at the end). Installs the pinned schemathesis (scripts/requirements-
# schemathesis.txt) into a virtualenv under ~/.cache when `st` of that version is missing.
# Extra arguments after the binary go to `st run` (e.g. --max-examples 10 for a quick try,
# --report har to keep every exchange).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${1:-target/debug/tripdesk}"
shift || true
[ -x "$BIN" ] || { echo "schemathesis.sh: no executable at $BIN (cargo build -p tripdesk)" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# --- schemathesis, pinned ---------------------------------------------------------------
REQS=scripts/requirements-schemathesis.txt
WANT="$(sed -n 's/^schemathesis==//p' "$REQS")"
ST=st
if ! command -v st >/dev/null 2>&1 || [ "$(st --version 2>/dev/null | awk '{print $NF}')" != "$WANT" ]; then
  VENV="${TRIPDESK_ST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tripdesk/schemathesis-$WANT}"
  if [ ! -x "$VENV/bin/st" ]; then
    echo "schemathesis.sh: installing schemathesis $WANT into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS"
  fi
  ST="$VENV/bin/st"
fi
echo "schemathesis.sh: $("$ST" --version)"

# --- server -----------------------------------------------------------------------------
WORK="$(mktemp -d -t tripdesk-st.XXXXXX)"
SERVER_PID=""
PG_ADMIN_URL=""
PG_DB=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  if [ $rc -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "--- last lines of the server log ($WORK/server.log)" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

DB_ARGS=()
if [ -n "${TRIPDESK_DATABASE_URL:-}" ]; then
  # postgres://user@host:port/dbname?params → same server, a fresh database of our own.
  url="${TRIPDESK_DATABASE_URL%%\?*}"
  query=""
  [ "$url" != "$TRIPDESK_DATABASE_URL" ] && query="?${TRIPDESK_DATABASE_URL#*\?}"
  server="${url%/*}"
  PG_DB="tripdesk_st_$$_$(date +%s)"
  PG_ADMIN_URL="$server/postgres$query"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB"
  DB_ARGS=(--database-url "$server/$PG_DB$query")
  echo "schemathesis.sh: PostgreSQL database $PG_DB"
fi

env -u TRIPDESK_DATABASE_URL -u TRIPDESK_CONFIG RUST_LOG="${RUST_LOG:-warn}" \
  "$BIN" demo --data-dir "$WORK/data" --addr "127.0.0.1:$PORT" "${DB_ARGS[@]}" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 120); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "schemathesis.sh: the server exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "schemathesis.sh: no /healthz after 60 s" >&2; exit 1; }

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
SESSION="$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"tripdesk-demo"}' | json_field token)"
# An API token, not the session: a generated POST /auth/logout must not end the run's
# authentication.
TOKEN="$(curl -fsS -X POST "$BASE/api/v1/api-tokens" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $SESSION" -d '{"name":"schemathesis"}' | json_field token)"

# --- schemathesis -----------------------------------------------------------------------
# All phases (examples, coverage, fuzzing, stateful), positive and negative data, every
# operation, fixed seed, no example database (a run depends on the seed, not on earlier runs),
# loopback only. 200 examples per operation take about 50 s on 2 cores (debug build);
# ST_MAX_EXAMPLES and ST_SEED override, and extra arguments go to `st run`.
started=$SECONDS
set +e
"$ST" --config-file scripts/schemathesis.toml run "$BASE/api/v1/openapi.json" \
  --url "$BASE" \
  --checks all \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples "${ST_MAX_EXAMPLES:-200}" \
  --seed "${ST_SEED:-20261121}" \
  --generation-database none \
  --workers 2 \
  --request-timeout 20 \
  --no-color \
  "$@"
rc=$?
set -e
echo "schemathesis.sh: st run exited $rc after $((SECONDS - started)) s"
exit $rc
