"""Documents for `check`: JSON Lines or plain text, dicts, strings, LangChain Documents."""

from __future__ import annotations

import io
import json

import pytest
from langchain_core.documents import Document

from selfref import InputError, documents
from selfref.documents import (
    SNIPPET_CHARS,
    CheckDocument,
    parse_input,
    read_batches,
    to_document,
)


def _jsonl(*items: object) -> bytes:
    return "\n".join(json.dumps(i) for i in items).encode()


def test_json_lines_in_order_with_fields() -> None:
    data = _jsonl(
        {"id": "a", "text": "first", "url": "https://e.org/1", "title": "One"},
        {"text": "second"},
        {"id": 3, "text": "third"},
    )
    docs = parse_input(data)
    assert [d.text for d in docs] == ["first", "second", "third"]
    assert docs[0] == CheckDocument(text="first", id="a", url="https://e.org/1", title="One")
    assert docs[1].id is None and docs[1].url is None
    assert docs[2].id == "3"


def test_blank_lines_are_skipped() -> None:
    data = b'\n{"text": "a"}\n\n   \n{"text": "b"}\n'
    assert [d.text for d in parse_input(data)] == ["a", "b"]


def test_plain_text_is_one_document() -> None:
    text = "Grok is a chatbot.\nIt has a second line.\n{not json at all}\n"
    docs = parse_input(text.encode())
    assert len(docs) == 1
    assert docs[0].text == text


def test_text_starting_with_brace_but_not_json_is_plain_text() -> None:
    text = "{this is prose in braces}\nand more prose"
    docs = parse_input(text.encode())
    assert [d.text for d in docs] == [text]


def test_malformed_line_names_its_line_number() -> None:
    data = b'{"text": "ok"}\n\n{"text": "broken"\n'
    with pytest.raises(InputError, match=r"^line 3: not valid JSON"):
        parse_input(data)


def test_line_that_is_json_but_not_an_object() -> None:
    data = b'{"text": "ok"}\n["a", "list"]\n'
    with pytest.raises(InputError, match=r"^line 2: expected a JSON object"):
        parse_input(data)


@pytest.mark.parametrize("second", ['{"id": "x"}', '{"text": 5}', '{"text": null}'])
def test_missing_or_non_string_text(second: str) -> None:
    data = ('{"text": "ok"}\n' + second + "\n").encode()
    with pytest.raises(InputError, match=r"^line 2: needs a string 'text' field"):
        parse_input(data)


def test_non_utf8_bytes_become_replacement_characters() -> None:
    data = b"Grok said caf\xe9 \xff\xfe then stopped"
    docs = parse_input(data)
    assert len(docs) == 1
    assert "\ufffd" in docs[0].text
    assert docs[0].text.startswith("Grok said caf")
    assert docs[0].content_hash  # hashable, no crash


def test_non_utf8_inside_json_lines() -> None:
    data = b'{"text": "caf\xe9 ok"}\n{"text": "two"}\n'
    docs = parse_input(data)
    assert [d.text for d in docs] == ["caf\ufffd ok", "two"]


def test_bom_is_stripped_for_json_lines() -> None:
    data = "\ufeff".encode() + _jsonl({"id": "a", "text": "x"}, {"id": "b", "text": "y"})
    docs = parse_input(data)
    assert [d.id for d in docs] == ["a", "b"]


def test_bom_is_stripped_for_plain_text() -> None:
    docs = parse_input("\ufeffhello world".encode())
    assert docs[0].text == "hello world"


def test_empty_input_is_no_document() -> None:
    assert parse_input(b"") == []


# -- to_document ---------------------------------------------------------------------------


def test_to_document_str() -> None:
    assert to_document("hello") == CheckDocument(text="hello")


def test_to_document_bytes_replaces_bad_utf8() -> None:
    assert to_document(b"a\xffb").text == "a\ufffdb"


def test_to_document_dict() -> None:
    doc = to_document({"id": "d1", "text": "t", "url": "https://e.org", "title": "T"})
    assert doc == CheckDocument(text="t", id="d1", url="https://e.org", title="T")


def test_to_document_dict_with_page_content_and_metadata() -> None:
    doc = to_document(
        {"page_content": "t", "metadata": {"source": "https://e.org/s", "title": "S", "id": "m"}}
    )
    assert doc == CheckDocument(text="t", id="m", url="https://e.org/s", title="S")


def test_to_document_dict_without_text_names_position() -> None:
    with pytest.raises(InputError, match="document 4"):
        to_document({"url": "x"}, 3)


def test_to_document_langchain_document() -> None:
    lc = Document(
        page_content="Grok called itself MechaHitler.",
        metadata={"source": "https://news.example.org/a", "title": "A story"},
        id="lc-1",
    )
    doc = to_document(lc)
    assert doc == CheckDocument(
        text="Grok called itself MechaHitler.",
        id="lc-1",
        url="https://news.example.org/a",
        title="A story",
    )


def test_to_document_langchain_document_id_in_metadata() -> None:
    lc = Document(page_content="x", metadata={"id": "meta-id", "url": "https://e.org/u"})
    doc = to_document(lc)
    assert doc.id == "meta-id"
    assert doc.url == "https://e.org/u"
    assert doc.title is None


def test_to_document_rejects_other_types() -> None:
    with pytest.raises(InputError, match="got int"):
        to_document(42)


def test_snippet_is_centred_on_span() -> None:
    text = "a" * 5000 + "MechaHitler" + "b" * 5000
    doc = CheckDocument(text=text)
    snippet = doc.snippet((5000, 5011))
    assert len(snippet) == SNIPPET_CHARS
    assert "MechaHitler" in snippet
    assert doc.snippet() == text[:SNIPPET_CHARS]


def test_json_lines_with_unicode_line_separators_inside_strings() -> None:
    data = "\n".join(
        json.dumps(item, ensure_ascii=False)
        for item in ({"id": "a", "text": "first\u2028second"}, {"id": "b", "text": "x\x85y"})
    ).encode()
    docs = parse_input(data)
    assert [(d.id, d.text) for d in docs] == [("a", "first\u2028second"), ("b", "x\x85y")]


def test_crlf_json_lines() -> None:
    data = b'{"id": "a", "text": "one"}\r\n{"id": "b", "text": "two"}\r\n'
    assert [d.id for d in parse_input(data)] == ["a", "b"]


def test_json_lines_come_in_batches_as_they_are_read() -> None:
    data = _jsonl(*({"id": str(i), "text": f"doc {i}"} for i in range(5)))
    batches = list(read_batches(io.BytesIO(data), batch_size=2))
    assert [[d.id for d in b] for b in batches] == [["0", "1"], ["2", "3"], ["4"]]


def test_a_document_beyond_max_documents_is_refused_naming_its_line() -> None:
    data = _jsonl({"text": "a"}, {"text": "b"}, {"text": "c"})
    batches = read_batches(io.BytesIO(data), batch_size=1, max_documents=2)
    assert [d.text for d in next(batches)] == ["a"]
    assert [d.text for d in next(batches)] == ["b"]
    with pytest.raises(InputError, match=r"line 3: more than 2 documents"):
        next(batches)


def test_overlong_lines_and_plain_text_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "MAX_LINE_BYTES", 40)
    monkeypatch.setattr(documents, "MAX_PLAIN_BYTES", 40)
    data = _jsonl({"text": "short"}, {"text": "x" * 60})
    with pytest.raises(InputError, match=r"line 2: longer than 40 bytes"):
        parse_input(data)
    with pytest.raises(InputError, match=r"plain-text input over 40 bytes"):
        parse_input(b"plain words " * 5)
