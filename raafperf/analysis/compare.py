"""Compare two saved runs metric by metric and give each a verdict.

A verdict needs both a size and confidence (DESIGN.md, "Measuring right"). With ``c`` the
change in the worse direction (ratio − 1, or percentage points for the error rate), ``[lo,
hi]`` its confidence interval and ``T`` the threshold:

- regression:   lo > 0 (the interval excludes "no change") and c > T
- improvement:  hi < 0 and c < −T
- unchanged:    −T ≤ lo and hi ≤ T (any change is within the threshold, with confidence)
- inconclusive: anything else (the interval is too wide to tell), or too few samples.

Too few samples: a quantile q needs at least ``min_tail`` (50) samples beyond it on each
side, n ≥ 50 / (1 − q): p50 ≥ 100, p95 ≥ 1,000, p99 ≥ 5,000. Inconclusive is never a pass;
``--strict`` makes it fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from raafperf.analysis import bootstrap as bs
from raafperf.analysis.samples import (
    RunLike,
    VariantSamples,
    open_run,
    scenario_gate,
    scenario_name,
    variant_names,
    variant_samples,
)
from raafperf.analysis.thresholds import (
    METRICS,
    ChangeKind,
    MetricSpec,
    Threshold,
    resolve_thresholds,
)
from raafperf.errors import ThresholdFailed, UsageError

Verdict = Literal["regression", "improvement", "unchanged", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("regression", "improvement", "unchanged", "inconclusive")

MIN_TAIL = 50
"""Samples beyond a quantile, per side, below which its verdict is inconclusive."""
MIN_SAMPLES = 30
"""Per side, for means (cost) and proportions (error rate)."""
MIN_REQUESTS = 100
"""Per side, for throughput and for ITL (requests whose token gaps are pooled)."""


@dataclass(frozen=True)
class RunInfo:
    path: str
    run_id: str
    scenario: str
    started_at: str | None = None
    git_commit: str | None = None
    hostname: str | None = None
    scenario_sha256: str | None = None
    interrupted: bool = False

    @classmethod
    def of(cls, run: RunLike) -> RunInfo:
        s = run.summary
        machine = s.get("machine") or {}
        scenario = s.get("scenario") or {}
        return cls(
            path=str(run.path),
            run_id=str(s.get("run_id") or run.path.name),
            scenario=scenario_name(run),
            started_at=s.get("started_at"),
            git_commit=machine.get("git_commit"),
            hostname=machine.get("hostname"),
            scenario_sha256=scenario.get("sha256"),
            interrupted=bool(s.get("interrupted")),
        )


@dataclass(frozen=True)
class MetricResult:
    """One metric's values on both sides, the change, its interval and the verdict."""

    name: str
    label: str
    unit: str
    higher_is_worse: bool
    change_kind: ChangeKind
    baseline: float | None
    current: float | None
    n_baseline: int
    n_current: int
    estimate: float | None
    """current/baseline for relative metrics; current − baseline in pp for the error rate."""
    low: float | None
    high: float | None
    threshold: Threshold
    verdict: Verdict
    reason: str

    def change(self) -> tuple[float | None, float | None, float | None]:
        """(change, low, high) in % (relative metrics) or pp; None where not computed."""

        def conv(x: float | None) -> float | None:
            if x is None or self.change_kind == "pp":
                return x
            return (x - 1) * 100

        return conv(self.estimate), conv(self.low), conv(self.high)

    def change_text(self) -> str:
        ch = self.change()[0]
        return "n/a" if ch is None else _signed(ch, self.change_kind)

    def interval_text(self) -> str:
        _, lo, hi = self.change()
        if lo is None or hi is None:
            return "n/a"
        return f"{_signed(lo, self.change_kind)} … {_signed(hi, self.change_kind)}"


def _signed(value: float, kind: ChangeKind) -> str:
    unit = "pp" if kind == "pp" else "%"
    digits = 2 if kind == "pp" else 1
    text = f"{value:+.{digits}f}{unit}"
    return text.replace("-", "−")


