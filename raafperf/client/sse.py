"""Server-sent events parsed from bytes chunks as they arrive off the socket.

Follows the WHATWG event-stream rules that LLM APIs rely on: lines end in LF, CRLF or CR;
a blank line dispatches the event; ``event:`` sets its type, ``data:`` lines are joined with
LF; lines starting with ``:`` are comments; one space after the colon is dropped. ``id`` and
``retry`` are accepted and ignored (no client here reconnects a model stream).

The common case (a chunk holding whole ``data: ...\\n\\n`` events) costs one ``split`` and no
copies beyond the line slices; a chunk ending mid-line keeps only the partial line.
"""

from __future__ import annotations

SSEEvent = tuple[str, bytes]
"""(event type, data): type is "message" unless an ``event:`` field said otherwise."""

_MESSAGE = "message"


class SSEParser:
    __slots__ = ("_data", "_event", "_has_data", "_skip_lf", "_tail")

    def __init__(self) -> None:
        self._tail = b""
        """The partial line at the end of the last chunk."""
        self._skip_lf = False
        """The last chunk ended in CR: a LF opening the next one is the rest of a CRLF."""
        self._event: str = _MESSAGE
        self._data: list[bytes] = []
        self._has_data = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse one chunk; return the events it completed, in order."""
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._tail:
            chunk = self._tail + chunk
        if b"\r" in chunk:
            self._skip_lf = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        self._tail = lines.pop()
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if self._has_data:
                    events.append((self._event, data[0] if len(data) == 1 else b"\n".join(data)))
                    data.clear()
                    self._has_data = False
                self._event = _MESSAGE
                continue
            if line[0] == 58:  # ":" starts a comment (keep-alives, proxies' status lines)
                continue
            if line[:5] == b"data:":
                value = line[5:]
                data.append(value[1:] if value[:1] == b" " else value)
                self._has_data = True
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"event":
                self._event = value.decode("utf-8", "replace") or _MESSAGE
            elif name == b"data":  # a bare "data" line is an empty data line
                data.append(b"")
                self._has_data = True
            # id, retry and unknown fields are ignored, as the spec says
        return events

    @property
    def pending(self) -> bool:
        """True while an unfinished event (or line) is buffered."""
        return bool(self._tail) or self._has_data
