"""Splitting documents into overlapping chunks with ids that survive a re-crawl."""

from __future__ import annotations

import hashlib


def split_text(text: str, *, chunk_size: int = 1200, overlap: int = 150) -> list[str]:
    """Paragraph-, then sentence-, then word-aware chunks of at most `chunk_size` characters."""
    # LangChain loads here, not with the module: a check of short documents never needs it
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", " ", ""],
    )
    return [chunk for chunk in splitter.split_text(text) if chunk.strip()]


def chunk_id(key: str, position: int) -> str:
    """Stable id of chunk `position` of the document at canonical URL (or key) `key`."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"{digest}:{position}"
