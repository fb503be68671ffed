"""The one place where httpx exceptions become error kinds (provider faults are values)."""

from __future__ import annotations

import httpx

from raafperf.client import error_kinds as ek


def kind_of_exception(exc: httpx.HTTPError, *, got_response: bool, got_token: bool) -> str:
    """The error kind of a transport failure.

    ``got_response``: the status line had arrived (the failure is in the body);
    ``got_token``: a content token had arrived, so the stream is broken, not just failed.
    A body that ends early on a clean close is a cut stream; other failures after the
    first token are ``stream_broken``.
    """
    if isinstance(exc, httpx.TimeoutException):
        if got_token:
            return ek.STREAM_BROKEN
        if isinstance(exc, httpx.ConnectTimeout):
            return ek.TIMEOUT_CONNECT
        if isinstance(exc, httpx.PoolTimeout):
            return ek.TIMEOUT_POOL
        if isinstance(exc, httpx.WriteTimeout):
            return ek.TIMEOUT_WRITE
        return ek.TIMEOUT_READ
    if isinstance(exc, httpx.ConnectError):
        return ek.CONNECT
    if isinstance(exc, httpx.RemoteProtocolError):
        if got_response:
            return ek.STREAM_CUT
        return ek.RESET
    if isinstance(exc, httpx.NetworkError):  # ReadError, WriteError, CloseError
        return ek.STREAM_BROKEN if got_token else ek.RESET
    if isinstance(exc, httpx.ProtocolError):
        return ek.STREAM_BROKEN if got_token else ek.PROTOCOL
    return ek.STREAM_BROKEN if got_token else ek.PROTOCOL


def describe(exc: BaseException) -> str:
    """A short, secret-free description (httpx messages never carry headers)."""
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text[:200]}" if text else name
