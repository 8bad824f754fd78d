"""Documents as agents hand them to `check`: strings, dicts, LangChain Documents, JSON Lines."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, BinaryIO

from tracker.errors import InputError

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


def to_document(item: Any, position: int = 0) -> CheckDocument:
    """Accept a str, bytes, a mapping with `text`, or anything with `page_content`."""
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
) -> Iterator[list[CheckDocument]]:
    """JSON Lines of `{"id"?, "text", "url"?, "title"?}` read as they come, `batch_size`
    documents at a time (memory stays bounded whatever the input's size); else the whole
    input as one document (at most MAX_PLAIN_BYTES).

    Input counts as JSON Lines when its first non-blank line is a JSON object; after that
    a malformed line, a line over MAX_LINE_BYTES or a document beyond `max_documents` is
    an InputError naming its line number (the batches before it were already yielded).
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
        yield [CheckDocument(text=data.decode("utf-8", errors="replace").lstrip("\ufeff"))]
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
        return to_document(item, number - 1)
    except InputError:
        raise InputError(f"line {number}: needs a string 'text' field") from None


def _is_json_object(line: str) -> bool:
    if not line.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
