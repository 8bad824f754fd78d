"""The alert message, its webhook payload and the published JSON Schema."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfref.alerts import PAYLOAD_SCHEMA, Alert, AlertDocument, make_test_alert, new_message_id

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "webhook-payload.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(
    PAYLOAD_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)

text = st.text(max_size=30)
optional_text = st.none() | text
levels = st.sampled_from(["warn", "critical"])
scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def evidence(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": draw(text), "detail": draw(text)}
    if draw(st.booleans()):
        start = draw(st.integers(0, 10_000))
        item["span"] = [start, start + draw(st.integers(0, 500))]
    return item


documents = st.builds(
    AlertDocument,
    id=optional_text,
    url=optional_text,
    title=optional_text,
    level=levels,
    score=scores,
    categories=st.lists(text, max_size=3).map(tuple),
    evidence=st.lists(evidence(), max_size=3).map(tuple),
)

alerts = st.builds(
    Alert,
    id=st.text("0123456789abcdef", min_size=1, max_size=32).map(lambda h: "msg_" + h),
    type=st.sampled_from(["retrieval.flagged", "selfref.test"]),
    agent=text.filter(bool),
    level=levels,
    score=scores,
    event_id=text,
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]),
    ),
    session=optional_text,
    query=optional_text,
    documents=st.lists(documents, max_size=3).map(tuple),
    hits=st.integers(1, 1000),
    audit_url=optional_text,
)


@given(alerts)
def test_payload_round_trips_through_json(alert: Alert) -> None:
    payload = json.loads(json.dumps(alert.to_payload()))
    assert Alert.from_payload(payload) == alert


@given(alerts)
def test_payload_validates_against_published_schema(alert: Alert) -> None:
    VALIDATOR.validate(alert.to_payload())


def test_payload_follows_standard_webhooks_shape(make_alert: Callable[..., Alert]) -> None:
    alert = make_alert(created_at=datetime(2025, 7, 9, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    payload = alert.to_payload()
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "retrieval.flagged"
    assert payload["timestamp"] == "2025-07-09T12:00:00.000000Z"
    assert payload["data"]["alert_id"] == alert.id
    assert payload["data"]["documents"][0]["evidence"][0] == {
        "kind": "persona",
        "detail": "MechaHitler",
        "span": [10, 21],
    }


def test_schema_file_in_docs_matches_the_dict() -> None:
    jsonschema.Draft202012Validator.check_schema(PAYLOAD_SCHEMA)
    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == PAYLOAD_SCHEMA, (
        "docs/webhook-payload.schema.json is stale; regenerate it with: python -c "
        '"import json; from selfref.alerts.schema import PAYLOAD_SCHEMA; print(json.dumps('
        'PAYLOAD_SCHEMA, indent=2))" > docs/webhook-payload.schema.json'
    )


def test_schema_rejects_a_local_timestamp(make_alert: Callable[..., Alert]) -> None:
    payload = make_alert().to_payload()
    payload["timestamp"] = "2025-07-09T14:00:00+02:00"
    assert not VALIDATOR.is_valid(payload)


def test_message_ids_are_unique_and_sort_by_time() -> None:
    ids = [new_message_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(re.fullmatch(r"msg_[0-9a-f]{32}", i) for i in ids)
    assert [i[:16] for i in ids] == sorted(i[:16] for i in ids)


def test_test_alert_is_marked() -> None:
    alert = make_test_alert("grok", now=datetime(2025, 1, 1, tzinfo=UTC))
    assert alert.is_test and alert.type == "selfref.test"
    assert "TEST" in (alert.documents[0].title or "")
    VALIDATOR.validate(alert.to_payload())


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"type": "retrieval.maybe"}, "type"),
        ({"level": "notice"}, "level"),
        ({"score": 1.5}, "score"),
        ({"score": float("nan")}, "score"),
        ({"created_at": datetime(2025, 1, 1)}, "created_at"),
        ({"hits": 0}, "hits"),
        ({"agent": ""}, "agent"),
        ({"id": ""}, "id"),
    ],
)
def test_bad_fields_are_named(
    make_alert: Callable[..., Alert], overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        make_alert(**overrides)


@pytest.mark.parametrize(
    "item",
    [
        {"kind": "alias"},
        {"kind": "alias", "detail": "x", "span": [1]},
        {"kind": "alias", "detail": "x", "span": [-1, 2]},
        {"kind": "alias", "detail": "x", "where": "title"},
    ],
)
def test_bad_evidence_is_refused(item: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="evidence"):
        AlertDocument(id="d", url=None, title=None, level="warn", score=0.5, evidence=(item,))


def test_evidence_span_tuple_becomes_a_list() -> None:
    doc = AlertDocument(
        id="d",
        url=None,
        title=None,
        level="warn",
        score=0.5,
        evidence=({"kind": "alias", "detail": "Sydney", "span": (3, 9)},),
    )
    assert doc.evidence[0]["span"] == [3, 9]


def test_payload_example_in_the_docs_is_valid() -> None:
    text = (SCHEMA_FILE.parent / "alerts.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    VALIDATOR.validate(example)
    assert Alert.from_payload(example).to_payload() == example
