"""``bench --prometheus PORT``: serve live metrics while a long run goes.

The HTTP server runs in its own daemon thread (standard library ``ThreadingHTTPServer``), so
it works the same whether the load runs in this process's event loop or in worker
processes. The hot path only touches ``LiveMetrics.on_request``; all formatting happens on
the server thread when Prometheus scrapes ``/metrics``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from raafperf.errors import UsageError
from raafperf.monitor.exposition import CONTENT_TYPE, render
from raafperf.monitor.metrics import LiveMetrics, merge_snapshots
from raafperf.monitor.state import StateView, merge_states, parse_state

log = logging.getLogger(__name__)

StateSource = Callable[[], dict[str, Any]]


class PrometheusExporter:
    """Live metrics on ``http://HOST:PORT/metrics`` in the Prometheus text format.

    Feed it with ``on_request`` (the recorder calls it for every request), tell it where to
    read provider and cache state with ``set_state_source``. When the load runs in worker
    processes, feed the rows they send with ``feed_requests`` and pass their state (or their
    own ``LiveMetrics.snapshot()``) to ``update_remote``.
    ``port=0`` picks a free port (see ``port`` after ``start``).
    """

    def __init__(
        self, port: int, host: str = "127.0.0.1", *, info: dict[str, str] | None = None
    ) -> None:
        if not 0 <= port <= 65535:
            raise UsageError(f"--prometheus: {port} is not a TCP port (0-65535)")
        self.host = host
        self.requested_port = port
        self.info = info
        self.metrics = LiveMetrics()
        # Bound once: the hot path calls straight into LiveMetrics, no extra frame.
        self.on_request = self.metrics.on_request
        self._state_source: StateSource | None = None
        self._last_state = StateView()
        self._remote: dict[str, tuple[dict[str, Any] | None, StateView]] = {}
        self._remote_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.scrapes = 0

    # -- feeding ----------------------------------------------------------------------------

    def set_state_source(self, fn: StateSource | None) -> None:
        """``fn()`` -> ``{"router": router.stats(), "cache": cache.stats()}`` (or one such
        dict per variant name); called on each scrape, on the server thread."""
        self._state_source = fn

    def set_in_flight(self, in_flight: int) -> None:
        """Requests in flight now (worker mode: the sum of the workers' counters)."""
        self.metrics.set_in_flight(in_flight)

    def update_remote(
        self,
        source: str,
        snapshot: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        """The latest snapshot and/or state of another process, e.g. a worker: a new one
        replaces that source's previous one (it is cumulative), None keeps it."""
        with self._remote_lock:
            old_snapshot, old_view = self._remote.get(str(source), (None, StateView()))
            self._remote[str(source)] = (
                snapshot if snapshot is not None else old_snapshot,
                parse_state(state) if state is not None else old_view,
            )

    # -- serving ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def start(self) -> PrometheusExporter:
        if self._server is not None:
            return self
        handler = _handler_for(self)
        try:
            server = ThreadingHTTPServer((self.host, self.requested_port), handler)
        except OSError as exc:
            raise UsageError(
                f"--prometheus {self.requested_port}: cannot listen on "
                f"{self.host}:{self.requested_port} ({exc.strerror or exc})"
            ) from None
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="raafperf-prometheus",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PrometheusExporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def exposition(self) -> str:
        """The text a scrape returns now."""
        with self._remote_lock:
            remote = list(self._remote.values())
        snapshot = merge_snapshots(
            [self.metrics.snapshot(), *(s for s, _ in remote if s is not None)]
        )
        state = merge_states([self._read_state(), *(v for _, v in remote)])
        return render(snapshot, state, info=self.info)

    def _read_state(self) -> StateView:
        fn = self._state_source
        if fn is None:
            return self._last_state
        try:
            # The run's objects change under us; a torn read is retried on the next scrape.
            self._last_state = parse_state(fn())
        except Exception:
            log.debug("prometheus state source failed", exc_info=True)
        return self._last_state


def _handler_for(exporter: PrometheusExporter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "raafperf-prometheus"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                exporter.scrapes += 1
                self._send(200, exporter.exposition().encode(), CONTENT_TYPE)
            elif path == "/":
                self._send(200, b"raafperf live metrics: /metrics\n", "text/plain")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a scrape every few seconds must not litter the run's output

    return Handler
