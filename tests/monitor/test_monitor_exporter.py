"""The Prometheus exporter, scraped over HTTP while requests are fed to it."""

from __future__ import annotations

import math
import socket
import threading
import time
from bisect import bisect_left

import httpx
import pytest
from prom_text import check_histograms, parse, series, value

from raafperf.errors import UsageError
from raafperf.monitor import LiveMetrics, PrometheusExporter
from raafperf.monitor.metrics import E2E_BUCKETS_MS, TTFT_BUCKETS_MS

NAN = float("nan")


def request(i: int) -> dict:
    """A deterministic mix: every 7th fails (no first token), every 5th is unpriced."""
    ok = i % 7 != 0
    return dict(
        variant="baseline" if i % 2 else "cached",
        agent="support" if i % 3 else "research",
        provider="sim-a" if i % 4 else "sim-b",
        ok=ok,
        error_kind="" if ok else ("http_500" if i % 2 else "timeout"),
        ttft_ms=(i * 7.3) % 1200 if ok else NAN,
        e2e_ms=(i * 13.1) % 9000 + 1,
        cache=("hit", "miss", "skip:personal", "off")[(i // 2) % 4],
        cost_usd=NAN if i % 5 == 0 else 0.001 * (i % 3),
        in_flight=i % 17,
    )


def test_scrapes_during_a_run_are_valid_and_the_final_one_is_exact() -> None:
    n = 3000
    with PrometheusExporter(0) as exporter:
        url = exporter.url
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/metrics")
        done = threading.Event()

        def feed() -> None:
            for i in range(n):
                exporter.on_request(**request(i))
                if i % 100 == 0:
                    time.sleep(0.002)  # let scrapes interleave with the feeding
            done.set()

        feeder = threading.Thread(target=feed)
        feeder.start()
        scrapes = 0
        with httpx.Client() as client:
            while not done.is_set() or scrapes < 3:
                response = client.get(url)
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
                types, samples = parse(response.text)
                check_histograms(types, samples)
                scrapes += 1
            feeder.join()
            types, samples = parse(client.get(url).text)
    reqs = [request(i) for i in range(n)]
    assert check_histograms(types, samples) == 8  # ttft and e2e × 2 variants × 2 agents
    assert types["raafperf_requests_total"] == "counter"
    assert types["raafperf_ttft_seconds"] == "histogram"
    assert sum(series(samples, "raafperf_requests_total").values()) == n
    for variant, agent, provider, status in {
        (r["variant"], r["agent"], r["provider"], "ok" if r["ok"] else "error") for r in reqs
    }:
        expected = sum(
            1
            for r in reqs
            if (r["variant"], r["agent"], r["provider"], r["ok"])
            == (variant, agent, provider, status == "ok")
        )
        assert (
            value(
                samples,
                "raafperf_requests_total",
                variant=variant,
                agent=agent,
                provider=provider,
                status=status,
            )
            == expected
        )
    assert value(
        samples, "raafperf_request_errors_total", variant="baseline", kind="http_500"
    ) == sum(1 for r in reqs if r["error_kind"] == "http_500")
    # TTFT histogram of one series, bucket by bucket, computed independently.
    mine = [
        r["ttft_ms"]
        for r in reqs
        if r["variant"] == "cached" and r["agent"] == "support" and not math.isnan(r["ttft_ms"])
    ]
    labels = {"variant": "cached", "agent": "support"}
    for bound in TTFT_BUCKETS_MS:
        le = f"{bound / 1000:g}" if bound % 1000 else str(int(bound // 1000))
        got = value(samples, "raafperf_ttft_seconds_bucket", **labels, le=le)
        assert got == sum(1 for t in mine if t <= bound), le
    assert value(samples, "raafperf_ttft_seconds_count", **labels) == len(mine)
    assert value(samples, "raafperf_ttft_seconds_sum", **labels) == pytest.approx(sum(mine) / 1000)
    # Every request has an E2E, failed ones too.
    e2e_count = sum(v for (name, _), v in samples.items() if name == "raafperf_e2e_seconds_count")
    assert e2e_count == n
    for variant in ("baseline", "cached"):
        mine_v = [r for r in reqs if r["variant"] == variant]
        hits = sum(1 for r in mine_v if r["cache"] == "hit")
        misses = sum(1 for r in mine_v if r["cache"] == "miss")
        assert value(
            samples, "raafperf_cache_requests_total", variant=variant, outcome="skip"
        ) == sum(1 for r in mine_v if r["cache"].startswith("skip"))
        assert value(samples, "raafperf_cache_hit_ratio", variant=variant) == pytest.approx(
            hits / (hits + misses)
        )
        assert value(samples, "raafperf_unpriced_requests_total", variant=variant) == sum(
            1 for r in mine_v if math.isnan(r["cost_usd"])
        )
    cost = sum(v for (name, _), v in samples.items() if name == "raafperf_cost_usd_total")
    assert cost == pytest.approx(sum(r["cost_usd"] for r in reqs if not math.isnan(r["cost_usd"])))
    assert value(samples, "raafperf_in_flight_requests") == reqs[-1]["in_flight"]


def test_label_values_are_escaped() -> None:
    exporter = PrometheusExporter(0)
    exporter.on_request('we"ird\\agent', "a\nb", "p", True, "", 1.0, 2.0, "hit", 0.0, 0)
    _, samples = parse(exporter.exposition())
    assert (
        value(
            samples,
            "raafperf_requests_total",
            variant='we"ird\\agent',
            agent="a\nb",
            provider="p",
            status="ok",
        )
        == 1
    )


def test_worker_snapshots_add_up_with_the_local_counts() -> None:
    exporter = PrometheusExporter(0)
    worker = LiveMetrics()
    for i in range(10):
        exporter.on_request(**request(i))
        worker.on_request(**request(i))
    exporter.update_remote("worker-1", worker.snapshot())
    exporter.update_remote("worker-1", worker.snapshot())  # the latest replaces, not adds
    types, samples = parse(exporter.exposition())
    check_histograms(types, samples)
    assert sum(series(samples, "raafperf_requests_total").values()) == 20
    assert value(samples, "raafperf_in_flight_requests") == 2 * request(9)["in_flight"]
    e2e = sum(v for (name, _), v in samples.items() if name == "raafperf_e2e_seconds_count")
    assert e2e == 20


def test_histogram_bounds_are_inclusive_upper_bounds() -> None:
    metrics = LiveMetrics(ttft_buckets_ms=(10, 20), e2e_buckets_ms=(100,))
    for ttft in (10.0, 10.0001, 20.0, 25.0):
        metrics.on_request("v", "a", "p", True, "", ttft, 100.0, "off", 0.0, 0)
    snap = metrics.snapshot()
    # [≤10, ≤20, above, sum]
    assert snap["ttft"][("v", "a")] == [1, 2, 1, pytest.approx(65.0001)]
    assert snap["e2e"][("v", "a")][:2] == [4, 0]
    assert bisect_left(E2E_BUCKETS_MS, 50) == 0
    with pytest.raises(ValueError):
        LiveMetrics(ttft_buckets_ms=(20, 10))


def test_server_answers_only_metrics_and_refuses_a_busy_port() -> None:
    with PrometheusExporter(0) as exporter:
        base = f"http://127.0.0.1:{exporter.port}"
        assert httpx.get(base + "/").status_code == 200
        assert httpx.get(base + "/nope").status_code == 404
        assert httpx.get(base + "/metrics?x=1").status_code == 200
        with pytest.raises(UsageError, match=f"--prometheus {exporter.port}: cannot listen"):
            PrometheusExporter(exporter.port).start()
        assert exporter.scrapes == 1
    exporter.stop()  # a second stop does nothing
    with pytest.raises(UsageError):
        PrometheusExporter(70000)
    with socket.socket() as s, pytest.raises(httpx.ConnectError):
        s.bind(("127.0.0.1", 0))
        httpx.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=2)
