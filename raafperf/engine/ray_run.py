"""``raafperf bench --ray [ADDRESS]``: the scenario's load split across Ray actors.

One actor per worker (``--workers N``; default: the cluster's free CPUs, capped), placed by
a placement group with the SPREAD strategy, each running worker ``i`` of ``N`` with the same
engine as a local worker process; a coordinator actor on this machine starts every segment
in all actors together and keeps the rows they send as they go. Rows are merged exactly as
for local workers (``raafperf.engine.merge``); an actor that fails is named in the report
with its planned share and the rows it had sent, which stay in the report. The cluster
(nodes, CPUs, actors and where each ran) is described in ``RayRunner.cluster``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from raafperf.engine.merge import Chunk, WorkerResult, assemble, merge_results, planned_shares
from raafperf.errors import RunFailed, UsageError
from raafperf.record.recorder import Recorder

RAY_INSTALL_HINT = "--ray needs Ray, an optional extra: pip install 'raafperf[ray]'"
LOCAL = "local"
"""The address meaning: start a Ray instance on this machine for this run."""
MAX_ACTORS = 256
PLACEMENT_TIMEOUT_S = 60.0
DRAIN_S = 2.0
"""How often the driver fetches the rows actors sent to the coordinator."""
_LOOPBACK = ("127.", "localhost", "::1")


def require_ray() -> Any:
    """The ``ray`` module, or a one-line UsageError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_INSTALL_HINT) from None
    return ray


def choose_actor_count(requested: int | None, cpus: int, loads: Iterable[Any]) -> int:
    """``requested`` when given; else one actor per CPU, capped at MAX_ACTORS and so that
    every actor has at least one closed-loop user and one request of each variant."""
    if requested:
        return requested
    n = max(1, min(cpus, MAX_ACTORS))
    for load in loads:
        if load.mode == "closed" and load.concurrency:
            n = min(n, load.concurrency)
        if load.requests:
            n = min(n, load.requests)
    return max(1, n)


