"""What a surface (OpenAI or Anthropic) hands the server core to send, and the shared context."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from raafperf.sim.config import SimulatorConfig
from raafperf.sim.sampling import LatencySampler, derive_seed

CATALOGUE = (
    "gpt-4o-mini",
    "gpt-4o",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "text-embedding-3-small",
)


@dataclass(slots=True)
class Stream:
    """A server-sent-event answer, pre-framed as bytes.

    ``prelude`` goes out with the headers, ``tokens[i]`` at token i's deadline (the first
    may carry a role chunk), ``final`` with the last token; ``malformed`` is what the
    malformed_event fault inserts.
    """

    prelude: bytes
    tokens: list[bytes]
    final: bytes
    malformed: bytes


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: Stream | None = None
    timed_tokens: int = 0  # tokens whose generation time a non-streaming body waits for
    prompt_tokens: int = 0
    output_tokens: int = 0
    model: str | None = None
    finish_reason: str | None = None
    rate_tokens: int = 0  # what the tokens-per-minute limit charges
    error_type: str | None = None


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


@dataclass
class SurfaceContext:
    """Per-provider state a surface needs: models, config, seeded ids and latency draws."""

    name: str
    models: list[str]
    config: SimulatorConfig
    seed: int
    latency: LatencySampler = field(init=False)
    _ids: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.latency = LatencySampler(self.config.latency, derive_seed(self.seed, "latency"))
        self._ids = random.Random(derive_seed(self.seed, "ids"))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{self._ids.getrandbits(120):030x}"

    def knows(self, model: str) -> bool:
        """An empty model list accepts any name."""
        return not self.models or model in self.models

    def listed_models(self) -> list[str]:
        """What /v1/models shows: the models, or a usual catalogue when any name is accepted."""
        return self.models or list(CATALOGUE)

    @staticmethod
    def now_s() -> int:
        return int(time.time())