@dataclass(frozen=True)
class Comparison:
    """Everything ``compare`` found; renderers and the gate read only this."""

    scenario: str
    variant: str
    baseline: RunInfo
    current: RunInfo
    metrics: tuple[MetricResult, ...]
    confidence: float
    resamples: int
    seed: int
    min_tail: int
    notes: tuple[str, ...] = ()
    plots: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def with_verdict(self, verdict: Verdict) -> list[MetricResult]:
        return [m for m in self.metrics if m.verdict == verdict]

    @property
    def regressions(self) -> list[MetricResult]:
        return self.with_verdict("regression")

    @property
    def inconclusive(self) -> list[MetricResult]:
        return self.with_verdict("inconclusive")

    @property
    def verdict(self) -> Verdict:
        """The worst verdict: regression, then inconclusive, then improvement, then unchanged."""
        for v in ("regression", "inconclusive", "improvement"):
            if self.with_verdict(v):  # type: ignore[arg-type]
                return v  # type: ignore[return-value]
        return "unchanged"

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.regressions or (strict and self.inconclusive))

    def to_dict(self, *, plots: bool = False) -> dict[str, Any]:
        out = asdict(self)
        if not plots:
            out.pop("plots", None)
        out["verdict"] = self.verdict
        for m, raw in zip(self.metrics, out["metrics"], strict=True):
            raw["threshold"] = {"value": str(m.threshold), "source": m.threshold.source}
            ch = m.change()
            raw["change"] = {
                "unit": "pp" if m.change_kind == "pp" else "%",
                "estimate": ch[0],
                "low": ch[1],
                "high": ch[2],
            }
        return _finite(out)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def judge(
    interval: bs.Interval | None,
    threshold: Threshold,
    *,
    higher_is_worse: bool,
    change_kind: ChangeKind,
) -> tuple[Verdict, str]:
    """The verdict of one interval (a ratio, or a difference in pp) against a threshold."""
    if interval is None or not all(
        math.isfinite(x) for x in (interval.estimate, interval.low, interval.high)
    ):
        return "inconclusive", "no interval could be computed (a zero or missing baseline)"
    if change_kind == "pp":
        c, lo, hi, t = interval.estimate, interval.low, interval.high, threshold.value
        unit, scale = "pp", 1.0
    else:
        c, lo, hi = interval.estimate - 1, interval.low - 1, interval.high - 1
        t, unit, scale = threshold.value, "%", 100.0
    sign = 1 if higher_is_worse else -1
    w, wlo, whi = sign * c, *sorted((sign * lo, sign * hi))
    band = f"±{t * scale:g}{unit}"
    word = "slower or worse" if higher_is_worse else "lower"
    if wlo > 0 and w > t:
        return "regression", f"worse beyond the {band} threshold, interval excludes no change"
    if whi < 0 and w < -t:
        return "improvement", f"better beyond the {band} threshold, interval excludes no change"
    if -t <= wlo and whi <= t:
        return "unchanged", f"the whole interval lies within {band}"
    if wlo > 0:
        return "inconclusive", f"likely {word} but the interval reaches beyond {band}"
    return "inconclusive", f"the interval is too wide for {band}: more samples needed"


def _quantile_floor(q: float, min_tail: int) -> int:
    return math.ceil(round(min_tail / (1 - q), 6))


def compare_runs(
    baseline: RunLike | str,
    current: RunLike | str,
    thresholds: Iterable[str | Threshold] | Mapping[str, str] = (),
    *,
    variant: str = "baseline",
    seed: int = 0,
    resamples: int = 2000,
    confidence: float = 0.95,
    min_tail: int = MIN_TAIL,
    plots: bool = True,
) -> Comparison:
    """Judge every metric of ``variant`` in ``current`` against ``baseline``."""
    if resamples < 100:
        raise UsageError("resamples must be at least 100")
    if not 0.5 <= confidence < 1:
        raise UsageError("confidence must lie in [0.5, 1)")
    base_run, cur_run = open_run(baseline), open_run(current)
    for run in (base_run, cur_run):
        if variant not in variant_names(run):
            raise UsageError(
                f"{run.path}: no variant {variant!r} (this run has: "
                f"{', '.join(variant_names(run))})"
            )
    cli = (
        [f"{k}:{v}" for k, v in thresholds.items()]
        if isinstance(thresholds, Mapping)
        else list(thresholds)
    )
    gate = scenario_gate(cur_run) or scenario_gate(base_run)
    limits = resolve_thresholds(cli, gate)
    b = variant_samples(base_run, variant)
    c = variant_samples(cur_run, variant)
    found = _estimates(
        b, c, seed=seed, resamples=resamples, confidence=confidence, min_tail=min_tail
    )
    results = [_result(spec, found[spec.name], limits[spec.name]) for spec in METRICS]
    plot_data = None
    if plots:
        from raafperf.analysis.series import comparison_plots

        plot_data = comparison_plots(b, c)
    return Comparison(
        scenario=scenario_name(cur_run),
        variant=variant,
        baseline=RunInfo.of(base_run),
        current=RunInfo.of(cur_run),
        metrics=tuple(results),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        min_tail=min_tail,
        notes=tuple(_notes(base_run, cur_run)),
        plots=plot_data,
    )


