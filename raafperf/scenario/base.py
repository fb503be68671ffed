"""Shared building blocks of the scenario schema."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Every scenario section: unknown keys are errors, values are frozen after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)
