"""The bytes of the gateway's answers: a whole answer (the page, a frame, the status, a refusal),
or the head of a stream that goes on (MJPEG, Server-Sent Events).

Every answer says `Cache-Control: no-store` (a frame or a status is stale a moment later) and
`X-Content-Type-Options: nosniff`; whole answers close their connection (a page asks for little
else), so no idle connection is kept open for anyone.
"""

from __future__ import annotations

from http import HTTPStatus

BOUNDARY = "frame"  # between the frames of the MJPEG stream
COMMON = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"


def whole(status: int, content_type: str, body: bytes, *, head_only: bool = False, extra: str = "") -> bytes:
    """An answer with its body (none for HEAD: only its length), then the connection closes."""
    phrase = HTTPStatus(status).phrase
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"{COMMON}{extra}Connection: close\r\n\r\n"
    ).encode()
    return head if head_only else head + body


def refusal(status: int, why: str) -> bytes:
    """The answer to a request the gateway refuses: the status and, as text, why."""
    extra = "Allow: GET, HEAD\r\n" if status == 405 else "Retry-After: 5\r\n" if status == 503 else ""
    text = f"{status} {HTTPStatus(status).phrase}: {why}\n".encode()
    return whole(status, "text/plain; charset=utf-8", text, extra=extra)


def stream_head(content_type: str) -> bytes:
    """The head of an answer that goes on until the viewer leaves (its length is not known)."""
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{COMMON}Connection: close\r\n\r\n".encode()


MJPEG = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
EVENTS = "text/event-stream; charset=utf-8"
EVENTS_START = b"retry: 1000\n\n"  # a browser's EventSource reconnects after 1 s, not its default 3


def event(data: bytes) -> bytes:
    """A Server-Sent Event carrying `data` (one line of JSON)."""
    return b"data: " + data + b"\n\n"