@dataclass
class _Estimate:
    base: float | None
    cur: float | None
    n_base: int
    n_cur: int
    interval: bs.Interval | None = None
    why_not: str = ""


def _rng(seed: int, stream: int) -> Any:
    import numpy as np

    # One stream per family: an interval does not depend on which other metrics ran.
    return np.random.default_rng([seed, stream])


def _estimates(
    b: VariantSamples,
    c: VariantSamples,
    *,
    seed: int,
    resamples: int,
    confidence: float,
    min_tail: int,
) -> dict[str, _Estimate]:
    out: dict[str, _Estimate] = {}
    for stream, family in enumerate(("ttft", "e2e", "itl")):
        kw = {"resamples": resamples, "confidence": confidence, "rng": _rng(seed, stream)}
        specs = [m for m in METRICS if m.family == family]
        why_not = ""
        if family == "itl":
            bv, cv = b.itl.values, c.itl.values
            rb, rcur = _n_groups(b.itl.clusters), _n_groups(c.itl.clusters)
            if min(rb, rcur) < MIN_REQUESTS:
                why_not = (
                    f"ITL needs token gaps from ≥ {MIN_REQUESTS} requests per side; "
                    f"have {rb} and {rcur}"
                )
        else:
            bv, cv = getattr(b, f"{family}_ms"), getattr(c, f"{family}_ms")
        nb, nc = int(bv.size), int(cv.size)
        judged: list[float] = []
        for spec in specs:
            assert spec.q is not None
            floor = _quantile_floor(spec.q, min_tail)
            reason = why_not
            if not reason and min(nb, nc) == 0:
                reason = f"no {spec.label.split()[0]} samples on one side (have {nb} and {nc})"
            elif not reason and min(nb, nc) < floor:
                reason = (
                    f"p{spec.q * 100:g} needs ≥ {floor:,} samples per side ({min_tail} "
                    f"beyond the quantile); have {nb:,} and {nc:,}"
                )
            if not reason:
                judged.append(spec.q)
            out[spec.name] = _Estimate(
                _nearest_rank(bv, spec.q), _nearest_rank(cv, spec.q), nb, nc, why_not=reason
            )
        if judged:
            # All quantiles of a family share one set of resamples.
            if family == "itl":
                found = bs.clustered_quantile_ratios(b.itl, c.itl, judged, **kw)
            else:
                found = bs.quantile_ratios(bv, cv, judged, **kw)
            for spec in specs:
                if spec.q in judged:
                    out[spec.name].interval = found[judged.index(spec.q)]
    kw = {"resamples": resamples, "confidence": confidence}

    base_tp = b.ok / b.window_s if b.window_s > 0 else None
    cur_tp = c.ok / c.window_s if c.window_s > 0 else None
    tp = out["throughput"] = _Estimate(base_tp, cur_tp, b.ok, c.ok)
    if min(b.ok, c.ok) < MIN_REQUESTS or base_tp is None or cur_tp is None:
        tp.why_not = (
            f"throughput needs ≥ {MIN_REQUESTS} successful requests per side; "
            f"have {b.ok} and {c.ok}"
        )
    else:
        boot = bs.mean_ratio(_rates(b), _rates(c), rng=_rng(seed, 3), **kw)
        tp.interval = bs.Interval(cur_tp / base_tp, boot.low, boot.high)

    bv, cv = b.cost_usd, c.cost_usd
    cost = out["cost_per_request"] = _Estimate(
        float(bv.mean()) if bv.size else None,
        float(cv.mean()) if cv.size else None,
        int(bv.size),
        int(cv.size),
    )
    if min(bv.size, cv.size) == 0:
        cost.why_not = "no priced requests on one side (cost unknown)"
    elif min(bv.size, cv.size) < MIN_SAMPLES:
        cost.why_not = (
            f"needs ≥ {MIN_SAMPLES} priced requests per side; have {bv.size} and {cv.size}"
        )
    else:
        cost.interval = bs.mean_ratio(bv, cv, rng=_rng(seed, 4), **kw)

    nb, nc = b.measured, c.measured
    err = out["error_rate"] = _Estimate(
        100 * b.errors / nb if nb else None, 100 * c.errors / nc if nc else None, nb, nc
    )
    if min(nb, nc) < MIN_SAMPLES:
        err.why_not = f"needs ≥ {MIN_SAMPLES} measured requests per side; have {nb} and {nc}"
    else:
        err.interval = bs.proportion_difference(b.errors, nb, c.errors, nc, confidence=confidence)
    return out


