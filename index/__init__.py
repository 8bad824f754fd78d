"""The vector index leaf: chunk, embed, store and search known coverage.

Names load on first use (PEP 562), so naming the embedder registry costs no numpy,
LangChain or Chroma import: a CLI command that needs none of them starts at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selfref.index.chunking import chunk_id, split_text
    from selfref.index.embedder import (
        E5Small4BitEmbedder,
        Embedder,
        EmbedderError,
        LangChainEmbedder,
        MiniLMEmbedder,
        UseMultilingualEmbedder,
        embedder_id,
        embedder_names,
        load_embedder,
        register_embedder,
    )
    from selfref.index.store import (
        ChunkRecord,
        EmbedderMismatchError,
        Hit,
        VectorIndex,
        VectorIndexError,
    )

_MODULES = {
    "selfref.index.chunking": ("chunk_id", "split_text"),
    "selfref.index.embedder": (
        "E5Small4BitEmbedder",
        "Embedder",
        "EmbedderError",
        "LangChainEmbedder",
        "MiniLMEmbedder",
        "UseMultilingualEmbedder",
        "embedder_id",
        "embedder_names",
        "load_embedder",
        "register_embedder",
    ),
    "selfref.index.store": (
        "ChunkRecord",
        "EmbedderMismatchError",
        "Hit",
        "VectorIndex",
        "VectorIndexError",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ChunkRecord",
    "E5Small4BitEmbedder",
    "Embedder",
    "EmbedderError",
    "EmbedderMismatchError",
    "Hit",
    "LangChainEmbedder",
    "MiniLMEmbedder",
    "UseMultilingualEmbedder",
    "VectorIndex",
    "VectorIndexError",
    "chunk_id",
    "embedder_id",
    "embedder_names",
    "load_embedder",
    "register_embedder",
    "split_text",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'selfref.index' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
