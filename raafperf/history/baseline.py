"""Which saved run a new run is compared with: a path, a run name, or ``latest``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from raafperf.errors import RunStoreError, UsageError

LATEST = "latest"


class NoBaselineFound(UsageError):
    """``latest`` found no earlier run of the scenario on this machine."""


def resolve_baseline(
    spec: str,
    scenario_name: str,
    reports_root: Path,
    *,
    exclude: Path | None = None,
    machine: dict[str, Any] | None = None,
) -> Path:
    """The run folder ``spec`` names.

    ``latest``: the newest run of ``scenario_name`` under ``reports_root`` made on the same
    machine (hostname and CPU model; ``machine`` defaults to this one), other than
    ``exclude`` (the run just made) and not interrupted. Otherwise ``spec`` is a run folder,
    its summary.json, or a run folder's name under ``reports_root``.
    """
    root = Path(reports_root)
    if spec == LATEST:
        return _latest(scenario_name, root, exclude, machine)
    path = Path(spec)
    if not path.exists() and not path.is_absolute() and len(path.parts) == 1:
        path = root / spec
    if path.is_file() and path.name == "summary.json":
        path = path.parent
    if not (path / "summary.json").is_file():
        raise RunStoreError(
            f"--baseline {spec}: no such run (give a run folder, its "
            f"summary.json, a run name under {root}/, or 'latest')"
        )
    return path


def _latest(
    scenario: str, root: Path, exclude: Path | None, machine: dict[str, Any] | None
) -> Path:
    from raafperf.history.store import HistoryStore, default_db_path

    if machine is None:
        from raafperf.record.machine import machine_info

        machine = machine_info()
    hostname, cpu_model = machine.get("hostname"), machine.get("cpu_model")
    store = HistoryStore(default_db_path(root))
    store.sync(root)
    found = store.latest(scenario, hostname=hostname, cpu_model=cpu_model, exclude=exclude)
    if found is None:
        raise NoBaselineFound(
            f"--baseline latest: no earlier complete run of {scenario!r} on this machine "
            f"({hostname}, {cpu_model}) in {root}/"
        )
    return found[0]