def _result(spec: MetricSpec, est: _Estimate, threshold: Threshold) -> MetricResult:
    interval = est.interval
    if est.why_not:
        verdict: Verdict = "inconclusive"
        reason = est.why_not
    else:
        verdict, reason = judge(
            interval, threshold, higher_is_worse=spec.higher_is_worse, change_kind=spec.change_kind
        )
    estimate = interval.estimate if interval else None
    if estimate is None and est.base and est.cur is not None:
        # Too few samples for an interval, but the point change is still worth showing.
        estimate = est.cur / est.base if spec.change_kind == "relative" else est.cur - est.base
    return MetricResult(
        name=spec.name,
        label=spec.label,
        unit=spec.unit,
        higher_is_worse=spec.higher_is_worse,
        change_kind=spec.change_kind,
        baseline=est.base,
        current=est.cur,
        n_baseline=est.n_base,
        n_current=est.n_cur,
        estimate=_num(estimate),
        low=_num(interval.low if interval else None),
        high=_num(interval.high if interval else None),
        threshold=threshold,
        verdict=verdict,
        reason=reason,
    )


def _num(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _n_groups(clusters: Any) -> int:
    import numpy as np

    return int(np.unique(clusters).size)


def _nearest_rank(values: Any, q: float) -> float | None:
    from raafperf.analysis.stats import nearest_rank

    return nearest_rank(values, q * 100)


def _rates(s: VariantSamples) -> Any:
    blocks = min(50, max(10, s.ok // 25))
    return bs.block_rates(s.end_s[s.ok_mask], 0.0, s.window_s, blocks)


def _notes(base: RunLike, cur: RunLike) -> list[str]:
    notes = []
    b, c = RunInfo.of(base), RunInfo.of(cur)
    if b.scenario != c.scenario:
        notes.append(f"different scenarios: {b.scenario!r} against {c.scenario!r}")
    elif b.scenario_sha256 and c.scenario_sha256 and b.scenario_sha256 != c.scenario_sha256:
        notes.append("the scenario file changed between the runs")
    if b.hostname and c.hostname and b.hostname != c.hostname:
        notes.append(f"different machines: {b.hostname} against {c.hostname}")
    for info, side in ((b, "baseline"), (c, "current")):
        if info.interrupted:
            notes.append(f"the {side} run was interrupted")
    return notes


def check_gate(comparison: Comparison, *, strict: bool = False) -> None:
    """Raise ThresholdFailed on a regression, and with ``strict`` on an inconclusive metric."""
    if not comparison.failed(strict=strict):
        return
    parts = [f"{m.name} {m.change_text()}" for m in comparison.regressions]
    msg = f"regression in {', '.join(parts)}" if parts else ""
    if strict and comparison.inconclusive:
        names = ", ".join(m.name for m in comparison.inconclusive)
        msg = (msg + "; " if msg else "") + f"inconclusive (--strict): {names}"
    raise ThresholdFailed(msg)
