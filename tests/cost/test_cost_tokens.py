"""Token counts: tiktoken's, offline, for o200k and cl100k; a flagged estimate elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import raafperf
from raafperf.cost.tokens import (
    CL100K,
    O200K,
    count_messages,
    count_text,
    encoding_for,
    estimate_text,
)

# Reference token ids published in OpenAI's cookbook "How to count tokens with tiktoken"
# (developers.openai.com/cookbook/examples/how_to_count_tokens_with_tiktoken), produced there
# by tiktoken itself.
COOKBOOK_IDS = {
    (CL100K, "tiktoken is great!"): [83, 1609, 5963, 374, 2294, 0],
    (O200K, "tiktoken is great!"): [83, 8251, 2488, 382, 2212, 0],
    (CL100K, "antidisestablishmentarianism"): [519, 85342, 34500, 479, 8997, 2191],
    (O200K, "antidisestablishmentarianism"): [493, 129901, 376, 160388, 21203, 2367],
    (CL100K, "2 + 2 = 4"): [17, 489, 220, 17, 284, 220, 19],
    (O200K, "2 + 2 = 4"): [17, 659, 220, 17, 314, 220, 19],
    (CL100K, "お誕生日おめでとう"): [33334, 45918, 243, 21990, 9080, 33334, 62004, 16556, 78699],
    (O200K, "お誕生日おめでとう"): [8930, 9697, 243, 128225, 8930, 17693, 4344, 48669],
    # tiktoken's own test suite (tests/test_encoding.py: test_simple)
    (CL100K, "hello world"): [15339, 1917],
    (O200K, "hello world"): [24912, 2375],
}
MODEL_OF = {CL100K: "gpt-4", O200K: "gpt-4o"}

# bpe-openai's Python wrapper (the reference encoder) uses a deprecated importlib call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TEXTS = [
    "",
    " ",
    "\n\n\n",
    "Hello, world!",
    "  leading and trailing spaces   ",
    "tabs\tand\r\nwindows newlines\n\n  indented",
    "The quick brown fox jumps over the lazy dog. " * 20,
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # comment\n",
    "1234567890 3.14159 -42 1e-9 0xDEADBEEF 2026-12-04T20:47:19Z",
    "Ünïcödé façade naïve café — “quotes” ‘single’ … ellipsis",
    "Привет, как дела? Быстрая коричневая лиса прыгает через ленивую собаку.",
    "中文分词测试：今天天气很好，我们去公园散步吧。",
    "مرحبا بالعالم، هذا اختبار للنص العربي.",
    "emoji 👩‍👩‍👧‍👦 🇫🇷 👍🏽 🤖🚀",
    "<|endoftext|> special tokens are plain text here <|fim_prefix|>",
    "I'm you're he'll we've they'd IT'S DON'T",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "https://example.com/path?query=1&x=%20#frag user@example.org",
    "    \n    \n",
    "A" + "\u0301" * 5 + " combining marks",
]


@pytest.fixture(scope="module")
def encodings():
    """bpe-openai's tiktoken-compatible encoders: the reference the counts must equal."""
    import bpe_openai

    return {name: bpe_openai.get_encoding(name) for name in (O200K, CL100K)}


@pytest.mark.parametrize(("key", "ids"), list(COOKBOOK_IDS.items()), ids=lambda v: str(v)[:30])
def test_counts_equal_published_tiktoken_counts(key, ids, encodings):
    encoding, text = key
    assert encodings[encoding].encode(text) == ids  # the encoder is tiktoken's, id for id
    assert count_text(text, MODEL_OF[encoding]) == (len(ids), True)


@pytest.mark.parametrize("encoding", [O200K, CL100K])
def test_counts_equal_tiktoken_compatible_encoder(encoding, encodings):
    enc = encodings[encoding]
    long_text = "\n".join(TEXTS) * 50
    for text in [*TEXTS, long_text]:
        count, exact = count_text(text, MODEL_OF[encoding])
        assert exact
        assert count == len(enc.encode_ordinary(text)), text


