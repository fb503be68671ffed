"""The two profilers on a small async workload of our own (no engine): what they find."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from raafperf.profiling.cpu import CpuProfiler
from raafperf.profiling.memory import MemoryProfiler

DOC = json.dumps(
    {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(300)]}
)


def parse_documents(n: int) -> int:
    return sum(len(json.loads(DOC)["items"]) for _ in range(n))


async def busy_request() -> None:
    parse_documents(20)
    await asyncio.sleep(0.002)
    parse_documents(20)


async def idle_request() -> None:
    await asyncio.sleep(0.05)


def hold_big() -> list[str]:
    return [f"big-{i:08d}" * 8 for i in range(40_000)]


async def allocating_request(hold_s: float) -> None:
    held = hold_big()
    await asyncio.sleep(hold_s)
    del held


async def _cpu_workload(prof: CpuProfiler) -> None:
    async with prof("baseline"):
        # Tasks made inside the profiled context inherit it (async_mode="enabled").
        tasks = [asyncio.create_task(busy_request()) for _ in range(6)]
        tasks += [asyncio.create_task(idle_request()) for _ in range(3)]
        await asyncio.gather(*tasks)


def test_cpu_profile_finds_the_busy_functions_and_saves_reports(tmp_path: Path) -> None:
    prof = CpuProfiler(interval=0.0005)
    asyncio.run(_cpu_workload(prof))
    hot = prof.hotspots("baseline", own_package="profiling")
    names = [f.name for f in hot.by_total(10, "profiling")]
    assert any(n.endswith(":parse_documents") for n in names), names
    parse = next(f for f in hot.functions if f.name.endswith(":parse_documents"))
    busy = next(f for f in hot.functions if f.name.endswith(":busy_request"))
    # busy_request's CPU is parse_documents' (its sleep is awaiting, not CPU).
    assert busy.total_s >= parse.total_s * 0.9
    assert parse.total_s > busy.own_s
    idle = [f for f in hot.functions if f.name.endswith(":idle_request")]
    assert not idle or idle[0].total_s < parse.total_s
    top_own = hot.by_own(5)
    assert top_own and all(not f.name.startswith("[") for f in top_own)
    assert hot.busy_s > 0 and hot.samples > 0
    as_dict = hot.to_dict(top=5, own_package="profiling")
    assert as_dict["top_total_own_package"]

    files = prof.save(tmp_path / "profiles", relative_to=tmp_path)
    assert set(files) == {"cpu_html_baseline", "cpu_speedscope_baseline", "cpu_session_baseline"}
    html = (tmp_path / files["cpu_html_baseline"]).read_text()
    assert "<html" in html.lower() and "parse_documents" in html
    speedscope = json.loads((tmp_path / files["cpu_speedscope_baseline"]).read_text())
    assert "speedscope" in speedscope["$schema"]
    from pyinstrument.session import Session

    assert Session.load(tmp_path / files["cpu_session_baseline"]).sample_count == hot.samples


def test_profilers_refuse_to_nest(tmp_path: Path) -> None:
    async def nested() -> None:
        async with MemoryProfiler(tmp_path)("m"), CpuProfiler()("c"):
            pass

    with pytest.raises(RuntimeError, match="must not be nested"):
        asyncio.run(nested())
    # The slot is free again afterwards.
    asyncio.run(_cpu_workload(CpuProfiler()))


def test_memory_profile_names_the_allocating_function(tmp_path: Path) -> None:
    windows: list[tuple[int, int]] = []

    async def request(delay: float) -> None:
        await asyncio.sleep(delay)
        start = time.perf_counter_ns()
        await allocating_request(0.03)
        windows.append((start, time.perf_counter_ns()))

    async def workload(prof: MemoryProfiler) -> None:
        async with prof("baseline"):
            # Staggered starts: the number in flight varies, which the estimate needs.
            await asyncio.gather(*(request(0.012 * i) for i in range(10)))

    prof = MemoryProfiler(tmp_path / "work", trace_python_allocators=True, memory_interval_ms=2)
    asyncio.run(workload(prof))
    files = prof.save(tmp_path / "profiles", relative_to=tmp_path, top=5, own_package="profiling")
    html = (tmp_path / files["memory_flamegraph_baseline"]).read_text()
    assert "hold_big" in html
    assert (tmp_path / files["memory_capture_baseline"]).stat().st_size > 0

    report = prof.report(
        "baseline",
        starts_ns=[w[0] for w in windows],
        ends_ns=[w[1] for w in windows],
        top=5,
        own_package="profiling",
    )
    top = report.top_at_peak[0]
    # The stacks are complete (memray started off the event loop's thread), so the site is
    # the function, not "(allocated outside Python code)".
    assert top.function == "hold_big", report.top_at_peak
    assert top.location.startswith("test_profiling_cpu_memory.py:")
    assert top.bytes > report.peak_bytes * 0.5
    assert report.top_allocated[0].location.startswith("test_profiling_cpu_memory.py:")
    # Each request holds ~4.6 MB (40k strings of 113 bytes + the list) while in flight.
    per = report.per_request
    assert per["peak_in_flight"] >= 2 and per["samples"] > 10
    assert 2.5e6 < per["bytes_per_request_in_flight"] < 8e6, per
    assert report.to_dict()["top_at_peak"][0]["site"].endswith(":hold_big")


def test_segments_of_one_variant_make_one_cpu_profile_and_separate_captures(
    tmp_path: Path,
) -> None:
    cpu = CpuProfiler()
    mem = MemoryProfiler(tmp_path, trace_python_allocators=False)

    async def segments() -> None:
        for _ in range(2):
            async with cpu("v"):
                parse_documents(5)
        for _ in range(2):
            async with mem("v"):
                parse_documents(5)

    asyncio.run(segments())
    assert list(cpu.sessions) == ["v"]
    assert list(mem.captures) == ["v", "v-2"]
