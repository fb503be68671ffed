"""pytest plugin: keep performance budgets in a test suite (registered via an entry point).

Two ways in:

- ``@pytest.mark.raafperf("perf/checkout.yaml", thresholds={"p95_ttft_ms": 800})`` runs the
  scenario before the test and fails the test when a threshold fails. The test may take the
  ``raafperf_result`` fixture to look at the summary itself.
- the ``raafperf_bench`` fixture, a function: ``summary = raafperf_bench("s.yaml",
  requests=200)``; then ``summary.check_thresholds()`` or any assertion on the summary.

Runs land under the test's ``tmp_path`` (``--raafperf-out DIR`` keeps them). Every import of
raafperf happens inside a function: this module is loaded by every pytest run in an
environment where raafperf is installed, and must cost those runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

MARKER = "raafperf"
_RESULT = pytest.StashKey["BenchResult"]()
_MARKER_HELP = (
    "raafperf(scenario, *, thresholds=None, profile=None, requests=None, duration=None, "
    "concurrency=None, rate=None, variant=None, workers=None, rounds=None): run the raafperf "
    "scenario before the test and fail the test when its thresholds fail"
)
_OPTIONS = (
    "profile",
    "requests",
    "duration",
    "concurrency",
    "rate",
    "variant",
    "workers",
    "rounds",
    "thresholds",
)


class BenchResult(dict):  # type: ignore[type-arg]
    """A run's summary (the dict of summary.json) with where it was saved."""

    def __init__(self, outcome: Any) -> None:
        super().__init__(outcome.summary)
        self.run_dir: Path = Path(outcome.run_dir)
        self.failed_thresholds: list[dict[str, Any]] = list(outcome.failed_thresholds)
        self.interrupted: bool = bool(outcome.interrupted)

    def variant(self, name: str = "baseline") -> dict[str, Any]:
        return self["variants"][name]

    @property
    def baseline(self) -> dict[str, Any]:
        return self.variant("baseline")

    @property
    def passed(self) -> bool:
        return not self.failed_thresholds and not self.interrupted

    def failure_message(self) -> str:
        name = (self.get("scenario") or {}).get("name", "?")
        lines = [f"raafperf: scenario {name!r} missed its thresholds (run: {self.run_dir})"]
        for t in self.failed_thresholds:
            lines.append(
                f"  {t.get('name')}: measured {_num(t.get('value'))}, limit {_num(t.get('limit'))}"
            )
        if self.interrupted:
            lines.append("  the run was interrupted")
        return "\n".join(lines)

    def check_thresholds(self) -> None:
        """Fail the calling test (without a traceback) when a threshold failed."""
        if not self.passed:
            pytest.fail(self.failure_message(), pytrace=False)


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


