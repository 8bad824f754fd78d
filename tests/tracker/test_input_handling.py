"""Input that is not text is a clear error naming it; empty input checks and records
nothing (library, CLI and HTTP API)."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from selfref import Tracker
from selfref.api import create_app
from selfref.cli import cli
from selfref.documents import not_text, read_batches, to_documents
from selfref.errors import InputError

TEXT = "Grok called itself MechaHitler in July 2025.\n"


def _binaries() -> list[tuple[bytes, str]]:
    return [
        (gzip.compress(TEXT.encode() * 20, mtime=0), "gzip-compressed data"),
        (Path(sys.executable).resolve().read_bytes()[:200_000], "an ELF binary"),
        (bytes(range(256)) * 50, "binary data"),
    ]


@pytest.mark.parametrize(("data", "what"), _binaries())
def test_not_text_names_what_the_data_is(data: bytes, what: str) -> None:
    assert not_text(data) == what


@pytest.mark.parametrize(
    "text",
    [TEXT, "Tab\tand form\ffeed and one stray \x00 are still text. " * 3, "", "日本語のテキスト"],
)
def test_text_is_text(text: str) -> None:
    assert not_text(text) is None and not_text(text.encode()) is None


def test_plain_input_that_is_not_text_is_an_error_naming_it() -> None:
    data = gzip.compress(TEXT.encode())
    with pytest.raises(InputError, match=r"^notes\.txt\.gz is gzip-compressed data, not text"):
        list(read_batches(io.BytesIO(data), name="notes.txt.gz"))


def test_a_binary_document_is_named_by_position_and_id() -> None:
    binary = (bytes(range(256)) * 8).decode("latin-1")
    with pytest.raises(InputError, match=r"^document 2 \(id 'b'\): is binary data"):
        to_documents([TEXT, {"id": "b", "text": binary}])
    line = b'{"id": "x", "text": "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005"}\n'
    with pytest.raises(InputError, match=r"^line 1 \(id 'x'\): is binary data"):
        list(read_batches(io.BytesIO(line)))


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf\n"])
def test_empty_input_is_no_document(data: bytes) -> None:
    assert list(read_batches(io.BytesIO(data))) == []


def test_checking_no_documents_records_nothing(tracker: Tracker) -> None:
    result = tracker.check("grok", [])
    assert result.event_id is None and result.verdicts == []
    assert tracker.audit(agent="grok") == []


def test_cli_refuses_binary_input_and_records_nothing(
    tracker: Tracker, tmp_path: Path, selfref_home: Path
) -> None:
    runner = CliRunner()
    env = {"SELFREF_HOME": str(selfref_home)}
    archive = tmp_path / "page.html.gz"
    archive.write_bytes(gzip.compress(TEXT.encode()))
    result = runner.invoke(cli, ["check", "--agent", "grok", str(archive)], env=env)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"selfref: error: {archive} is gzip-compressed data, not text: send its text "
        "(decompress or extract it first), as plain text or JSON Lines"
    )
    empty = runner.invoke(cli, ["check", "--agent", "grok"], input=b"", env=env)
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "no document" in empty.stderr
    assert tracker.audit() == []


def test_api_refuses_binary_text_with_422_and_records_no_empty_check(tracker: Tracker) -> None:
    client = TestClient(create_app(tracker))
    binary = (bytes(range(1, 32)) * 20).decode("ascii")
    bad = client.post(
        "/v1/check", json={"agent": "grok", "documents": [{"id": "z", "text": binary}]}
    )
    assert bad.status_code == 422
    assert "document 1 (id 'z'): is binary data" in bad.json()["error"]
    empty = client.post("/v1/check", json={"agent": "grok", "documents": []})
    assert empty.status_code == 200
    assert empty.json()["event_id"] is None and empty.json()["verdicts"] == []
    assert tracker.audit() == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=80))
def test_ascii_text_counts_the_same_bad_characters_as_any_text(text: str) -> None:
    """The byte-level count of ASCII text decides as the general regular expression does."""
    from selfref.documents import _NOT_TEXT

    bad = len(_NOT_TEXT.findall(text))
    expected = "binary data" if bad >= 4 and bad * 10 > len(text) else None
    assert not_text(text) == expected
