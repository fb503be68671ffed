"""One suite, three backends: memory, SQLite and a real redis-server behave the same."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cache_testkit import FakeClock

from raafperf.cache.backends import Selector, open_backend, pack_semantic, unpack_semantic
from raafperf.cache.config import CacheConfig
from raafperf.cache.entry import CacheEntry

NOW = 1_700_000_000.0


def entry(
    query: str,
    *,
    agent: str = "helper",
    model: str = "gpt-4o",
    ttl: float = 60,
    text: str = "an answer",
    scope: str = "",
) -> CacheEntry:
    return CacheEntry(
        text=text,
        tool_calls=[("c1", "lookup", '{"a":1}')],
        finish_reason="stop",
        model=model,
        status=200,
        prompt_tokens=12,
        completion_tokens=5,
        cached_tokens=2,
        usage_reported=True,
        agent=agent,
        query=query,
        created_at=NOW,
        expires_at=NOW + ttl,
        scope=scope,
    )


async def test_roundtrip_keeps_every_field(make_config: Callable[..., CacheConfig]) -> None:
    backend = open_backend(make_config())
    stored = entry("What is the capital of France?", text="Paris ✓")
    assert await backend.put("k1", stored, NOW)
    got = await backend.get("k1", NOW + 1)
    assert got is not None
    assert (got.text, got.tool_calls, got.model, got.prompt_tokens, got.completion_tokens) == (
        "Paris ✓",
        [("c1", "lookup", '{"a":1}')],
        "gpt-4o",
        12,
        5,
    )
    assert (got.cached_tokens, got.usage_reported, got.agent, got.status) == (
        2,
        True,
        "helper",
        200,
    )
    assert await backend.get("missing", NOW) is None
    await backend.aclose()


async def test_entries_expire_by_the_callers_clock(make_config: Callable[..., CacheConfig]) -> None:
    backend = open_backend(make_config())
    await backend.put("k", entry("q", ttl=30), NOW)
    assert await backend.get("k", NOW + 29.9) is not None
    assert await backend.get("k", NOW + 30) is None
    assert backend.expirations == 1
    assert await backend.get("k", NOW + 1) is None  # gone for good, not just hidden
    await backend.aclose()


async def test_overwrite_replaces(make_config: Callable[..., CacheConfig]) -> None:
    backend = open_backend(make_config())
    await backend.put("k", entry("q", text="old"), NOW)
    await backend.put("k", entry("q", text="new"), NOW)
    got = await backend.get("k", NOW)
    assert got is not None and got.text == "new"
    assert (await backend.size())[0] == 1
    await backend.aclose()


async def test_invalidation_by_agent_model_and_pattern(
    make_config: Callable[..., CacheConfig],
) -> None:
    backend = open_backend(make_config())
    await backend.put("a1", entry("Weather in Paris", agent="weather"), NOW)
    await backend.put("a2", entry("Weather in London", agent="weather", model="gpt-4o-mini"), NOW)
    await backend.put("b1", entry("Capital of France", agent="geo"), NOW)
    await backend.put("b2", entry("Capital of Spain", agent="geo"), NOW)
    assert await backend.delete(Selector(pattern="*PARIS*")) == 1
    assert await backend.get("a1", NOW) is None
    assert await backend.delete(Selector(agent="weather", model="gpt-4o")) == 0
    assert await backend.delete(Selector(model="gpt-4o-mini")) == 1
    assert await backend.delete(Selector(agent="geo")) == 2
    assert await backend.size() == (0, 0)
    await backend.aclose()


async def test_clear_and_size_count_entries_and_bytes(
    make_config: Callable[..., CacheConfig],
) -> None:
    backend = open_backend(make_config())
    assert await backend.size() == (0, 0)
    first = entry("q1")
    await backend.put("k1", first, NOW)
    await backend.put("k2", entry("q2"), NOW)
    count, size = await backend.size()
    assert count == 2 and size >= 2 * first.size
    assert await backend.delete(Selector()) == 2
    assert await backend.size() == (0, 0)
    await backend.aclose()


async def test_semantic_records_live_and_die_with_their_entries(
    make_config: Callable[..., CacheConfig],
) -> None:
    backend = open_backend(make_config())
    vec = bytes(range(16))
    await backend.put("k1", entry("q1", scope="s"), NOW)
    await backend.sem_put("s", "k1", pack_semantic("first query", vec), NOW + 60, NOW)
    await backend.put("k2", entry("q2", scope="s"), NOW)
    await backend.sem_put("s", "k2", pack_semantic("second query", vec), NOW + 60, NOW)
    assert set(await backend.sem_keys("s", 10)) == {"k1", "k2"}
    records = await backend.sem_get("s", ["k1", "k2", "gone"])
    assert set(records) == {"k1", "k2"}
    assert unpack_semantic(records["k1"], dim=4) == ("first query", vec)
    assert await backend.sem_keys("other", 10) == []
    assert await backend.sem_get("other", ["k1"]) == {}
    assert len(await backend.sem_keys("s", 1)) == 1
    await backend.sem_drop("s", "k2")
    assert await backend.sem_keys("s", 10) == ["k1"]
    await backend.delete(Selector(pattern="q1"))
    assert await backend.sem_keys("s", 10) == []
    await backend.aclose()


@pytest.mark.parametrize("backend_name", ["sqlite", "redis"], indirect=True)
async def test_persistent_backends_survive_a_new_process(
    make_config: Callable[..., CacheConfig],
) -> None:
    config = make_config()
    first = open_backend(config)
    await first.put("k", entry("persisted"), NOW)
    await first.aclose()
    second = open_backend(config)
    got = await second.get("k", NOW)
    assert got is not None and got.query == "persisted"
    await second.aclose()


@pytest.mark.parametrize("backend_name", ["sqlite", "redis"], indirect=True)
async def test_namespaces_keep_scenarios_apart(make_config: Callable[..., CacheConfig]) -> None:
    one = open_backend(make_config(namespace="one"))
    two = open_backend(make_config(namespace="two"))
    await one.delete(Selector())
    await two.delete(Selector())
    await one.put("k", entry("q"), NOW)
    assert await two.get("k", NOW) is None
    assert await two.delete(Selector()) == 0
    assert await one.get("k", NOW) is not None
    await one.delete(Selector())
    await one.aclose()
    await two.aclose()


@pytest.mark.parametrize("backend_name", ["memory", "sqlite"], indirect=True)
async def test_size_bound_evicts_least_recently_used(
    make_config: Callable[..., CacheConfig],
) -> None:
    one = entry("q0")
    one.to_bytes()
    per_entry = one.size + 2
    backend = open_backend(make_config(max_bytes=max(1024, int(per_entry * 3.5))))
    clock = FakeClock(NOW)
    n = max(3, 1024 // per_entry)
    for i in range(n):
        await backend.put(f"k{i}", entry(f"q{i}"), clock())
    assert await backend.get("k0", clock()) is not None  # k0 becomes most recently used
    for i in range(n, n + 3):
        await backend.put(f"k{i}", entry(f"q{i}"), clock())
    assert backend.evictions >= 3
    assert await backend.get("k0", clock()) is not None
    assert await backend.get("k1", clock()) is None
    count, size = await backend.size()
    assert size <= backend.max_bytes and count < n + 3
    await backend.aclose()


async def test_memory_refuses_an_entry_larger_than_the_bound() -> None:
    backend = open_backend(CacheConfig(strategy="always", max_bytes=1024))
    assert not await backend.put("k", entry("q", text="x" * 2000), NOW)
    assert await backend.size() == (0, 0)


def test_bad_sqlite_path_is_a_clear_error(tmp_path) -> None:
    from raafperf.errors import RaafperfError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(RaafperfError, match="cannot open the sqlite cache"):
        open_backend(
            CacheConfig(strategy="always", backend="sqlite", path=str(blocker / "cache.sqlite"))
        )


def test_redis_location_hides_the_password() -> None:
    from raafperf.cache.backends.redis import redact_url

    assert (
        redact_url("redis://user:hunter2@127.0.0.1:6380/1") == "redis://user:***@127.0.0.1:6380/1"
    )
    assert redact_url("redis://:hunter2@localhost/0") == "redis://***@localhost/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