class RayRunner:
    """Runs variants on Ray actors, as ``run_in_workers`` runs them in local processes.

    It connects when made — before the simulators start, so a local instance's start-up
    (seconds) does not eat into a simulator's timed fault windows — and one connection
    serves every ``run`` of a bench run; ``close`` ends it. ``address``: None or "local"
    starts a local instance, else the cluster to join ("auto", "HOST:6379",
    "ray://HOST:10001"). ``workers``: actors per run (None: the scenarios' ``load.workers``,
    else the cluster's free CPUs, capped). ``variants``: the scenarios to be run.
    ``cluster`` describes the cluster and every actor, filled as the run goes, so it
    describes even a run that failed; ``actors``: how many the last run had.
    """

    def __init__(
        self, address: str | None, workers: int | None, variants: Mapping[str, Any]
    ) -> None:
        self.ray = require_ray()
        self.address = address
        self.workers = workers or next(
            (sc.load.workers for sc in variants.values() if sc.load.workers), None
        )
        self.cluster: dict[str, Any] = {}
        self.actors = 0
        self._started = False
        self._local = False
        self._simulated = _simulated(variants.values())
        self._connect()

    def run(
        self,
        loaded: Any,
        states: dict[str, Any],
        endpoints: dict[str, Any],
        rounds: int,
        recorder: Recorder,
        stats: dict[str, dict[str, Any]],
        *,
        options: Any,
    ) -> bool:
        """Run ``states`` and merge into ``recorder``, ``states`` and ``stats``; True when
        interrupted. A failed actor is named in ``stats[v]["workers"]["lost"]``; RunFailed
        when every actor failed before sending a row."""
        ray = self.ray
        self._connect()
        tag = f"raafperf-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        handles: list[Any] = []
        pg = None
        try:
            free_cpus = int(ray.available_resources().get("CPU", 0))
            # On a local instance the simulator shares this machine's CPUs with the actors.
            spare = 1 if self._local and self._simulated else 0
            n = choose_actor_count(
                self.workers, free_cpus - spare, [s.scenario.load for s in states.values()]
            )
            self.actors = n
            self.cluster.update(_describe_nodes(ray))
            pg = _place(ray, n, free_cpus)
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            from raafperf.engine.ray_actors import Coordinator

            driver_node = ray.get_runtime_context().get_node_id()
            coordinator = Coordinator.options(
                name=f"{tag}-coordinator",
                scheduling_strategy=NodeAffinitySchedulingStrategy(driver_node, soft=False),
            ).remote(n)
            handles.append(coordinator)
            actors = _start_actors(
                ray, pg, n, tag, loaded, states, rounds, recorder, options, coordinator
            )
            handles.extend(actors)
            entries = _where(ray, actors, coordinator, self.cluster, tag, list(states))
            _check_reachable(states, endpoints, entries, driver_node)
            clocks = ray.get(
                [a.sync_clock.remote(self.cluster["coordinator"]["node_id"]) for a in actors]
            )
            for entry, clock in zip(entries, clocks, strict=True):
                entry.update(clock)
            finals, chunks, stopped = _wait(ray, actors, coordinator, endpoints, states, options)
            collected = _collect(finals, chunks, n)
            labels = {
                e["worker"]: {
                    "actor": e["name"],
                    "node_id": e["node_id"],
                    "hostname": e["hostname"],
                }
                for e in entries
            }
            interrupted = merge_results(
                collected,
                n,
                recorder,
                states,
                stats,
                backend="ray",
                planned=planned_shares(states, rounds, n),
                labels=labels,
            )
            for entry in entries:
                res = collected[entry["worker"]]
                entry.update(
                    status="failed" if res.error else "ok",
                    error=res.error,
                    requests=len(res.requests) if res.requests is not None else 0,
                )
            if all(c.error and not len(c.requests or ()) for c in collected.values()):
                raise RunFailed(f"every Ray actor failed: {collected[0].error}")
            return interrupted or stopped
        finally:
            for handle in handles:
                with contextlib.suppress(Exception):
                    ray.kill(handle, no_restart=True)
            if pg is not None:
                with contextlib.suppress(Exception):
                    from ray.util.placement_group import remove_placement_group

                    remove_placement_group(pg)

    def close(self) -> None:
        """Leave the cluster (a local instance this runner started is shut down)."""
        if self._started:
            self._started = False
            with contextlib.suppress(Exception):
                self.ray.shutdown()

    def _connect(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            _connect(ray, self.address, self.workers, self._simulated)
            self._started = True
            self._local = self.address in (None, "", LOCAL)
        if not self.cluster:
            self.cluster.update(
                backend="ray",
                ray_version=ray.__version__,
                address=self.address if self.address not in (None, "", LOCAL) else "local instance",
                actors=[],
                start_sync="a barrier on the coordinator, then a start time on its clock; "
                "actors on other machines convert it with a clock offset measured by round "
                "trips (error at most half the shortest round trip, per actor)",
            )


def _simulated(scenarios: Iterable[Any]) -> bool:
    return any(p.kind == "simulated" for sc in scenarios for p in sc.providers)


def _connect(ray: Any, address: str | None, requested: int | None, simulated: bool) -> None:
    """Start a local instance (enough CPUs for the actors asked for) or join a cluster."""
    import logging

    common = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    if address in (None, "", LOCAL):
        cpus = os.cpu_count() or 1
        wanted = requested or max(1, cpus - (1 if simulated else 0))
        ray.init(address=LOCAL, num_cpus=max(wanted, cpus), **common)
        return
    _check_answers(address)
    try:
        ray.init(address=address, **common)
    except Exception as exc:  # a wrong address: say which, in one line
        raise UsageError(
            f"--ray {address}: cannot join the Ray cluster ({_first_line(exc)})"
        ) from None


def _check_answers(address: str) -> None:
    """A HOST:PORT where nothing listens makes ray.init retry for minutes: fail at once."""
    import socket

    target = urlsplit(address if "://" in address else f"//{address}")
    try:
        host, port = target.hostname, target.port
    except ValueError:
        host = port = None
    if not host or not port:
        return  # "auto", or a form Ray resolves itself
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as exc:
        raise UsageError(
            f"--ray {address}: nothing answers there ({exc.strerror or exc}); start the head "
            "node with 'ray start --head' and give its address"
        ) from None


def _describe_nodes(ray: Any) -> dict[str, Any]:
    nodes = [
        {
            "node_id": n["NodeID"],
            "hostname": n.get("NodeManagerHostname"),
            "ip": n.get("NodeManagerAddress"),
            "cpus": n.get("Resources", {}).get("CPU", 0),
        }
        for n in ray.nodes()
        if n.get("Alive")
    ]
    return {
        "nodes": nodes,
        "node_count": len(nodes),
        "cpus": int(sum(n["cpus"] for n in nodes)),
        "placement": {"strategy": "SPREAD", "cpus_per_actor": 1},
    }


def _place(ray: Any, n: int, free_cpus: int) -> Any:
    from ray.util.placement_group import placement_group, remove_placement_group

    pg = placement_group([{"CPU": 1}] * n, strategy="SPREAD")
    try:
        ray.get(pg.ready(), timeout=PLACEMENT_TIMEOUT_S)
    except Exception:
        with contextlib.suppress(Exception):
            remove_placement_group(pg)
        raise UsageError(
            f"the Ray cluster cannot place {n} actors of one CPU each "
            f"({free_cpus} CPUs free); ask for fewer with --workers"
        ) from None
    return pg


def _start_actors(
    ray: Any,
    pg: Any,
    n: int,
    tag: str,
    loaded: Any,
    states: dict[str, Any],
    rounds: int,
    recorder: Recorder,
    options: Any,
    coordinator: Any,
) -> list[Any]:
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    from raafperf.engine.bench import prices_path
    from raafperf.engine.ray_actors import LoadActor

    path = prices_path(loaded, options.prices)
    prices = (path.name, path.read_bytes()) if path is not None else None
    # Put once: every actor reads the same copy instead of one upload per actor.
    specs = ray.put({name: (s.scenario, s.queries) for name, s in states.items()})
    loaded_ref = ray.put(loaded)
    return [
        LoadActor.options(
            name=f"{tag}-worker-{w}",
            num_cpus=1,
            scheduling_strategy=PlacementGroupSchedulingStrategy(
                placement_group=pg, placement_group_bundle_index=w
            ),
        ).remote(w, n, specs, rounds, recorder.t0_ns, loaded_ref, prices, coordinator)
        for w in range(n)
    ]


def _where(
    ray: Any,
    actors: list[Any],
    coordinator: Any,
    cluster: dict[str, Any],
    tag: str,
    variants: list[str],
) -> list[dict[str, Any]]:
    """Where the coordinator and each actor run; the actors' entries join
    ``cluster["actors"]`` (one list over every run of a bench run)."""
    try:
        cluster["coordinator"] = ray.get(coordinator.where.remote(), timeout=120)
        places = ray.get([a.where.remote() for a in actors], timeout=300)
    except Exception as exc:
        raise RunFailed(
            f"a Ray actor could not start ({_first_line(exc)}); raafperf and "
            "Ray must be installed at the same versions on every node"
        ) from None
    entries = [
        {"worker": w, "name": f"{tag}-worker-{w}", "variants": variants, **p}
        for w, p in enumerate(places)
    ]
    cluster.setdefault("actors", []).extend(entries)
    return entries


def _check_reachable(
    states: dict[str, Any],
    endpoints: dict[str, Any],
    places: list[dict[str, Any]],
    driver_node: str,
) -> None:
    """Loopback addresses (the built-in simulator, a local Redis) exist only on this
    machine: actors elsewhere cannot reach them. Say so before any load is sent."""
    elsewhere = sorted({p["hostname"] for p in places if p["node_id"] != driver_node})
    if not elsewhere:
        return
    local: list[str] = []
    for name, state in states.items():
        for provider, endpoint in endpoints.get(name, {}).items():
            if _is_loopback(endpoint.base_url):
                local.append(f"provider {provider!r} at {endpoint.base_url}")
        cache = state.scenario.cache
        if cache.strategy != "never" and cache.backend == "redis" and _is_loopback(cache.url):
            from raafperf.cache.backends.redis import redact_url

            local.append(f"the Redis cache at {redact_url(cache.url)}")
    if local:
        raise UsageError(
            f"{sorted(set(local))[0]} is on this machine only, and actors run on "
            f"{', '.join(elsewhere)}: point the scenario at addresses every node can reach, "
            "or use a local Ray instance (--ray with no address)"
        )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.startswith(_LOOPBACK)


def _wait(
    ray: Any,
    actors: list[Any],
    coordinator: Any,
    endpoints: dict[str, Any],
    states: dict[str, Any],
    options: Any,
) -> tuple[dict[int, Any], dict[int, list[Chunk]], bool]:
    """Run every actor to its end: ({worker: WorkerResult | why it failed}, {worker: the
    chunks it sent}, stopped by Ctrl-C). Chunks are fetched from the coordinator as the run
    goes, so it never holds more than a few seconds of rows."""
    pending = {a.run.remote(endpoints): w for w, a in enumerate(actors)}
    finals: dict[int, Any] = {}
    chunks: dict[int, list[Chunk]] = {w: [] for w in range(len(actors))}
    total = sum((s.scenario.load.requests or 0) + s.scenario.load.warmup for s in states.values())
    progress = _Progress(options.on_progress, total)
    stops = {"count": 0, "told": False}
    previous = _on_sigint(stops)
    last_drain = time.monotonic()
    try:
        while pending:
            try:
                # Short: a Ctrl-C is seen between waits, and must reach the actors at once.
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.05)
            except KeyboardInterrupt:
                ready = []
                stops["count"] = 2
            for ref in ready:
                w = pending.pop(ref)
                try:
                    finals[w] = ray.get(ref)
                except Exception as exc:
                    finals[w] = _first_line(exc)
                coordinator.drop.remote(w)
            if stops["count"] >= 2:
                for w in pending.values():
                    finals[w] = "abandoned after a second Ctrl-C"
                break
            if stops["count"] and not stops["told"]:
                coordinator.request_stop.remote()
                stops["told"] = True
            if time.monotonic() - last_drain >= DRAIN_S:
                _drain(ray, coordinator, chunks)
                last_drain = time.monotonic()
            progress.tick(ray, coordinator, stopping=bool(stops["count"]))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    _drain(ray, coordinator, chunks)
    return finals, chunks, bool(stops["count"])


