"""``python -m raafperf.sim``: serve the simulator (or run as SimulatorProcess's child)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raafperf.errors import RaafperfError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m raafperf.sim", description="raafperf's OpenAI + Anthropic simulator"
    )
    parser.add_argument("--config", type=Path, help="YAML/JSON file of SimulatorConfig fields")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model", action="append", dest="models", help="repeatable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ground-truth", type=Path, help="directory for the ground-truth log")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from raafperf.sim import cli_entry

    try:
        if args.child:
            cli_entry.run_child()
            return 0
        cli_entry.run_simulator(
            args.config, args.host, args.port, args.models, args.seed, args.ground_truth, args.tls
        )
    except RaafperfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
