"""The rich console every command prints through."""

from __future__ import annotations

from typing import Any

PIPED_WIDTH = 132
"""Output that is not a terminal has no width of its own: keep tables whole, not 80 wide."""


def make_console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=max(console.width, PIPED_WIDTH))
    return console
