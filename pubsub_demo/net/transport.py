"""Sockets in and out, beside ZeroMQ's own calls: a bind or a connect that fails said in one
clear line, an ipc:// socket file removed when its server stops; sending and receiving a message's
parts without copying them. (What a socket may take in, and its other settings: net/limits.py.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator

import zmq
import zmq.utils.garbage  # noqa: F401  (see below)

from pubsub_demo.net import endpoints
from pubsub_demo.net.limits import (  # the watches (server/, wall/monitoring.py) read them here too
    SUBSCRIPTION_MAX_BYTES as SUBSCRIPTION_MAX_BYTES,
)
from pubsub_demo.net.limits import (
    SUBSCRIPTION_QUEUE as SUBSCRIPTION_QUEUE,
)
from pubsub_demo.net.limits import (
    UNANSWERED_LIMIT as UNANSWERED_LIMIT,
)
from pubsub_demo.process.logs import Fatal
from pubsub_demo.wire import MAX_PARTS, WireError


@contextlib.contextmanager
def binding(sock: zmq.Socket, address: str) -> Iterator[None]:
    """For the `with` block in which the script's own `sock.bind(address)` runs: IPv6 if the
    address needs it; an ipc:// path that a running server holds refused (libzmq would take it
    over in silence); a bind that fails (the port in use...) raised as Fatal, one clear line; at
    the end, the ipc:// socket file that the bind made removed (libzmq leaves it behind).
    """
    sock.ipv6 = endpoints.needs_ipv6(address)
    _refuse_a_path_in_use(address)
    path = endpoints.ipc_path(address)
    stale = _identity(path)  # a file that no one listens on (a killed server's): the bind replaces it
    try:
        yield
    except zmq.ZMQError as error:
        if not _raised_by(error, sock, "bind"):  # an error of the block's own, or another socket's
            raise
        raise _cannot_bind(address, error) from error
    finally:
        made = _identity(path)  # the file the bind made, for ipc://PATH
        if made is not None and made != stale and _bound(sock):
            with contextlib.suppress(OSError):
                os.unlink(path)  # type: ignore[arg-type]


@contextlib.contextmanager
def connecting(sock: zmq.Socket, address: str) -> Iterator[None]:
    """For the `with` block in which the script's own `sock.connect(address)` runs: IPv6 if the
    address needs it; a connect that fails (an ipc:// path too long, say) raised as Fatal, one
    clear line. ZeroMQ connects in the background: a server that is not there is no error."""
    sock.ipv6 = endpoints.needs_ipv6(address)
    try:
        yield
    except zmq.ZMQError as error:
        if not _raised_by(error, sock, "connect"):  # an error of the block's own, or another socket's
            raise
        raise Fatal(f"cannot connect to {address}: {_reason(error)}", error) from error


def _bound(sock: zmq.Socket) -> bool:
    """Whether `sock` has bound or connected (its last endpoint is set)."""
    return not sock.closed and bool(sock.get(zmq.LAST_ENDPOINT))


def _raised_by(error: zmq.ZMQError, sock: zmq.Socket, call: str) -> bool:
    """Whether `error` came out of `sock`'s `call` ("bind", "connect"): pyzmq's Socket.bind and
    .connect are Python methods, whose frame holds the socket (`self`)."""
    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        if frame.f_code.co_name == call and frame.f_locals.get("self") is sock:
            return True
        traceback = traceback.tb_next
    return False


def reconnect(sock: zmq.Socket, address: str) -> None:
    """Drop the connection to `address`, if there is one, and connect again."""
    with contextlib.suppress(zmq.ZMQError):  # not connected at the moment: nothing to drop
        sock.disconnect(address)
    sock.connect(address)


# pyzmq loads its zero-copy garbage collector (zmq.utils.garbage) at the first zero-copy send: a
# Ctrl+C landing in that import left it half made, and Python printed its AttributeError at exit
# (once in 100 stops of a busy video server). Imported above, it loads as the script starts, where
# lifetime.begin ends a Ctrl+C quietly.


def send(sock: zmq.Socket, parts: list) -> None:
    """Send one message made of `parts` (from wire.encode), without copying large ones.

    This is send_multipart(parts, copy=False), but a one-part message goes out through send(),
    which costs half as much (see benchmarks/numbers_throughput.py).
    """
    if len(parts) == 1:
        sock.send(parts[0], copy=False)
    elif sock.conflate:  # it would send the last part alone: a message no client could read
        raise ValueError("a socket with ZMQ_CONFLATE sends messages of one part only")
    else:
        sock.send_multipart(parts, copy=False)


def receive_parts(sock: zmq.Socket, max_parts: int = MAX_PARTS) -> list[zmq.Frame]:
    """Receive all the parts of one message as zmq.Frame objects (no copy, writable).

    This is recv_multipart(copy=False), but asks each frame whether more parts follow instead
    of asking the socket, which is a slower call (see benchmarks/numbers_throughput.py).
    A message of more than `max_parts` parts raises WireError once all of it is taken off the
    socket, and every part past the first few is let go as soon as it is received, so that its
    memory is given back at once. (ZMQ_MAXMSGSIZE limits each part, not a message's count of
    parts, and ZeroMQ hands a message over only when all its parts are in.)
    """
    frame = sock.recv(copy=False)
    if not frame.more:  # most messages: one part
        return [frame]
    parts = [frame]
    count = 1
    while frame.more:
        frame = sock.recv(copy=False)
        count += 1
        if count <= max_parts:
            parts.append(frame)
    if count > max_parts:
        del frame, parts
        raise WireError(f"a message of {count} parts: ours have at most {max_parts}")
    return parts


def _reason(error: zmq.ZMQError) -> str:
    """What went wrong, in libzmq's words for its errno (which pyzmq sets on every error it raises)."""
    return zmq.strerror(error.errno) if error.errno is not None else str(error)


def _cannot_bind(address: str, error: zmq.ZMQError) -> Fatal:
    hint = " (is a server already running there?)" if error.errno == errno.EADDRINUSE else ""
    return Fatal(f"cannot bind {address}: {_reason(error)}{hint}", error)


def _refuse_a_path_in_use(address: str) -> None:
    """For ipc://PATH: raise Fatal if a server listens there. libzmq would delete its socket file
    and take the path over in silence; a file that no one listens on (left by a server that was
    killed) is fine: libzmq replaces it."""
    path = endpoints.ipc_path(address)
    if path is None or not hasattr(socket, "AF_UNIX"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:  # no such file, no one listening, or not a socket: libzmq's bind will say
            return
    error = zmq.ZMQError(errno.EADDRINUSE)
    error.strerror += f" (addr={address!r})"  # as pyzmq words it for a busy TCP port
    raise _cannot_bind(address, error)


def _identity(path: str | None) -> tuple[int, int] | None:
    """Which file is at `path` (device and inode), or None if there is none."""
    try:
        status = os.stat(path) if path else None
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if status else None
