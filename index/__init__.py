"""The vector index leaf: chunk, embed, store and search known coverage."""

from index.chunking import chunk_id, split_text
from index.embedder import (
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
from index.store import ChunkRecord, EmbedderMismatchError, Hit, VectorIndex, VectorIndexError

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
