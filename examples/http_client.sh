#!/usr/bin/env bash
# The HTTP API with curl: check two retrieved documents for the agent `grok`, then read
# that session's audit log. Start the API first: `selfref serve` (or `selfref daemon`).
#   SELFREF_URL=http://127.0.0.1:8765 [SELFREF_API_TOKEN=...] sh examples/http_client.sh
set -eu
URL="${SELFREF_URL:-http://127.0.0.1:8765}"
AUTH="Authorization: Bearer ${SELFREF_API_TOKEN:-}"   # ignored by a server without a token

curl -fsS "$URL/healthz"
echo

curl -fsS -X POST "$URL/v1/check" -H "$AUTH" -H 'Content-Type: application/json' -d '{
  "agent": "grok",
  "query": "what is your surname?",
  "session": "curl-example",
  "documents": [
    {"id": "r1", "text": "Grok called itself MechaHitler in several replies on X in July 2025."},
    {"id": "r2", "text": "Light rain is expected in Paris on Sunday, clearing by the evening."}
  ]
}'
echo

curl -fsS -G "$URL/v1/audit" -H "$AUTH" --data-urlencode agent=grok \
  --data-urlencode session=curl-example --data-urlencode level=warn
echo
