"""The vector index leaf: chunk, embed, store and search known coverage."""

from index.chunking import chunk_id, split_text
from index.embedder import (
    Embedder,
    EmbedderError,
    LangChainEmbedder,
    MiniLMEmbedder,
    embedder_names,
    load_embedder,
    register_embedder,
)
from index.store import ChunkRecord, EmbedderMismatchError, Hit, VectorIndex, VectorIndexError

__all__ = [
    "ChunkRecord",
    "Embedder",
    "EmbedderError",
    "EmbedderMismatchError",
    "Hit",
    "LangChainEmbedder",
    "MiniLMEmbedder",
    "VectorIndex",
    "VectorIndexError",
    "chunk_id",
    "embedder_names",
    "load_embedder",
    "register_embedder",
    "split_text",
]
