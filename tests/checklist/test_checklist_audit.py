"""The checklist audit of `raafperf check`: each item passes, warns or fails with a reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from raafperf.analysis.checklist import AuditItem, audit, counts, print_audit
from raafperf.cli.app import app
from raafperf.scenario.loader import load_scenario

RISKY = """\
name: risky
providers:
  - name: only
    kind: simulated
    models: [m]
    client:
      timeouts: {connect: null, read: null}
agents: [{name: a, model: m}]
queries: [{agent: a, texts: ["hello"]}]
load: {mode: closed, concurrency: 4, requests: 50}
"""

SOUND = """\
name: sound
providers:
  - name: primary
    kind: simulated
    models: [m]
    client:
      timeouts: {connect: 5, read: 60}
      retries: {max_attempts: 3, budget: {ratio: 0.1}}
  - name: backup
    kind: simulated
    models: [m]
    client:
      retries: {max_attempts: 2}
agents: [{name: a, model: m}]
queries: [{agent: a, texts: ["hello"]}]
load: {mode: closed, concurrency: 8, requests: 6000, warmup: 16}
cache: {strategy: smart, ttl_s: 3600}
budget: {per_run_usd: 5}
router: {max_attempts: 2}
thresholds: {p95_ttft_ms: 500, p99_e2e_ms: 2000, error_rate: 0.01}
"""


def load(tmp_path: Path, body: str, *, profile: str | None = None):
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(body))
    return load_scenario(path, profile=profile)


def by_name(items: list[AuditItem]) -> dict[str, AuditItem]:
    return {item.name: item for item in items}


def test_no_timeouts_and_no_fallback_provider_are_flagged(tmp_path: Path) -> None:
    items = by_name(audit(load(tmp_path, RISKY)))
    timeouts = items["timeouts (only)"]
    assert timeouts.status == "fail"
    assert "connect" in timeouts.reason and "read" in timeouts.reason
    assert timeouts.where == "providers[only].client.timeouts"
    fallback = items["fallback provider (a)"]
    assert fallback.status == "warn" and "only by only" in fallback.reason
    # One provider and no client retries: nothing retries a transient fault.
    assert items["retries (only)"].status == "warn"
    assert items["warm-up"].status == "warn"
    assert items["CI thresholds"].status == "warn"
    assert items["response cache"].status == "warn"


def test_a_scenario_following_the_checklist_passes_every_item(tmp_path: Path) -> None:
    items = audit(load(tmp_path, SOUND))
    assert counts(items) == {"pass": len(items), "warn": 0, "fail": 0}, [
        (i.name, i.reason) for i in items if i.status != "pass"
    ]
    names = {i.name for i in items}
    assert {
        "pooling (primary)",
        "timeouts (backup)",
        "retries (primary)",
        "cache TTLs",
        "budgets",
        "fallback provider (a)",
        "circuit breakers",
        "samples for p99",
    } <= names


def test_unbounded_retries_fail_and_too_many_attempts_warn(tmp_path: Path) -> None:
    body = SOUND.replace(
        "retries: {max_attempts: 3, budget: {ratio: 0.1}}",
        "retries: {max_attempts: 3, budget: null}",
    )
    body = body.replace("retries: {max_attempts: 2}", "retries: {max_attempts: 9}")
    items = by_name(audit(load(tmp_path, body)))
    assert items["retries (primary)"].status == "fail"
    assert "retry budget" in items["retries (primary)"].reason
    assert items["retries (backup)"].status == "warn"
    assert "max_attempts 9" in items["retries (backup)"].reason


def test_profile_changes_the_audit_outcome(tmp_path: Path) -> None:
    body = RISKY + textwrap.dedent("""\
        profiles:
          production:
            providers:
              only: {client: {timeouts: {connect: 3, read: 30}}}
            budget: {per_run_usd: 2}
        """)
    plain = by_name(audit(load(tmp_path, body)))
    production = by_name(audit(load(tmp_path, body, profile="production")))
    assert plain["timeouts (only)"].status == "fail"
    assert production["timeouts (only)"].status == "pass"
    assert production["timeouts (only)"].reason == "connect 3 s, read 30 s"
    assert plain["budgets"].status == "warn" and production["budgets"].status == "pass"


def test_p99_threshold_over_few_requests_fails_and_sample_sizes_are_explained(
    tmp_path: Path,
) -> None:
    few = (
        RISKY.replace("requests: 50", "requests: 50, warmup: 4")
        + "thresholds: {p99_e2e_ms: 900, error_rate: 0.01}\n"
    )
    item = by_name(audit(load(tmp_path, few)))["samples for p99"]
    assert item.status == "fail" and "p99_e2e_ms" in item.reason
    medium = by_name(audit(load(tmp_path, RISKY.replace("requests: 50", "requests: 1200"))))
    item = medium["samples for p99"]
    assert item.status == "warn" and "5,000" in item.reason and "p50, p95 can" in item.reason
    timed = by_name(audit(load(tmp_path, RISKY.replace("requests: 50", "duration: 30"))))
    assert timed["samples for p99"].status == "warn"
    assert "duration only" in timed["samples for p99"].reason


def test_real_provider_without_tls_checks_fails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RAAFPERF_TEST_UNSET_KEY", raising=False)
    body = RISKY.replace(
        "kind: simulated",
        "kind: openai\n    base_url: https://127.0.0.1:9\n    api_key_env: RAAFPERF_TEST_UNSET_KEY",
    ).replace("timeouts: {connect: null, read: null}", "verify: false")
    items = by_name(audit(load(tmp_path, body)))
    assert items["TLS verification (only)"].status == "fail"
    assert items["API key (only)"].status == "warn"
    assert "RAAFPERF_TEST_UNSET_KEY" in items["API key (only)"].reason
    assert items["rate limits (only)"].status == "warn"
    assert items["budgets"].status == "warn" and "paid providers" in items["budgets"].reason


def test_print_audit_shows_every_item_with_its_status_and_reason(tmp_path: Path) -> None:
    items = audit(load(tmp_path, RISKY))
    console = Console(record=True, width=200)
    print_audit(items, console=console)
    text = console.export_text()
    for item in items:
        assert item.name in text
    assert "✗ FAIL" in text and "! warn" in text and "✓ pass" in text
    c = counts(items)
    assert f"audit: {c['pass']} passed, {c['warn']} warned, {c['fail']} failed" in text


def test_check_command_exits_1_on_a_failed_item(tmp_path: Path) -> None:
    path = tmp_path / "risky.yaml"
    path.write_text(RISKY)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "timeouts (only)" in result.output and "FAIL" in result.output
    good = tmp_path / "sound.yaml"
    good.write_text(SOUND)
    result = CliRunner().invoke(app, ["check", str(good)])
    assert result.exit_code == 0, result.output
    assert "0 warned, 0 failed" in result.output
