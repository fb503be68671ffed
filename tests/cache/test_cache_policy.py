"""The strategies as pure logic: what smart skips, how it normalizes, which TTL it picks."""

from __future__ import annotations

import pytest
from cache_testkit import FakeClock, make_request
from pydantic import ValidationError

from raafperf.agents.config import AgentConfig, ToolConfig
from raafperf.cache.config import CacheConfig
from raafperf.cache.policy import CachePolicy

SMART = CacheConfig(strategy="smart")

PERSONAL = [
    "What is my account balance?",
    "Can you remind me of my order number?",
    "I need to update the shipping address",
    "Is this laptop ours?",
    "Send the invoice to jane.doe@example.com",
    "Call +1 415 555 0100 please",
    "Text 415-555-0100 about the delivery",
    "What's the email for support?",
]
TIME_SENSITIVE = [
    "What is the weather today?",
    "Show the latest news about Apple",
    "What is the EUR/USD rate right now?",
    "Who won the game yesterday?",
    "Any events this weekend in Paris?",
    "What happened on 2024-01-15?",
    "Schedule for March 3rd please",
    "What time is it in Tokyo?",
]
FACTUAL = [
    "What is the capital of France?",
    "Explain how photosynthesis works.",
    "Who was Ada Lovelace?",
    "Define entropy",
    "How to convert Celsius to Fahrenheit?",
    "Where do penguins live?",
    "How do I convert Celsius to Fahrenheit?",
    "Can you tell me what machine learning is?",
]


@pytest.mark.parametrize("text", PERSONAL)
def test_smart_skips_personal_queries(text: str) -> None:
    assert CachePolicy(SMART).skip_reason(make_request(text)) == "personal"


@pytest.mark.parametrize("text", TIME_SENSITIVE)
def test_smart_skips_time_sensitive_queries(text: str) -> None:
    assert CachePolicy(SMART).skip_reason(make_request(text)) == "time_sensitive"


@pytest.mark.parametrize("text", FACTUAL)
def test_smart_caches_factual_queries(text: str) -> None:
    assert CachePolicy(SMART).skip_reason(make_request(text)) is None


def test_always_never_skips() -> None:
    policy = CachePolicy(CacheConfig(strategy="always"))
    for text in PERSONAL + TIME_SENSITIVE:
        assert policy.skip_reason(make_request(text)) is None
    assert policy.normalizer is None
    assert policy.ttl(make_request("What is the weather today?")) == ("default", 14400)


def test_smart_skips_personalized_contexts() -> None:
    policy = CachePolicy(SMART)
    req = make_request(context={"user": "u1", "personalized": "true"})
    assert policy.skip_reason(req) == "personalized_context"
    assert policy.skip_reason(make_request(context={"personalized": "false"})) is None


def test_smart_skips_agents_and_requests_with_current_data_tools() -> None:
    agents = [
        AgentConfig(name="quotes", model="m", tools=[ToolConfig(name="getCurrentPrice")]),
        AgentConfig(name="wiki", model="m", tools=[ToolConfig(name="search_encyclopedia")]),
        AgentConfig(name="feed", model="m", tools=[ToolConfig(name="fetch_realtime_quote")]),
    ]
    policy = CachePolicy(SMART, agents)
    assert policy.skip_reason(make_request(agent="quotes")) == "current_data_tool"
    assert policy.skip_reason(make_request(agent="feed")) == "current_data_tool"
    assert policy.skip_reason(make_request(agent="wiki")) is None
    tool = {"type": "function", "function": {"name": "live_scores", "parameters": {}}}
    assert policy.skip_reason(make_request(agent="wiki", tools=[tool])) == "current_data_tool"
    known = {"type": "function", "function": {"name": "knowledge_lookup", "parameters": {}}}
    assert policy.skip_reason(make_request(agent="wiki", tools=[known])) is None


def test_smart_normalization_for_the_key() -> None:
    policy = CachePolicy(SMART)
    norm = policy.normalize
    assert norm("  What IS   the capital\tof France?? ") == "what is the capital of france"
    assert norm("report for 2024-01-15 at 10:30") == "report for [date] at [time]"
    assert norm("Tell me my plan") == "tell [user] [user] plan"
    assert policy.normalizer is not None
    off = CachePolicy(CacheConfig(strategy="smart", smart={"normalize": False}))
    assert off.normalizer is None


def test_smart_ttl_rules() -> None:
    policy = CachePolicy(SMART)
    assert policy.ttl(make_request("Weather in Paris")) == ("current", 300)
    assert policy.ttl(make_request("What is the capital of France?")) == ("factual", 86400)
    assert policy.ttl(make_request("Tips for a job interview")) == ("default", 14400)
    support = make_request("Tips for a job interview", context={"conversation_type": "support"})
    assert policy.ttl(support) == ("support", 3600)


def test_rules_are_configurable() -> None:
    config = CacheConfig.model_validate(
        {
            "strategy": "smart",
            "ttl_s": 60,
            "smart": {
                "personal_patterns": [r"\bsecret\b"],
                "time_patterns": [],
                "ttl_rules": [{"name": "recipes", "ttl_s": 999, "patterns": ["recipe"]}],
            },
        }
    )
    policy = CachePolicy(config)
    assert policy.skip_reason(make_request("my secret plan")) == "personal"
    assert policy.skip_reason(make_request("What is my name today?")) is None
    assert policy.ttl(make_request("a recipe for bread")) == ("recipes", 999)
    assert policy.ttl(make_request("anything")) == ("default", 60)


def test_context_dimensions_and_time_bucket_from_the_clock() -> None:
    clock = FakeClock(start=1_705_312_800.0)  # 2024-01-15T10:00:00Z
    config = CacheConfig(
        strategy="always", context={"dimensions": ["user", "time"], "time_bucket_s": 3600}
    )
    policy = CachePolicy(config, clock=clock)
    req = make_request(context={"user": "u1", "location": "sf"})
    assert policy.context_values(req) == {"user": "u1", "time": "2024-01-15T10:00:00Z"}
    clock.advance(3599)
    assert policy.context_values(req)["time"] == "2024-01-15T10:00:00Z"
    clock.advance(1)
    assert policy.context_values(req)["time"] == "2024-01-15T11:00:00Z"
    assert policy.context_values(make_request())["user"] == ""
    assert CachePolicy(CacheConfig(strategy="always")).context_values(req) is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"strategy": "sometimes"}, "strategy"),
        ({"smart": {"personal_patterns": ["(unclosed"]}}, "not a valid regular expression"),
        ({"smart": {"ttl_rules": [{"name": "x", "ttl_s": 5}]}}, "needs 'patterns' or 'context'"),
        ({"semantic": {"enabled": True, "embedder": "endpoint"}}, "needs 'provider'"),
        ({"semantic": {"threshold": 1.5}}, "threshold"),
        ({"url": "http://localhost:6379"}, "redis://"),
        ({"context": {"dimensions": ["user", "user"]}}, "unique"),
        ({"cahce": 1}, "cahce"),
    ],
)
def test_invalid_sections_say_why(section: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        CacheConfig.model_validate(section)
    assert message in str(err.value)