class _Progress:
    """The live display's figures, from the coordinator's counters, twice a second."""

    def __init__(self, callback: Any, total: int) -> None:
        self.callback = callback
        self.total = total
        self.last_done, self.last_t, self.last_poll = 0, time.perf_counter(), 0.0

    def tick(self, ray: Any, coordinator: Any, *, stopping: bool) -> None:
        if self.callback is None or time.perf_counter() - self.last_poll < 0.5:
            return
        self.last_poll = time.perf_counter()
        try:
            snap = ray.get(coordinator.snapshot.remote(), timeout=5)
        except Exception:  # a slow or gone coordinator: skip this tick, the run goes on
            return
        now = time.perf_counter()
        rate = (snap["done"] - self.last_done) / (now - self.last_t) if now > self.last_t else 0
        self.last_done, self.last_t = snap["done"], now
        self.callback(
            {
                "done": snap["done"],
                "total": self.total or None,
                "errors": snap["errors"],
                "in_flight": snap["in_flight"],
                "rps": rate,
                "p50_ms": None,
                "stopping": stopping,
            }
        )


def _drain(ray: Any, coordinator: Any, chunks: dict[int, list[Chunk]]) -> None:
    try:
        sent = ray.get(coordinator.take_all.remote(), timeout=120)
    except Exception:  # the coordinator is gone: what it held is lost, and reported so
        return
    for w, items in sent.items():
        chunks.setdefault(w, []).extend(items)


def _on_sigint(stops: dict[str, Any]) -> Any:
    """First Ctrl-C: ask every actor to stop and send what it measured; second: stop waiting.
    (Ray's workers block SIGINT: the terminal's Ctrl-C reaches only this process.)"""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        stops["count"] += 1

    return signal.signal(signal.SIGINT, handler)


def _collect(
    finals: dict[int, Any], chunks: dict[int, list[Chunk]], n: int
) -> dict[int, WorkerResult]:
    collected: dict[int, WorkerResult] = {}
    for w in range(n):
        final = finals.get(w, "no result arrived")
        if isinstance(final, WorkerResult):
            collected[w] = assemble(w, chunks.get(w, []), final)
        else:
            collected[w] = assemble(w, chunks.get(w, []), None, error=str(final))
    return collected


def _first_line(exc: BaseException) -> str:
    """Ray's errors run over many lines; the first meaningful one names the cause."""
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head = lines[0] if lines else ""
    return f"{exc.__class__.__name__}: {head}"[:300]