def test_counts_work_with_the_network_unplugged(tmp_path):
    # A fresh interpreter where every socket refuses to connect and no tiktoken cache exists.
    code = textwrap.dedent(
        """
        import json, socket
        def refuse(*a, **k):
            raise OSError("network unplugged")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from raafperf.cost.tokens import count_text
        print(json.dumps([count_text("antidisestablishmentarianism", m)
                          for m in ("gpt-4o", "gpt-4", "o3-mini", "gpt-5")]))
        """
    )
    env = {"PATH": "", "TIKTOKEN_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(raafperf.__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [[6, True]] * 4


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", O200K),
        ("gpt-4o-mini-2024-07-18", O200K),
        ("chatgpt-4o-latest", O200K),
        ("gpt-4.1-nano", O200K),
        ("gpt-4.5-preview", O200K),
        ("gpt-5", O200K),
        ("gpt-5.4-mini", O200K),
        ("o1", O200K),
        ("o3-mini", O200K),
        ("o4-mini-2025-04-16", O200K),
        ("gpt-oss-120b", O200K),
        ("openai/gpt-4o", O200K),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc", O200K),
        ("gpt-4", CL100K),
        ("gpt-4-0613", CL100K),
        ("gpt-4-turbo", CL100K),
        ("gpt-3.5-turbo-0125", CL100K),
        ("gpt-35-turbo", CL100K),
        ("text-embedding-3-small", CL100K),
        ("claude-sonnet-4-5", None),
        ("gemini-2.5-flash", None),
        ("llama-3.3-70b-versatile", None),
        ("mistral-large-latest", None),
        ("o", None),
        ("omni-model", None),
    ],
)
def test_model_encoding_mapping(model, encoding):
    assert encoding_for(model) == encoding


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "gemini-2.5-pro", "llama-3.1-8b-instant"])
def test_unknown_tokenizers_fall_back_to_a_flagged_estimate(model):
    assert count_text("x" * 10, model) == (3, False)  # ceil(10 / 4)
    assert count_text("", model) == (0, False)
    assert estimate_text("abcd") == 1


# The cookbook's examples, whose counts it checked against the API's usage.prompt_tokens.
COOKBOOK_MESSAGES = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that "
     "translates corporate jargon into plain English."},
    {"role": "system", "name": "example_user",
     "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant",
     "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user", "content": "Let's circle back when we have more "
     "bandwidth to touch base on opportunities for increased leverage."},
    {"role": "system", "name": "example_assistant",
     "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for "
     "the client deliverable."},
]  # fmt: skip
WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {
                        "type": "string",
                        "description": "The unit of temperature to return",
                        "enum": ["celsius", "fahrenheit"],
                    },
                },
                "required": ["location"],
            },
        },
    }
]
WEATHER_MESSAGES = [
    {"role": "system",
     "content": "You are a helpful assistant that can answer to questions about the weather."},
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gpt-3.5-turbo", 129), ("gpt-4-0613", 129), ("gpt-4", 129), ("gpt-4o", 124),
     ("gpt-4o-mini", 124)],
)  # fmt: skip
def test_message_overhead_matches_the_api(model, expected):
    assert count_messages(COOKBOOK_MESSAGES, model) == (expected, True)


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gpt-3.5-turbo", 105), ("gpt-4", 105), ("gpt-4o", 101), ("gpt-4o-mini", 101)],
)
def test_tool_overhead_matches_the_api(model, expected):
    assert count_messages(WEATHER_MESSAGES, model, WEATHER_TOOLS) == (expected, True)


def test_text_parts_count_like_a_string():
    as_parts = [{"role": "user", "content": [{"type": "text", "text": "hello world"}]}]
    as_string = [{"role": "user", "content": "hello world"}]
    assert count_messages(as_parts, "gpt-4o") == count_messages(as_string, "gpt-4o")
    assert count_messages(as_string, "gpt-4o") == (3 + 1 + 2 + 3, True)


def test_shapes_outside_the_published_rules_are_flagged_inexact():
    tool_turn = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_current_weather", "arguments": '{"location":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
    ]  # fmt: skip
    count, exact = count_messages(tool_turn, "gpt-4o")
    assert not exact
    plain = count_messages(tool_turn[:1], "gpt-4o")[0]
    assert count > plain + 10  # the call's name and arguments and the result are all counted
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    assert count_messages(image, "gpt-4o")[1] is False
    nested = [
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "properties": {"xs": {"type": "array", "items": {"type": "string"}}},
                },
            },
        }
    ]
    assert count_messages(WEATHER_MESSAGES, "gpt-4o", nested)[1] is False


def test_messages_for_unknown_models_are_estimates():
    count, exact = count_messages(WEATHER_MESSAGES, "claude-haiku-4-5", WEATHER_TOOLS)
    assert not exact
    text = sum(estimate_text(m["role"]) + estimate_text(m["content"]) for m in WEATHER_MESSAGES)
    assert count > text + 2 * 3 + 3
