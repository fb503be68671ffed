"""The live progress line on a terminal: done/total, requests/s, errors, rolling p50."""

from __future__ import annotations

from typing import Any


class LiveProgress:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self._text = Text("starting…")
        self._live = Live(
            self._text, console=Console(stderr=False), refresh_per_second=4, transient=True
        )

    def start(self) -> None:
        self._live.start()

    def stop(self) -> None:
        self._live.stop()

    def update(self, state: dict[str, Any]) -> None:
        from rich.text import Text

        total = state.get("total")
        done = state["done"]
        parts = [f"{done}/{total}" if total else f"{done} done"]
        parts.append(f"{state['rps']:.1f} req/s")
        parts.append(f"{state['errors']} errors")
        parts.append(f"in flight {state['in_flight']}")
        if state.get("p50_ms") is not None:
            parts.append(f"p50 e2e {state['p50_ms']:.1f} ms")
        if state.get("stopping"):
            parts.append("stopping (Ctrl-C again to quit now)")
        self._live.update(Text("  ".join(parts), style="bold"))