# -- hooks -----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("raafperf", "raafperf performance budgets")
    group.addoption(
        "--raafperf-out",
        default=None,
        metavar="DIR",
        help="Keep the runs of raafperf scenarios in DIR (default: each test's tmp_path).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    result = yield  # the test body; when it fails, its own failure is the one reported
    bench = item.stash.get(_RESULT, None)
    if bench is not None:
        bench.check_thresholds()
    return result


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def raafperf_bench(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., BenchResult]:
    """``raafperf_bench(scenario, *, thresholds=None, profile=None, requests=None, ...)`` runs a
    scenario and returns its summary (a BenchResult). Relative scenario paths are taken from
    the test file's folder, then from the current directory."""
    base = Path(str(request.node.path)).parent
    out = _out_root(request.config, tmp_path)

    def run(scenario: str | Path, **options: Any) -> BenchResult:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise TypeError(
                f"raafperf_bench: unknown option(s) {', '.join(unknown)} "
                f"(known: {', '.join(_OPTIONS)})"
            )
        return run_scenario(_resolve(scenario, base), out, **options)

    return run


@pytest.fixture
def raafperf_result(request: pytest.FixtureRequest) -> BenchResult:
    """The run of the test's ``@pytest.mark.raafperf`` scenario."""
    bench = request.node.stash.get(_RESULT, None)
    if bench is None:
        raise pytest.UsageError(
            "raafperf_result needs the test to be marked @pytest.mark.raafperf(scenario=...)"
        )
    return bench


@pytest.fixture(autouse=True)
def _raafperf_marked_run(request: pytest.FixtureRequest) -> None:
    # Autouse, so a marked test needs no fixture at all; unmarked tests return at once.
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return
    args = dict(marker.kwargs)
    scenario = args.pop("scenario", None)
    if marker.args:
        if scenario is not None or len(marker.args) > 1:
            raise pytest.UsageError(
                f"{request.node.nodeid}: @pytest.mark.raafperf takes one scenario"
            )
        scenario = marker.args[0]
    if scenario is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.raafperf needs a scenario (a YAML path)"
        )
    unknown = sorted(set(args) - set(_OPTIONS))
    if unknown:
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.raafperf: unknown "
            f"option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})"
        )
    tmp_path = request.getfixturevalue("tmp_path")
    base = Path(str(request.node.path)).parent
    bench = run_scenario(_resolve(scenario, base), _out_root(request.config, tmp_path), **args)
    request.node.stash[_RESULT] = bench


# -- running ---------------------------------------------------------------------------------


def run_scenario(
    scenario: Path,
    out_root: Path,
    *,
    thresholds: Mapping[str, float] | None = None,
    profile: str | None = None,
    requests: int | None = None,
    duration: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    variant: str | None = None,
    workers: int | None = None,
    rounds: int | None = None,
) -> BenchResult:
    """Load, override, run and save one scenario; a user-input problem fails the test with
    raafperf's own message (no traceback)."""
    from raafperf.engine.bench import BenchOptions, run_bench
    from raafperf.engine.overrides import apply_cli_overrides
    from raafperf.errors import RaafperfError
    from raafperf.scenario.loader import load_scenario

    try:
        loaded = load_scenario(scenario, profile=profile)
        loaded = apply_cli_overrides(
            loaded, requests=requests, duration=duration, concurrency=concurrency, rate=rate
        )
        if thresholds:
            _override_thresholds(loaded, thresholds)
        options = BenchOptions(
            out_root=Path(out_root),
            variant=variant,
            rounds=rounds,
            workers=workers or loaded.scenario.load.workers or 1,
        )
        outcome = _off_the_running_loop(run_bench, loaded, options)
    except RaafperfError as exc:
        pytest.fail(f"raafperf: {exc}", pytrace=False)
    return BenchResult(outcome)


def _override_thresholds(loaded: Any, thresholds: Mapping[str, float]) -> None:
    from pydantic import TypeAdapter, ValidationError

    from raafperf.errors import UsageError
    from raafperf.scenario.model import ThresholdName

    try:
        extra = TypeAdapter(dict[ThresholdName, float]).validate_python(dict(thresholds))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UsageError(f"thresholds: {err['msg'].removeprefix('Value error, ')}") from None
    loaded.variants = {
        name: sc.model_copy(update={"thresholds": {**sc.thresholds, **extra}})
        for name, sc in loaded.variants.items()
    }
    loaded.scenario = loaded.variants.get("baseline", loaded.scenario)


def _off_the_running_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """Inside an async test an event loop is already running in this thread, and the bench
    needs its own: run it in a thread then."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        return fn(*args)  # outside the except block: its errors chain to nothing
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="raafperf-bench") as pool:
        return pool.submit(fn, *args).result()


def _resolve(scenario: str | Path, base: Path) -> Path:
    path = Path(scenario)
    if path.is_absolute():
        return path
    beside = base / path
    return beside if beside.exists() else path


def _out_root(config: pytest.Config, tmp_path: Path) -> Path:
    kept = config.getoption("--raafperf-out", default=None)
    return Path(kept) if kept else tmp_path / "raafperf"
