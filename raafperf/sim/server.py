"""The simulator's core: route a request, apply faults and limits, send on schedule, log truth."""

from __future__ import annotations

import asyncio
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from raafperf.sim import anthropic_api, openai_api
from raafperf.sim.answer import Answer, SurfaceContext
from raafperf.sim.config import Endpoint, FaultSpec, SimulatorConfig
from raafperf.sim.faults import HTTP_STATUS, FaultPlan
from raafperf.sim.groundtruth import GroundTruthLog
from raafperf.sim.http1 import Connection, Request, response_head
from raafperf.sim.ratelimit import RateLimiter, Verdict
from raafperf.sim.sampling import derive_seed
from raafperf.sim.streaming import StreamSender
from raafperf.sim.timing import sleep_until

REQUEST_ID_HEADER = "x-raafperf-request-id"

_ROUTES: dict[tuple[str, str], tuple[Endpoint, str]] = {
    ("POST", "/chat/completions"): ("chat_completions", "openai"),
    ("POST", "/embeddings"): ("embeddings", "openai"),
    ("POST", "/messages"): ("messages", "anthropic"),
    ("GET", "/models"): ("models", "openai"),
}


@dataclass(frozen=True)
class SimulatedProviderSpec:
    """One simulated provider: its name, the models it knows (empty: any) and its behaviour."""

    name: str
    models: list[str]
    config: SimulatorConfig


@dataclass(slots=True)
class _Outcome:
    """What happened to one request, for the ground-truth log."""

    status: int = 0
    start_ns: int = 0
    headers_sent_ns: int | None = None
    token_ns: list[int] | None = None
    due_ns: list[int] | None = None  # when each token (or a whole plain body) was meant to go
    end_ns: int | None = None
    outcome: str = "ok"
    completed: bool = False  # the whole answer was written


