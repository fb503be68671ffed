"""Budgets: the per-run limit and model selection under a per-request limit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from raafperf.cost.budget import ModelSelector, RunBudget
from raafperf.cost.config import BudgetConfig
from raafperf.cost.prices import PriceTable
from raafperf.errors import BudgetExceeded

TABLE = PriceTable.from_data(
    {
        "models": {
            "big": {"input": 10.0, "output": 30.0, "quality": 95},
            "mid": {"input": 2.0, "output": 8.0, "quality": 80},
            "small": {"input": 0.5, "output": 1.0, "quality": 60},
            "tiny": {"input": 0.1, "output": 0.2},
        }
    }
)


def test_run_budget_turns_false_once_over_and_stays():
    budget = RunBudget(1.0)
    assert budget.add(0.4) and budget.add(0.6)  # exactly at the limit is not over
    assert budget.spent == pytest.approx(1.0) and budget.remaining == pytest.approx(0.0)
    assert budget.add(0.01) is False
    assert budget.exceeded
    assert budget.add(0.0) is False
    assert budget.calls == 4


def test_run_budget_counts_unpriced_calls_apart():
    budget = RunBudget(0.5)
    assert budget.add(None) and budget.add(float("nan"))
    assert budget.spent == 0 and budget.unpriced_calls == 2


def test_no_limit_never_stops():
    budget = RunBudget(None)
    assert all(budget.add(1e6) for _ in range(3))
    assert budget.remaining is None


def test_budget_error_says_what_happened():
    budget = RunBudget(2.0)
    budget.add(2.5)
    budget.add(None)
    err = budget.error(requests_done=1234)
    assert isinstance(err, BudgetExceeded) and err.exit_code == 1
    text = str(err)
    assert "$2.0000" in text and "$2.5000" in text and "1,234 requests" in text
    assert "samples were kept" in text and "1 calls to unpriced models" in text


def _selector(**config) -> ModelSelector:
    return ModelSelector(TABLE, BudgetConfig(**config))


def test_a_request_that_fits_keeps_its_model():
    # big: 1000 in + 100 out = (10,000 + 3,000) / 1e6 = $0.013
    assert _selector(per_request_usd=0.013).choose("big", 1000, 100) == ("big", False)


def test_over_budget_picks_the_best_quality_that_fits():
    sel = _selector(per_request_usd=0.005)
    # mid: (2,000 + 800)/1e6 = $0.0028 fits; big ($0.013) does not
    assert sel.choose("big", 1000, 100) == ("mid", True)
    sel = _selector(per_request_usd=0.001)  # mid no longer fits; small = $0.0006 does
    assert sel.choose("big", 1000, 100) == ("small", True)


def test_nothing_fits_takes_the_cheapest():
    sel = _selector(per_request_usd=1e-9)
    assert sel.choose("big", 1000, 100) == ("small", True)  # cheapest of the scored models
    served = ModelSelector(TABLE, BudgetConfig(per_request_usd=1e-9), served=["big", "tiny"])
    assert served.choose("big", 1000, 100) == ("tiny", True)  # served, unscored: still a candidate
    assert _selector(per_request_usd=1e-9, candidates=["big", "mid"]).choose(
        "small", 1000, 100
    ) == ("small", False)  # the requested model is cheaper than every candidate


def test_candidates_and_quality_are_configurable():
    sel = _selector(per_request_usd=0.005, candidates=["small", "tiny"], quality={"tiny": 99})
    assert sel.candidates == [("tiny", 99), ("small", 60)]
    assert sel.choose("big", 1000, 100) == ("tiny", True)


def test_served_models_are_the_default_candidates():
    sel = ModelSelector(TABLE, BudgetConfig(per_request_usd=0.005), served=["big", "small"])
    assert sel.choose("big", 1000, 100) == ("small", True)


def test_no_per_request_budget_or_report_mode_never_switches():
    assert _selector().choose("big", 10**6, 10**6) == ("big", False)
    sel = _selector(per_request_usd=1e-6, per_request_action="report")
    assert sel.choose("big", 10**6, 10**6) == ("big", False)


def test_unpriced_requested_model_is_kept():
    assert _selector(per_request_usd=1e-6).choose("mystery", 1000, 100) == ("mystery", False)


def test_shipped_defaults_downgrade_sensibly():
    sel = ModelSelector(
        PriceTable.load(),
        BudgetConfig(per_request_usd=0.001),
        served=["gpt-4o", "gpt-4o-mini", "claude-3-haiku"],
    )
    # gpt-4o: (2,000 × 2.50 + 300 × 10) / 1e6 = $0.008, over; gpt-4o-mini $0.00048 fits
    assert sel.choose("gpt-4o", 2000, 300) == ("gpt-4o-mini", True)


@pytest.mark.parametrize(
    "config",
    [{"per_run_usd": 0}, {"per_request_usd": -1}, {"quality": {"x": 101}},
     {"per_request_action": "stop"}, {"output_tokens_estimate": 0}, {"typo": 1}],
)  # fmt: skip
def test_budget_config_rejects_nonsense(config):
    with pytest.raises(ValidationError):
        BudgetConfig(**config)


def test_budget_config_defaults():
    config = BudgetConfig()
    assert config.per_run_usd is None and not config.downgrades
    assert BudgetConfig(per_request_usd=0.01).downgrades
