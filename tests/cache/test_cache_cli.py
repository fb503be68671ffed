"""``raafperf cache stats|clear`` on a SQLite file and a real Redis server."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
import typer
from cache_testkit import CountingCaller, make_request
from typer.testing import CliRunner

from raafperf.cache import build_cache_layer
from raafperf.cache.config import CacheConfig
from raafperf.cli.cache_cmd import register

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    register(app)
    return app


async def fill(config: CacheConfig) -> None:
    layer = build_cache_layer(config, CountingCaller())
    await layer.call(make_request("Weather in Paris", agent="weather"))
    await layer.call(make_request("Weather in Rome", agent="weather"))
    await layer.call(make_request("Capital of Peru", agent="geo", model="gpt-4o"))
    await layer.aclose()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli(), ["cache", *args])
    return result.exit_code, result.stdout, result.stderr


def test_stats_and_clear_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    asyncio.run(fill(CacheConfig(strategy="always", backend="sqlite", path=str(db))))
    code, out, _ = invoke("stats", "--path", str(db))
    assert code == 0, out
    assert f"sqlite cache at {db}" in out and "entries 3" in out
    assert "weather" in out and "geo" in out
    code, out, _ = invoke("stats", "--path", str(db), "--json")
    report = json.loads(out)
    assert report["entries"] == 3 and report["by_agent"]["weather"]["entries"] == 2
    assert report["by_model"] == {
        "gpt-4o-2024-08-06": report["by_model"]["gpt-4o-2024-08-06"],
        "gpt-4o-mini-2024-08-06": report["by_model"]["gpt-4o-mini-2024-08-06"],
    }
    assert invoke("clear", "--path", str(db), "--pattern", "*paris*")[1] == "removed 1 entry\n"
    assert invoke("clear", "--path", str(db), "--agent", "weather")[1] == "removed 1 entry\n"
    assert json.loads(invoke("stats", "--path", str(db), "--json")[1])["entries"] == 1
    assert invoke("clear", "--path", str(db), "--json")[1].strip() == '{"removed": 1}'


def test_stats_and_clear_through_a_scenario_file(tmp_path: Path) -> None:
    db = tmp_path / "scenario-cache.sqlite"
    asyncio.run(
        fill(CacheConfig(strategy="always", backend="sqlite", path=str(db), namespace="demo"))
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"""
name: s
providers: [{{name: sim, kind: simulated, models: [gpt-4o-mini]}}]
agents: [{{name: weather, model: gpt-4o-mini}}]
queries: [{{agent: weather, texts: [hi]}}]
load: {{concurrency: 1, requests: 1}}
cache: {{strategy: smart, backend: sqlite, path: "{db}", namespace: demo}}
variants:
  memory_only: {{cache: {{backend: memory}}}}
"""
    )
    code, out, _ = invoke("stats", "--scenario", str(scenario), "--json")
    assert code == 0, out
    assert json.loads(out)["entries"] == 3
    code, _, err = invoke("stats", "--scenario", str(scenario), "--variant", "memory_only")
    assert code == 2 and "memory cache lives only during a run" in err
    code, _, err = invoke("stats", "--scenario", str(scenario), "--variant", "nope")
    assert code == 2 and "no variant 'nope'" in err
    assert invoke("clear", "--scenario", str(scenario), "--model", "gpt-4o-2024-08-06")[1] == (
        "removed 1 entry\n"
    )


def test_missing_file_and_bad_options_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = invoke("stats", "--path", str(tmp_path / "nope.sqlite"))
    assert code == 2 and "no sqlite cache at" in err
    code, _, err = invoke("stats", "--backend", "memory")
    assert code == 2 and "memory cache lives only during a run" in err
    code, _, err = invoke("clear", "--url", "http://127.0.0.1:1")
    assert code == 2 and "redis://" in err
    assert not (tmp_path / "nope.sqlite").exists()


def test_stats_and_clear_on_redis(redis_url: str) -> None:
    config = CacheConfig(strategy="always", backend="redis", url=redis_url, namespace="clitest")
    asyncio.run(fill(config))
    code, out, _ = invoke("stats", "--url", redis_url, "--namespace", "clitest", "--json")
    assert code == 0, out
    assert json.loads(out)["entries"] == 3
    assert invoke("clear", "--url", redis_url, "--namespace", "clitest")[1] == "removed 3 entries\n"
    assert (
        json.loads(invoke("stats", "--url", redis_url, "--namespace", "clitest", "--json")[1])[
            "entries"
        ]
        == 0
    )


def test_unreachable_redis_names_the_server_but_not_the_password() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = invoke("stats", "--url", f"redis://user:s3cret@127.0.0.1:{port}/0")
    assert code == 2
    assert f"cannot reach the redis cache at redis://user:***@127.0.0.1:{port}/0" in err
    assert "s3cret" not in out + err


@pytest.mark.parametrize("args", [["--help"], ["stats", "--help"], ["clear", "--help"]])
def test_help(args: list[str]) -> None:
    code, out, _ = invoke(*args)
    assert code == 0 and "Usage" in out
