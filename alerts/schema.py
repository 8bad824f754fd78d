"""JSON Schema (draft 2020-12) of the webhook body, as docs/webhook-payload.schema.json."""

from __future__ import annotations

from typing import Any

from selfref.alerts.model import ALERT_TYPES, LEVELS

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
_SCORE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}

_EVIDENCE: dict[str, Any] = {
    "type": "object",
    "description": "One reason for the verdict: what matched, and where.",
    "required": ["kind", "detail"],
    "additionalProperties": False,
    "properties": {
        "kind": {
            "type": "string",
            "description": "alias, persona, key-term, past-behaviour, corpus, rule, ...",
        },
        "detail": {"type": "string", "description": "Rendered from the other fields."},
        "term": {"type": "string", "description": "The matched text or catalog term."},
        "persona": {"type": "string"},
        "incident": {"type": "string", "description": "A catalog incident id."},
        "agent": {"type": "string"},
        "url": {"type": "string"},
        "similarity": {"type": "number"},
        "rule": {"type": "string", "description": "The detection rule that decided."},
        "chunk": {"type": "integer", "minimum": 0},
        "span": {
            "type": "array",
            "description": "Character offsets [start, end) in the document text.",
            "prefixItems": [
                {"type": "integer", "minimum": 0},
                {"type": "integer", "minimum": 0},
            ],
            "items": False,
            "minItems": 2,
        },
    },
}

_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "description": "A flagged document and its verdict.",
    "required": ["id", "url", "title", "level", "score", "categories", "evidence"],
    "additionalProperties": False,
    "properties": {
        "id": _NULLABLE_STRING,
        "url": _NULLABLE_STRING,
        "title": _NULLABLE_STRING,
        "level": {"enum": list(LEVELS)},
        "score": _SCORE,
        "categories": {"type": "array", "items": {"type": "string"}},
        "evidence": {"type": "array", "items": _EVIDENCE},
    },
}

PAYLOAD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:selfref:webhook-payload:v1",
    "title": "selfref webhook payload",
    "description": (
        "Body of a selfref webhook POST (Standard Webhooks: type, timestamp, data). "
        "data.alert_id equals the webhook-id header and is the same on every retry."
    ),
    "type": "object",
    "required": ["type", "timestamp", "data"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": list(ALERT_TYPES)},
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "pattern": "Z$",
            "description": "When the alert was created, ISO 8601 in UTC.",
        },
        "data": {
            "type": "object",
            "required": [
                "alert_id",
                "agent",
                "level",
                "score",
                "event_id",
                "session",
                "query",
                "hits",
                "audit_url",
                "documents",
            ],
            "additionalProperties": False,
            "properties": {
                "alert_id": {"type": "string", "minLength": 1},
                "agent": {"type": "string", "minLength": 1},
                "level": {"enum": list(LEVELS)},
                "score": _SCORE,
                "event_id": {"type": "string"},
                "session": _NULLABLE_STRING,
                "query": _NULLABLE_STRING,
                "hits": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Identical retrievals folded into this alert by dedup.",
                },
                "audit_url": _NULLABLE_STRING,
                "documents": {"type": "array", "items": _DOCUMENT},
            },
        },
    },
}
