"""A variant's cost section, checked by hand on a small saved run.

Prices (conftest PRICES, USD per million tokens): m-big 10 in / 1 cached / 30 out; m-small
1 in (no cache discount) / 2 out; mystery-model unpriced. Provider p2 has price_multiplier 2.

  req 0 (warm-up) m-big  1000 in, 100 out                 = 0.013 (not in the totals)
  req 1  m-big  2000 in of which 1000 cached, 500 out     = (1000·10 + 1000·1 + 500·30)/1e6
                                                          = 0.026
  req 2  m-small on p2, 400 in, 100 out                   = (400·1 + 100·2)·2/1e6 = 0.0012
  req 3  m-big  2000 in, 500 out, a cache hit             = 0, saved (20000 + 15000)/1e6 = 0.035
  req 4  mystery-model                                    = unpriced
  req 5  m-small 1000 in, 200 out, downgraded from m-big  = 0.0014, m-big would be 0.016
"""

from __future__ import annotations

import json
import random

import pytest

from raafperf.cost.prices import PriceTable, call_cost
from raafperf.cost.summary import estimate_error, summarize_costs
from raafperf.record.store import load_run

MULTIPLIERS = {"p1": 1.0, "p2": 2.0}
AGENT_MODELS = {"support": "m-big", "triage": "m-small"}


@pytest.fixture
def cost(write_run, run_a_rows, price_file):
    run = load_run(write_run("a", *run_a_rows))
    return summarize_costs(
        run.calls(),
        run.requests(),
        PriceTable.load(price_file),
        MULTIPLIERS,
        agent_models=AGENT_MODELS,
        per_request_usd=0.02,
    )


def test_total_is_the_sum_of_usage_times_price(cost):
    assert cost["requests"] == 5
    assert cost["model_calls"] == 5  # the tool call and the warm-up call are not counted
    assert cost["total_usd"] == pytest.approx(0.026 + 0.0012 + 0.0014)
    assert cost["per_1k_requests_usd"] == pytest.approx(0.0286 / 5 * 1000)
    assert cost["tokens"] == {"prompt": 5500, "cached": 1000, "output": 1310}
    assert cost["warmup_usd"] == pytest.approx(0.013)


def test_unpriced_models_are_listed_not_free(cost):
    assert cost["complete"] is False
    assert cost["unpriced_models"] == ["mystery-model"]
    rows = {(r["agent"], r["model"]): r for r in cost["by_agent_model"]}
    assert rows[("triage", "mystery-model")]["cost_usd"] is None
    assert cost["by_provider"]["p2"] == {"calls": 2, "cost_usd": pytest.approx(0.0012),
                                         "unpriced_calls": 1}  # fmt: skip


def test_by_agent_and_model(cost):
    rows = {(r["agent"], r["model"]): r for r in cost["by_agent_model"]}
    big = rows[("support", "m-big")]
    assert (big["calls"], big["requests"], big["cache_hits"]) == (2, 2, 1)
    assert big["cost_usd"] == pytest.approx(0.026)
    assert big["usd_per_1k_requests"] == pytest.approx(0.026 / 5 * 1000)
    assert big["saved_by_cache_usd"] == pytest.approx(0.035)
    assert rows[("support", "m-small")]["cost_usd"] == pytest.approx(0.0014)
    assert rows[("triage", "m-small")]["cost_usd"] == pytest.approx(0.0012)
    assert cost["by_provider"]["p1"]["cost_usd"] == pytest.approx(0.0274)


def test_cache_and_downgrade_savings(cost):
    assert cost["cache_savings"] == {"hits": 1, "prompt_tokens": 2000, "output_tokens": 500,
                                     "usd": pytest.approx(0.035), "unpriced_hits": 0}  # fmt: skip
    assert cost["downgrades"]["requests"] == 1
    assert cost["downgrades"]["saved_usd"] == pytest.approx(0.016 - 0.0014)


def test_per_request_spread_and_budget(cost):
    per = cost["per_request_usd"]  # requests 1, 2, 3, 5 (4 has no known cost)
    assert per["mean"] == pytest.approx(0.0286 / 4)
    assert per["p50"] == pytest.approx(0.0012)  # nearest rank of [0, .0012, .0014, .026]
    assert per["p95"] == pytest.approx(0.026) and per["max"] == pytest.approx(0.026)
    assert cost["over_request_budget"] == 1


def test_token_estimate_error_against_reported_usage(cost):
    err = cost["token_estimate_error"]
    assert err["m-big"] == {"calls": 1, "mean_abs": 100.0, "mean_rel": pytest.approx(0.05),
                            "mean_bias": pytest.approx(-0.05)}  # fmt: skip
    assert err["m-small"]["mean_bias"] == pytest.approx(0.1)
    assert estimate_error(110, 100) == (10, pytest.approx(0.1))
    assert estimate_error(5, 0) == (5, None)


def test_json_ready(cost):
    assert json.loads(json.dumps(cost, allow_nan=False)) is not None


def test_variants_are_kept_apart(write_run, run_a_rows, price_file):
    requests, calls = run_a_rows
    other_req = [{**r, "variant": "cached"} for r in requests[:2]]
    other_calls = [{**c, "variant": "cached", "prompt_tokens": 1} for c in calls[:2]]
    run = load_run(write_run("two", requests + other_req, calls + other_calls))
    table = PriceTable.load(price_file)
    base = summarize_costs(run.calls(), run.requests(), table, MULTIPLIERS, variant="baseline")
    other = summarize_costs(run.calls(), run.requests(), table, MULTIPLIERS, variant="cached")
    assert base["requests"] == 5 and other["requests"] == 1
    # request 1 there: 1 prompt token, all of it cached (1,000 cached clamps to 1), 500 out
    assert other["total_usd"] == pytest.approx((1 * 1.0 + 500 * 30) / 1e6)


def test_random_run_total_equals_sum_of_call_costs(write_run):
    """Many calls on shipped prices: the summary equals the plain per-call sum."""
    rng = random.Random(7)
    table = PriceTable.load()
    models = ["gpt-4o-mini", "gpt-4.1", "claude-haiku-4-5", "gemini-2.5-flash"]
    requests, calls, expected = [], [], 0.0
    for i in range(60):
        model, provider = rng.choice(models), rng.choice(["p1", "p2"])
        prompt, out = rng.randint(1, 5000), rng.randint(0, 800)
        cached = rng.choice([0, prompt // 2])
        requests.append({"idx": i})
        calls.append(
            {
                "request_idx": i,
                "name": model,
                "provider": provider,
                "prompt_tokens": prompt,
                "output_tokens": out,
                "cached_tokens": cached,
            }
        )
        expected += call_cost(table.lookup(model), prompt, out, cached, MULTIPLIERS[provider])
    run = load_run(write_run("random", requests, calls))
    cost = summarize_costs(run.calls(), run.requests(), table, MULTIPLIERS)
    assert cost["complete"] and cost["total_usd"] == pytest.approx(expected, rel=1e-12)
    assert sum(r["cost_usd"] for r in cost["by_agent_model"]) == pytest.approx(expected)
