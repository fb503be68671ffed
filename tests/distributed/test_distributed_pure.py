"""Pure parts of distributed runs: the segment barrier, clock arithmetic, actor counts,
merging chunks of workers (one of them failed) and how a loss is reported."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from raafperf.client.types import CallResult
from raafperf.engine.bench import VariantState
from raafperf.engine.loop import SegmentResult
from raafperf.engine.merge import (
    Chunk,
    WorkerResult,
    assemble,
    loss_lines,
    merge_results,
    planned_shares,
)
from raafperf.engine.ray_run import _check_reachable, choose_actor_count
from raafperf.engine.rendezvous import SegmentBarrier, estimate_offset, local_start
from raafperf.engine.stack import Endpoint
from raafperf.errors import UsageError
from raafperf.record.recorder import Recorder
from raafperf.scenario.model import Scenario


def test_barrier_releases_when_all_arrive_and_a_drop_releases_the_waiting() -> None:
    b = SegmentBarrier(range(3))
    assert b.arrive(0, 0) == [] and b.arrive(0, 1) == []
    assert b.arrive(0, 2) == [0]
    assert b.arrive(1, 0) == [] and b.arrive(1, 2) == []
    # Worker 1 dies before segment 1: the two survivors go on together.
    assert b.drop(1) == [1]
    assert b.arrive(2, 0) == [] and b.arrive(2, 2) == [2]
    # A late arrival at a released segment releases nothing twice.
    assert b.arrive(2, 0) == []


def test_barrier_drop_of_the_last_waited_party_releases_several_segments() -> None:
    b = SegmentBarrier([0, 1])
    b.arrive(0, 0)
    assert b.drop(1) == [0]
    assert b.drop(0) == []


def test_clock_offset_uses_the_shortest_round_trip() -> None:
    # Remote clock = local + 1_000_000; the second sample's round trip is the shortest.
    samples = [(0, 1_000_900, 2_000), (10_000, 1_010_050, 10_100), (20_000, 1_020_700, 21_000)]
    offset, rtt = estimate_offset(samples)
    assert rtt == 100
    assert abs(offset - 1_000_000) <= rtt // 2
    with pytest.raises(ValueError):
        estimate_offset([])


def test_local_start_converts_clamps_and_falls_back() -> None:
    delay = 100
    # Coordinator starts at 5_000 on its clock = 4_000 here (offset 1_000); received at 3_950.
    assert local_start(5_000, 1_000, 3_950, delay) == 4_000
    # The release arrived after the start had passed: start at once.
    assert local_start(5_000, 1_000, 4_500, delay) == 4_500
    # An offset far off would start much later than planned: fall back to receipt + delay.
    assert local_start(5_000, -10_000, 3_950, delay) == 4_050


def test_actor_count_defaults_to_cpus_capped_by_users_and_requests() -> None:
    closed = SimpleNamespace(mode="closed", concurrency=16, requests=400)
    assert choose_actor_count(None, 64, [closed]) == 16
    assert choose_actor_count(None, 8, [closed]) == 8
    assert choose_actor_count(None, 0, [closed]) == 1
    assert choose_actor_count(5, 64, [closed]) == 5
    open_loop = SimpleNamespace(mode="open", concurrency=None, requests=None)
    assert choose_actor_count(None, 10_000, [open_loop]) == 256


def _scenario(**load: Any) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "t",
            "providers": [{"name": "sim", "kind": "simulated", "models": ["m"]}],
            "agents": [{"name": "a", "model": "m"}],
            "queries": [{"agent": "a", "texts": ["hello"]}],
            "load": {"mode": "closed", "concurrency": 4, "requests": 100, "warmup": 10, **load},
        }
    )


def _states(**load: Any) -> dict[str, VariantState]:
    return {"baseline": VariantState("baseline", _scenario(**load), [])}


def _recorded(worker: int, n: int, start_idx: int = 0) -> Recorder:
    rec = Recorder(0)
    for i in range(n):
        call = CallResult(
            ok=True,
            provider="sim",
            model="m",
            start_ns=10,
            end_ns=20,
            first_token_ns=12,
            token_ns=[12, 15, 20],
            completion_tokens=3,
        )
        rec.record(
            variant="baseline",
            idx=start_idx + i,
            phase="measure",
            worker=worker,
            agent="a",
            query=0,
            intended_ns=5,
            start_ns=10,
            end_ns=20,
            calls=[call],
            tools=[],
            ok=True,
            error_kind=None,
            turns=1,
        )
    return rec


def _segment() -> SegmentResult:
    return SegmentResult(
        started=5,
        completed=5,
        cancelled=0,
        wall_s=1.0,
        cpu_s=0.1,
        max_in_flight=2,
        interrupted=False,
    )


def test_planned_shares_add_up_to_the_scenario() -> None:
    shares = planned_shares(_states(), rounds=3, workers=2)
    assert sum(shares[w]["baseline"]["requests"] for w in (0, 1)) == 110
    assert {shares[w]["baseline"]["users"] for w in (0, 1)} == {2}
    by_duration = planned_shares(_states(requests=None, duration=5), rounds=1, workers=2)
    assert by_duration[0]["baseline"]["requests"] is None


def test_merge_keeps_a_failed_workers_chunks_and_names_the_loss() -> None:
    states = _states()
    # Worker 0 finished: two chunks and a final part. Worker 1 died after one chunk.
    a, b, c = _recorded(0, 3), _recorded(0, 2, 3), _recorded(0, 1, 5)
    w0 = assemble(
        0,
        [Chunk(0, a.requests, a.calls, {"baseline": [_segment()]}), Chunk(0, b.requests, b.calls)],
        WorkerResult(
            worker=0, requests=c.requests, calls=c.calls, stats={"baseline": {"cache": {"hits": 2}}}
        ),
    )
    d = _recorded(1, 4)
    w1 = assemble(
        1,
        [Chunk(1, d.requests, d.calls, {"baseline": [_segment()]})],
        None,
        error="ActorDiedError: killed",
    )
    recorder, stats = Recorder(0), {}
    planned = planned_shares(states, 1, 2)
    interrupted = merge_results(
        {0: w0, 1: w1},
        2,
        recorder,
        states,
        stats,
        backend="ray",
        planned=planned,
        labels={1: {"actor": "r-worker-1"}},
    )
    assert not interrupted
    assert len(recorder.requests) == 10 and len(recorder.calls) == 10
    idx = list(recorder.requests.ints["idx"])
    assert len(set(idx)) == 10, "request numbers stay unique across workers"
    assert list(recorder.calls.ints["request_idx"]) == idx
    assert len(states["baseline"].segments) == 2
    workers = stats["baseline"]["workers"]
    assert workers["count"] == 2 and workers["backend"] == "ray"
    (lost,) = workers["lost"]
    assert lost["worker"] == 1 and lost["actor"] == "r-worker-1"
    assert lost["planned"]["requests"] == 55
    assert lost["received"] == {"requests": 4, "calls": 4, "segments": 1}
    assert lost["kept"] is True
    assert stats["baseline"]["cache"] == {"hits": 2}
    (line,) = loss_lines({"variants": {"baseline": stats["baseline"]}})
    assert "r-worker-1" in line and "ActorDiedError" in line and "4 of its 55" in line


def test_a_worker_with_nothing_sent_is_lost_with_its_share() -> None:
    states = _states()
    ok = _recorded(0, 2)
    collected = {
        0: assemble(0, [], WorkerResult(0, ok.requests, ok.calls)),
        1: assemble(1, [], None, error="worker process exited with code -9"),
    }
    stats: dict[str, Any] = {}
    merge_results(collected, 2, Recorder(0), states, stats, planned=planned_shares(states, 1, 2))
    (lost,) = stats["baseline"]["workers"]["lost"]
    assert lost["kept"] is False and lost["received"]["requests"] == 0
    (line,) = loss_lines({"variants": stats})
    assert "worker 1" in line and "none of its 55 planned requests arrived" in line


def test_loopback_addresses_are_refused_for_actors_on_other_machines() -> None:
    states = _states()
    endpoints = {"baseline": {"sim": Endpoint(base_url="http://127.0.0.1:9999")}}
    here = [{"node_id": "n1", "hostname": "head"}]
    _check_reachable(states, endpoints, here, "n1")  # all on this machine: fine
    elsewhere = [*here, {"node_id": "n2", "hostname": "worker-b"}]
    with pytest.raises(UsageError, match=r"127\.0\.0\.1.*worker-b"):
        _check_reachable(states, endpoints, elsewhere, "n1")
    reachable = {"baseline": {"sim": Endpoint(base_url="http://10.0.0.5:8000")}}
    _check_reachable(states, reachable, elsewhere, "n1")
