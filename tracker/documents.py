"""Documents as agents hand them to `check`: strings, dicts, LangChain Documents, JSON Lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def parse_input(data: bytes) -> list[CheckDocument]:
    """JSON Lines of `{"id"?, "text", "url"?, "title"?}`, else the whole input as one document.

    Input counts as JSON Lines when its first non-blank line is a JSON object; after that
    a malformed line is an InputError naming its line number.
    """
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    # JSON Lines are split on "\n" only: U+2028 and friends may sit raw inside JSON strings.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    first = next((line for line in lines if line.strip()), "")
    if not _is_json_object(first):
        return [CheckDocument(text=text)]
    documents = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise InputError(f"line {number}: expected a JSON object with a 'text' field")
        try:
            documents.append(to_document(item, number - 1))
        except InputError:
            raise InputError(f"line {number}: needs a string 'text' field") from None
    return documents


def _is_json_object(line: str) -> bool:
    if not line.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