class ProviderRuntime:
    """Serves one provider's requests; shared by the in-process server and the child process."""

    def __init__(
        self,
        spec: SimulatedProviderSpec,
        *,
        seed: int = 0,
        ground_truth_dir: Path | None = None,
    ) -> None:
        self.spec = spec
        cfg = spec.config
        self.seed = cfg.seed if cfg.seed is not None else derive_seed(seed, spec.name)
        self.ctx = SurfaceContext(spec.name, list(spec.models), cfg, self.seed)
        self.faults = FaultPlan(cfg.faults, self.seed)
        self.limiter = RateLimiter(cfg.rate_limits) if cfg.rate_limits else None
        self.log = GroundTruthLog(ground_truth_dir, spec.name)
        self.connection_cost_ns = round(cfg.connection_cost_ms * 1e6)

    def protocol(self) -> Connection:
        return Connection(self.handle)

    async def handle(self, conn: Connection, req: Request) -> None:
        new_connection = conn.requests_served == 0
        start_ns = req.arrived_ns + (self.connection_cost_ns if new_connection else 0)
        path = req.path[3:] if req.path.startswith("/v1/") else req.path
        route = _ROUTES.get((req.method, path))
        endpoint, api = route if route else (None, "openai")
        if endpoint == "models" and (
            "anthropic-version" in req.headers or "x-api-key" in req.headers
        ):
            api = "anthropic"
        out = _Outcome(start_ns=start_ns)
        fault = self.faults.select(endpoint) if (self.faults and endpoint) else None
        answer: Answer | None = None
        try:
            if fault is not None and fault.kind == "slow_headers":
                start_ns += round(fault.delay_ms * 1e6)
                out.start_ns = start_ns
            if (fault is not None and fault.kind in ("hang", "reset_before")) or (
                fault is not None and fault.kind in HTTP_STATUS
            ):
                await self._fault_instead(conn, api, fault, start_ns, out)
                return
            answer = self._answer(req, endpoint, api)
            if answer.status == 200 and self.limiter is not None:
                verdict = self.limiter.admit(answer.rate_tokens)
                answer.headers += self._limit_headers(api, verdict)
                if not verdict.allowed:
                    answer = self._rate_limited(api, verdict)
            await self._send(conn, req, answer, start_ns, fault, out)
        except asyncio.CancelledError:
            out.outcome = "cancelled"
            raise
        except Exception as exc:  # a simulator bug must not hang the client
            out.outcome = "error"
            self._internal_error(conn, api, out, exc)
        finally:
            if not out.completed and out.outcome == "ok":
                out.outcome = "client_closed"
                out.end_ns = conn.closed_ns
            if out.end_ns is None:
                out.end_ns = perf_counter_ns()
            if self.log.enabled:
                self._record(conn, req, endpoint, new_connection, fault, answer, out)

    # building the answer
    def _answer(self, req: Request, endpoint: Endpoint | None, api: str) -> Answer:
        request_id = self.ctx.new_id("req_")
        base = (
            anthropic_api.request_headers(request_id)
            if api == "anthropic"
            else openai_api.request_headers(request_id)
        )
        answer = self._answer_body(req, endpoint, api, request_id)
        answer.headers += base
        return answer

    def _answer_body(
        self, req: Request, endpoint: Endpoint | None, api: str, request_id: str
    ) -> Answer:
        if endpoint is None:
            return openai_api.error(404, f"Invalid URL ({req.method} {req.path})")
        h = req.headers
        if api == "anthropic":
            if not (h.get("x-api-key") or h.get("authorization", "").startswith("Bearer ")):
                return anthropic_api.unauthorized(request_id)
        elif not h.get("authorization", "").startswith("Bearer ") or len(h["authorization"]) < 8:
            return openai_api.unauthorized()
        if endpoint == "models":
            return (
                anthropic_api.models(self.ctx)
                if api == "anthropic"
                else openai_api.models(self.ctx)
            )
        try:
            body: Any = json.loads(req.body)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            message = "We could not parse the JSON body of your request."
            return (
                anthropic_api.error(400, message, request_id=request_id)
                if api == "anthropic"
                else openai_api.error(400, message)
            )
        if endpoint == "chat_completions":
            return openai_api.chat(self.ctx, body, h)
        if endpoint == "embeddings":
            return openai_api.embeddings(self.ctx, body)
        return anthropic_api.messages(self.ctx, body, h, request_id)

    def _error(
        self,
        api: str,
        status: int,
        headers: list[tuple[str, str]] | None = None,
        message: str | None = None,
    ) -> Answer:
        request_id = self.ctx.new_id("req_")
        if api == "anthropic":
            answer = anthropic_api.error(status, message, request_id=request_id, headers=headers)
            answer.headers += anthropic_api.request_headers(request_id)
        else:
            answer = openai_api.error(status, message, headers=headers)
            answer.headers += openai_api.request_headers(request_id)
        return answer

    def _limit_headers(self, api: str, verdict: Verdict) -> list[tuple[str, str]]:
        return (
            anthropic_api.limit_headers(verdict)
            if api == "anthropic"
            else openai_api.limit_headers(verdict)
        )

    def _rate_limited(self, api: str, verdict: Verdict) -> Answer:
        retry = max(1, math.ceil(verdict.retry_after_s))
        headers = [("retry-after", str(retry)), *self._limit_headers(api, verdict)]
        message = (
            f"Rate limit reached for {verdict.which} per minute. Please try again in {retry}s."
        )
        return self._error(api, 429, headers, message)

    # sending
    async def _fault_instead(
        self, conn: Connection, api: str, fault: FaultSpec, start_ns: int, out: _Outcome
    ) -> None:
        if fault.kind == "hang":
            await conn.lost
            out.outcome = "hang"
            out.end_ns = perf_counter_ns()
            return
        await sleep_until(start_ns)
        if fault.kind == "reset_before":
            conn.reset()
            out.outcome = "reset"
            return
        headers = []
        if fault.retry_after_s is not None:
            headers.append(("retry-after", f"{fault.retry_after_s:g}"))
        answer = self._error(api, HTTP_STATUS[fault.kind], headers)
        self._write_whole(conn, answer, out)

    def _write_whole(
        self,
        conn: Connection,
        answer: Answer,
        out: _Outcome,
        body: bytes | None = None,
        keep_alive: bool = True,
    ) -> None:
        body = answer.body if body is None else body
        data = response_head(
            answer.status, answer.headers, content_length=len(answer.body), keep_alive=keep_alive
        )
        out.headers_sent_ns = out.end_ns = perf_counter_ns()  # before write: see streaming
        conn.write(data + body)
        out.status = answer.status
        out.completed = True
        if answer.status != 200:
            out.outcome = "error"

    async def _send(
        self,
        conn: Connection,
        req: Request,
        answer: Answer,
        start_ns: int,
        fault: FaultSpec | None,
        out: _Outcome,
    ) -> None:
        kind = fault.kind if fault is not None else None
        if answer.stream is None or answer.status != 200:
            if answer.timed_tokens and answer.status == 200:
                offsets = self.ctx.latency.offsets_ns(answer.timed_tokens)
                out.due_ns = [start_ns + offsets[-1]]
                await sleep_until(start_ns + offsets[-1])
            else:
                await sleep_until(start_ns)
            if conn.closed:
                return
            if kind in ("reset_mid_stream", "cut_stream") and answer.status == 200:
                self._write_whole(conn, answer, out, answer.body[: len(answer.body) // 2], False)
                out.outcome = "reset" if kind == "reset_mid_stream" else "cut"
                conn.reset() if kind == "reset_mid_stream" else conn.close()
                return
            if kind == "malformed_event" and answer.status == 200:
                body = answer.body[:-1] + b","  # same length, no longer JSON
                self._write_whole(conn, answer, out, body)
                out.outcome = "malformed"
                return
            self._write_whole(conn, answer, out)
            return
        await self._stream(conn, answer, start_ns, kind, out)

    async def _stream(
        self, conn: Connection, answer: Answer, start_ns: int, kind: str | None, out: _Outcome
    ) -> None:
        assert answer.stream is not None
        out.status = 200
        offsets = self.ctx.latency.offsets_ns(len(answer.stream.tokens))
        head = response_head(200, answer.headers, content_length=None)
        sender = StreamSender(conn, head, answer.stream, offsets, start_ns, kind, out)
        try:
            await sender.start()
        finally:
            sender.cancel()

    def _internal_error(self, conn: Connection, api: str, out: _Outcome, exc: Exception) -> None:
        print(f"raafperf simulator: internal error: {exc!r}", file=sys.stderr)
        if out.headers_sent_ns is None and not conn.closed:
            self._write_whole(conn, self._error(api, 500), out, keep_alive=False)
            conn.close()
        else:
            conn.reset()

    def _record(
        self,
        conn: Connection,
        req: Request,
        endpoint: Endpoint | None,
        new_connection: bool,
        fault: FaultSpec | None,
        answer: Answer | None,
        out: _Outcome,
    ) -> None:
        ok = answer is not None and answer.status == 200
        self.log.add(
            {
                "request_id": req.headers.get(REQUEST_ID_HEADER),
                "provider": self.spec.name,
                "endpoint": endpoint,
                "model": answer.model if answer is not None else None,
                "stream": answer is not None and answer.stream is not None,
                "arrived_ns": req.arrived_ns,
                "start_ns": out.start_ns,
                "headers_sent_ns": out.headers_sent_ns,
                "token_ns": out.token_ns or [],
                "due_ns": out.due_ns or [],
                "end_ns": out.end_ns,
                "status": out.status,
                "outcome": out.outcome,
                "fault": fault.kind if fault is not None else None,
                "prompt_tokens": answer.prompt_tokens if answer is not None else 0,
                "output_tokens": answer.output_tokens if ok and answer is not None else 0,
                "finish_reason": answer.finish_reason if ok and answer is not None else None,
                "connection_id": conn.id,
                "connection_new": new_connection,
            }
        )
