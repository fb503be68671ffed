"""The price table: shipped data, lenient names, overrides, unpriced models, call cost."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from raafperf.cost.prices import ModelPrice, PriceTable, call_cost
from raafperf.errors import UsageError


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


def test_shipped_table_is_dated_sourced_and_covers_every_vendor(table):
    raw = json.loads(resources.files("raafperf.cost").joinpath("prices.json").read_text())
    assert raw["checked"] and table.checked == raw["checked"]
    providers = {m["provider"] for m in raw["models"].values()}
    assert {"openai", "anthropic", "google", "groq", "mistral"} <= providers
    for name, m in raw["models"].items():
        assert m["source"] in raw["sources"], name
        assert m["output"] >= 0 and m["input"] > 0, name
        if m.get("cached_input") is not None:
            assert m["cached_input"] <= m["input"], name
    for name in ("gpt-5", "gpt-4.1", "gpt-4o-mini", "o4-mini", "claude-sonnet-4-5",
                 "claude-haiku-4-5", "gemini-2.5-flash", "llama-3.3-70b-versatile",
                 "mistral-small-latest"):  # fmt: skip
        assert table.lookup(name) is not None, name


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        ("openai/gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("gpt-4-1106-preview", "gpt-4-turbo"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4-0"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
        ("mistral-large-latest", "mistral-large"),
        ("mistral-large-2411", "mistral-large-2411"),
    ],
)
def test_names_resolve_to_their_model(table, name, canonical):
    assert table.canonical(name) == canonical


@pytest.mark.parametrize(
    "name",
    ["mystery-model", "gpt-4-32k-0613", "ft:gpt-4o-mini-2024-07-18:acme::x",
     "gpt-4o-audio-preview", "claude-9"],
)  # fmt: skip
def test_unknown_models_are_unpriced_never_free(table, name):
    assert table.lookup(name) is None
    assert name not in table
    assert table.cost(name, 1000, 1000) is None
    assert call_cost(None, 1000, 1000, 10) is None


def test_call_cost_by_hand():
    price = ModelPrice("m", input=2.50, output=10.00, cached_input=1.25)
    # 1,000 prompt tokens of which 400 cached, 200 completion tokens
    expected = (600 * 2.50 + 400 * 1.25 + 200 * 10.00) / 1_000_000
    assert call_cost(price, 1000, 200, 400) == pytest.approx(expected)
    assert call_cost(price, 1000, 200, 400, multiplier=1.5) == pytest.approx(expected * 1.5)
    assert call_cost(price, 0, 0) == 0.0
    # more cached tokens than prompt tokens is bad data: all of the prompt is cached, no more
    assert call_cost(price, 100, 0, 500) == pytest.approx(100 * 1.25 / 1e6)


def test_shipped_gpt_4o_mini_by_hand(table):
    # $0.15 input, $0.075 cached input, $0.60 output per million tokens
    assert table.cost("gpt-4o-mini", 10_000, 1_000, 2_000) == pytest.approx(
        (8_000 * 0.15 + 2_000 * 0.075 + 1_000 * 0.60) / 1e6
    )


def test_no_cache_discount_prices_cached_tokens_as_input(table):
    price = table.lookup("llama-3.3-70b-versatile")
    assert price is not None and price.cached_input == price.input


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".toml"])
def test_override_files_merge_field_by_field(tmp_path, suffix):
    data = {
        "checked": "2030-01-01",
        "models": {
            "gpt-4o": {"input": 1.0},
            "my-finetune": {"input": 3.0, "output": 12.0, "aliases": ["ft:gpt-4o:acme::1"]},
        },
        "aliases": {"house-model": "gpt-4o-mini"},
    }
    path = tmp_path / f"prices{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(data))
    elif suffix == ".yaml":
        import yaml

        path.write_text(yaml.safe_dump(data))
    else:
        path.write_text(
            'checked = "2030-01-01"\n[models.gpt-4o]\ninput = 1.0\n'
            '[models.my-finetune]\ninput = 3.0\noutput = 12.0\naliases = ["ft:gpt-4o:acme::1"]\n'
            '[aliases]\nhouse-model = "gpt-4o-mini"\n'
        )
    table = PriceTable.load(path)
    gpt4o = table.lookup("gpt-4o")
    assert gpt4o is not None
    assert (gpt4o.input, gpt4o.cached_input, gpt4o.output) == (1.0, 1.25, 10.0)
    assert table.lookup("ft:gpt-4o:acme::1") == table.lookup("my-finetune")
    assert table.canonical("house-model") == "gpt-4o-mini"
    assert table.checked == "2030-01-01"
    assert table.files == ["prices.json", str(path)]
    assert table.lookup("claude-3-haiku") is not None  # the rest of the shipped table stays


def test_later_overrides_win(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"models": {"gpt-4o": {"input": 1.0, "output": 2.0}}}))
    b.write_text(json.dumps({"models": {"gpt-4o": {"output": 3.0}}}))
    price = PriceTable.load([a, b]).lookup("gpt-4o")
    assert price is not None and (price.input, price.output) == (1.0, 3.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"models": {"new-model": {"input": 1.0}}}', "needs both 'input' and 'output'"),
        ('{"models": {"gpt-4o": {"input": -1}}}', "models.gpt-4o.input"),
        ('{"models": {"gpt-4o": {"inptu": 1}}}', "models.gpt-4o.inptu"),
        ('{"aliases": {"x": "no-such-model"}}', "aliases.x"),
        ("[1, 2]", "a mapping"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_price_files_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UsageError) as info:
        PriceTable.load(path)
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_missing_price_file(tmp_path):
    with pytest.raises(UsageError, match="no such price file"):
        PriceTable.load(tmp_path / "nope.json")
