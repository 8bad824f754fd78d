"""Documents as agents hand them to `check`: strings, dicts, LangChain Documents, JSON Lines."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, BinaryIO

from selfref.errors import InputError

SNIPPET_CHARS = 300


@dataclass(frozen=True, slots=True)
class CheckDocument:
    """The parts of a retrieved document that selfref reads and records."""

    text: str
    id: str | None = None
    url: str | None = None
    title: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()

    def snippet(self, around: tuple[int, int] | None = None) -> str:
        """About SNIPPET_CHARS of text, centred on `around` when given."""
        start = self.snippet_start(around)
        return self.text[start : start + SNIPPET_CHARS]

    def snippet_start(self, around: tuple[int, int] | None = None) -> int:
        """Where `snippet(around)` starts in the text."""
        if around is None or len(self.text) <= SNIPPET_CHARS:
            return 0
        return max(0, min(around[0] - SNIPPET_CHARS // 3, len(self.text) - SNIPPET_CHARS))


# Data that is not text, by its first bytes: checking it as text would record nonsense.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x7fELF", "an ELF binary"),
    (b"%PDF-", "a PDF file"),
    (b"\x89PNG\r\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
"""Control characters (not tab, newlines, form feed) and U+FFFD (bytes that were not UTF-8)."""
_TEXT_BYTES = bytes(c for c in range(128) if not _NOT_TEXT.match(chr(c)))
SAMPLE_CHARS = 65_536


def not_text(data: str | bytes) -> str | None:
    """What `data` is when it cannot be text (compressed, binary), else None: a known file
    signature, or more than one character in ten (of its first 64 KiB) a control character
    or undecodable."""
    raw = data[:16].encode("utf-8", "surrogateescape") if isinstance(data, str) else data[:16]
    for magic, what in MAGIC:
        if raw.startswith(magic) and (magic != b"BZh" or raw[4:10] == b"1AY&SY"):
            return what
    sample = data[:SAMPLE_CHARS]
    text = sample.decode("utf-8", "replace") if isinstance(sample, bytes) else sample
    if text.isascii():  # the same count, six times faster: delete the good bytes
        bad = len(text.encode("ascii").translate(None, _TEXT_BYTES))
    else:
        bad = len(_NOT_TEXT.findall(text))
    return "binary data" if bad >= 4 and bad * 10 > len(text) else None


def _require_text(doc: CheckDocument, where: str, raw: Any = None) -> CheckDocument:
    what = (not_text(bytes(raw)) if isinstance(raw, bytes | bytearray) else None) or not_text(
        doc.text
    )
    if what is not None:
        raise InputError(
            f"{where}: is {what}, not text: send its text (decompress or extract it first)"
        )
    return doc


def to_document(item: Any, position: int = 0) -> CheckDocument:
    """Accept a str, bytes, a mapping with `text`, or anything with `page_content`; text
    that is not text (`not_text`) is an InputError naming the document."""
    doc = _to_document(item, position)
    name = f"document {position + 1}" + (f" (id {doc.id!r})" if doc.id else "")
    return _require_text(doc, name, item)


def _to_document(item: Any, position: int) -> CheckDocument:
    if isinstance(item, CheckDocument):
        return item
    if isinstance(item, str):
        return CheckDocument(text=item)
    if isinstance(item, bytes | bytearray):
        return CheckDocument(text=bytes(item).decode("utf-8", errors="replace"))
    if isinstance(item, dict):
        text = item.get("text", item.get("page_content"))
        if not isinstance(text, str):
            raise InputError(f"document {position + 1}: needs a string 'text' field")
        raw_meta = item.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        return CheckDocument(
            text=text,
            id=_opt_str(item.get("id", meta.get("id"))),
            url=_opt_str(item.get("url", meta.get("url", meta.get("source")))),
            title=_opt_str(item.get("title", meta.get("title"))),
        )
    content = getattr(item, "page_content", None)
    if isinstance(content, str):
        meta = getattr(item, "metadata", None) or {}
        return CheckDocument(
            text=content,
            id=_opt_str(getattr(item, "id", None) or meta.get("id")),
            url=_opt_str(meta.get("url") or meta.get("source")),
            title=_opt_str(meta.get("title")),
        )
    raise InputError(
        f"document {position + 1}: expected a string, a dict with 'text' or a LangChain "
        f"Document, got {type(item).__name__}"
    )


def to_documents(items: Iterable[Any]) -> list[CheckDocument]:
    return [to_document(item, i) for i, item in enumerate(items)]


DEFAULT_BATCH = 500
DEFAULT_MAX_DOCUMENTS = 100_000
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_PLAIN_BYTES = 20_000_000


def parse_input(data: bytes) -> list[CheckDocument]:
    """All documents of an input held in memory (see `read_batches`)."""
    return [doc for batch in read_batches(io.BytesIO(data)) for doc in batch]


def read_batches(
    stream: BinaryIO,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_documents: int | None = None,
    name: str = "the input",
) -> Iterator[list[CheckDocument]]:
    """JSON Lines of `{"id"?, "text", "url"?, "title"?}` read as they come, `batch_size`
    documents at a time (memory stays bounded whatever the input's size); else the whole
    input as one document (at most MAX_PLAIN_BYTES).

    Input counts as JSON Lines when its first non-blank line is a JSON object; after that
    a malformed line, a line over MAX_LINE_BYTES or a document beyond `max_documents` is
    an InputError naming its line number (the batches before it were already yielded).
    Input that is not text (`not_text`) is an InputError naming it (`name`); empty input
    yields no document.
    """
    if batch_size < 1:
        raise InputError(f"batch size must be at least 1, got {batch_size}")
    head: list[bytes] = []
    while start := stream.readline(MAX_LINE_BYTES + 1):
        head.append(start)
        if start.strip():
            break
    first = _decode(head[-1], len(head) == 1) if head else ""
    if not _is_json_object(first):
        data = b"".join(head) + stream.read(MAX_PLAIN_BYTES + 1)
        if len(data) > MAX_PLAIN_BYTES:
            raise InputError(
                f"plain-text input over {MAX_PLAIN_BYTES} bytes: send JSON Lines, one "
                "document per line, instead"
            )
        what = not_text(data)
        if what is not None:
            raise InputError(
                f"{name} is {what}, not text: send its text (decompress or extract it "
                "first), as plain text or JSON Lines"
            )
        text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
        if text.strip():  # empty input: no document, nothing checked or recorded
            yield [CheckDocument(text=text)]
        return
    lines = chain(head, iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""))
    batch: list[CheckDocument] = []
    count = 0
    for number, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
        line = _decode(raw, number == 1)
        if not line.strip():
            continue
        count += 1
        if max_documents is not None and count > max_documents:
            raise InputError(
                f"line {number}: more than {max_documents} documents in the input; "
                "raise --max-documents or split the input"
            )
        batch.append(_line_document(line, number))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decode(raw: bytes, first: bool) -> str:
    # JSON Lines are split on "\n" only: U+2028 and friends may sit raw inside JSON strings.
    line = raw.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")
    return line.lstrip("\ufeff") if first else line


def _line_document(line: str, number: int) -> CheckDocument:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {number}: not valid JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise InputError(f"line {number}: expected a JSON object with a 'text' field")
    try:
        doc = _to_document(item, number - 1)
    except InputError:
        raise InputError(f"line {number}: needs a string 'text' field") from None
    return _require_text(doc, f"line {number}" + (f" (id {doc.id!r})" if doc.id else ""))


def _is_json_object(line: str) -> bool:
    if not line.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
