"""The SSE parser on byte strings as providers send them, cut at every possible place."""

from __future__ import annotations

import pytest

from raafperf.client.sse import SSEParser

OPENAI = (
    b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
    b'data: {"choices":[{"delta":{"content":" there"}}]}\n\n'
    b"data: [DONE]\n\n"
)
ANTHROPIC = (
    b"event: message_start\n"
    b'data: {"type":"message_start"}\n\n'
    b"event: ping\n"
    b'data: {"type":"ping"}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}\n\n'
    b"event: message_stop\n"
    b'data: {"type":"message_stop"}\n\n'
)


def parse_all(chunks: list[bytes]) -> list[tuple[str, bytes]]:
    parser = SSEParser()
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    assert not parser.pending
    return events


def test_openai_events_in_one_chunk() -> None:
    assert parse_all([OPENAI]) == [
        ("message", b'{"choices":[{"delta":{"content":"Hi"}}]}'),
        ("message", b'{"choices":[{"delta":{"content":" there"}}]}'),
        ("message", b"[DONE]"),
    ]


def test_event_types() -> None:
    events = parse_all([ANTHROPIC])
    assert [e for e, _ in events] == [
        "message_start",
        "ping",
        "content_block_delta",
        "message_stop",
    ]
    assert events[2][1].startswith(b'{"type":"content_block_delta"')


@pytest.mark.parametrize("stream", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
def test_split_at_every_byte(stream: bytes) -> None:
    whole = parse_all([stream])
    for cut in range(1, len(stream)):
        assert parse_all([stream[:cut], stream[cut:]]) == whole, cut
    assert parse_all([stream[i : i + 1] for i in range(len(stream))]) == whole


@pytest.mark.parametrize("eol", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_other_line_ends_split_everywhere(eol: bytes) -> None:
    stream = ANTHROPIC.replace(b"\n", eol)
    whole = parse_all([ANTHROPIC])
    assert parse_all([stream]) == whole
    for cut in range(1, len(stream)):
        assert parse_all([stream[:cut], stream[cut:]]) == whole, cut


def test_comments_multiline_data_and_fields() -> None:
    stream = (
        b": keep-alive\n\n"
        b"id: 7\nretry: 100\ndata: line one\ndata:line two\ndata\n\n"
        b": OPENROUTER PROCESSING\n"
        b"event: done\ndata: x\n\n"
        b"event: lonely\n\n"  # no data: not dispatched, and its type does not leak
        b"data: y\n\n"
    )
    assert parse_all([stream]) == [
        ("message", b"line one\nline two\n"),
        ("done", b"x"),
        ("message", b"y"),
    ]


def test_unfinished_event_is_pending() -> None:
    parser = SSEParser()
    assert parser.feed(b'data: {"a":1}\n') == []
    assert parser.pending
    assert parser.feed(b"\n") == [("message", b'{"a":1}')]
    assert not parser.pending
