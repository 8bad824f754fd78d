"""The catalog's vectors, shipped in the package so a fresh home is ready at once.

Embedding the catalog's ~460 lines takes about a minute on a small machine. They are
embedded once, when the catalog changes, and shipped: `tracker/data/catalog-vectors/`
holds, per embedder, `<embedder id>.npy` (one float32 row per distinct line) and
`<embedder id>.json` (the embedder id, the catalog key, and each row's text hash).
Rows are found by the hash of their text, so a catalog that changed since the file was
built re-embeds only its changed lines (with progress), and a user's `[[agents]]` lines
are embedded at first use. `tests/tracker/test_catalog_vectors.py` fails while the
shipped file is stale; rebuild it with one command:

    python -m selfref.catalog_vectors
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from selfref.index import Embedder

log = logging.getLogger("selfref.corpus")

SHIPPED_EMBEDDERS = ("minilm",)
"""The embedders whose catalog vectors ship with the package (the default one)."""
_DATA = "data/catalog-vectors"
_BATCH = 16
Progress = Callable[[int, int], None]
"""Called with (done, total) as lines are embedded."""


def text_key(text: str) -> str:
    """The hash a line's vector is found by."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def catalog_key(embedder_id: str, texts: Sequence[str]) -> str:
    """What a vectors file was built from: the embedder and every distinct line."""
    lines = sorted({text_key(t) for t in texts})
    return hashlib.sha256("\n".join([embedder_id, *lines]).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class ShippedVectors:
    """A vectors file: rows by text hash."""

    embedder: str
    key: str
    rows: dict[str, int]
    matrix: np.ndarray


def file_stem(embedder_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_id)


@cache
def shipped(embedder_id: str) -> ShippedVectors | None:
    """The package's vectors for this embedder, or None (another embedder, a damaged file)."""
    import numpy as np

    folder = resources.files("selfref").joinpath(_DATA)
    stem = file_stem(embedder_id)
    try:
        meta = json.loads(folder.joinpath(f"{stem}.json").read_text("utf-8"))
        with folder.joinpath(f"{stem}.npy").open("rb") as f:
            matrix = np.load(f, allow_pickle=False)
    except (OSError, ValueError):
        return None
    texts = meta.get("texts") or []
    if meta.get("embedder") != embedder_id or matrix.shape[0] != len(texts):
        log.warning("shipped catalog vectors for %s are damaged: ignored", embedder_id)
        return None
    rows = {t: i for i, t in enumerate(texts)}
    return ShippedVectors(embedder_id, str(meta.get("key")), rows, matrix)


def vectors_for(
    embedder: Embedder, texts: Sequence[str], progress: Progress | None = None
) -> np.ndarray:
    """One vector per text: the shipped row where there is one, embedded otherwise (in
    batches, calling `progress`, with a log line as it starts and ends)."""
    import numpy as np

    found = shipped(embedder.id)
    rows = found.rows if found is not None else {}
    keys = [text_key(t) for t in texts]
    vectors = {i: found.matrix[rows[k]] for i, k in enumerate(keys) if k in rows} if found else {}
    todo = [i for i in range(len(texts)) if i not in vectors]
    log.info("catalog index: %d of %d lines from the shipped vectors", len(vectors), len(texts))
    if todo:
        log.info("catalog index: embedding %d lines with %s", len(todo), embedder.id)
    for start in range(0, len(todo), _BATCH):
        batch = todo[start : start + _BATCH]
        embedded = embedder.embed([texts[i] for i in batch])
        vectors.update(zip(batch, np.asarray(embedded, dtype=np.float32), strict=True))
        if progress is not None:
            progress(start + len(batch), len(todo))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([vectors[i] for i in range(len(texts))]).astype(np.float32)


def build(embedder: Embedder, texts: Sequence[str], folder: Path) -> Path:
    """Embed every distinct line and write `<embedder id>.npy` and `.json` into `folder`."""
    import numpy as np

    distinct = list(dict.fromkeys(texts))
    matrix = np.asarray(embedder.embed(distinct), dtype=np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / file_stem(embedder.id)
    np.save(stem.with_suffix(".npy"), matrix, allow_pickle=False)
    meta = {
        "embedder": embedder.id,
        "key": catalog_key(embedder.id, distinct),
        "rebuild": "python -m selfref.catalog_vectors",
        "texts": [text_key(t) for t in distinct],
    }
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=0) + "\n", "utf-8")
    return stem.with_suffix(".npy")


def builtin_texts() -> list[str]:
    """The lines of the built-in catalog that the index holds."""
    from selfref.catalog import load_builtin
    from selfref.catalog_chunks import catalog_chunks

    return [c.text for c in catalog_chunks(load_builtin())]


def main() -> None:
    """Rebuild the shipped vectors in the source tree (`python -m selfref.catalog_vectors`)."""
    from selfref.index import load_embedder

    folder = Path(__file__).resolve().parent / _DATA  # the source tree, not an install's links
    texts = builtin_texts()
    for name in SHIPPED_EMBEDDERS:
        path = build(load_embedder(name), texts, folder)
        print(f"wrote {path} ({len(set(texts))} lines, {path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
