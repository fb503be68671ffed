"""The semantic cache: embed a query, find a close earlier one, and guard against wrong hits."""

from __future__ import annotations

from raafperf.cache.config import SemanticConfig
from raafperf.cache.semantic.embedders import (
    EmbedClient,
    Embedder,
    EndpointEmbedder,
    HashingEmbedder,
    MiniLmEmbedder,
)
from raafperf.errors import RaafperfError

__all__ = [
    "EmbedClient",
    "Embedder",
    "EndpointEmbedder",
    "HashingEmbedder",
    "MiniLmEmbedder",
    "make_embedder",
]


def make_embedder(config: SemanticConfig, embed_client: EmbedClient | None = None) -> Embedder:
    """The embedder a semantic section names; minilm loads its model now (seconds)."""
    if config.embedder in ("builtin", "minilm"):
        embedder = HashingEmbedder() if config.embedder == "builtin" else MiniLmEmbedder()
        embedder.embed_sync("warm up")  # imports numpy / torch now, not in a timed request
        return embedder
    if embed_client is None:
        raise RaafperfError(
            f"cache.semantic.embedder is 'endpoint' but no client was given for provider"
            f" {config.provider!r}"
        )
    return EndpointEmbedder(embed_client, config.model, config.dimensions)
