"""The kernel's count of the bytes that came in and went out on one TCP connection.

Each system keeps the counts, and gives them its own way:
- Linux: getsockopt TCP_INFO, `struct tcp_info` (linux/tcp.h): tcpi_bytes_received and
  tcpi_bytes_acked, 64-bit, since Linux 4.1;
- macOS: getsockopt TCP_CONNECTION_INFO, `struct tcp_connection_info` (netinet/tcp.h):
  tcpi_rxbytes and tcpi_txbytes, since macOS 10.11;
- Windows: WSAIoctl SIO_TCP_INFO, `TCP_INFO_v0` (mstcpip.h): BytesIn and BytesOut, since
  Windows 10 1703.
The layouts are ctypes structures, so that the parsing is the same code on every system (and
tested on their byte layouts here, tests/unit/test_byte_counts.py). What went out is the
peer's acknowledged bytes on Linux; elsewhere the bytes sent, less those still in flight.
"""

from __future__ import annotations

import ctypes
import functools
import socket
import sys
from typing import NamedTuple


class Counts(NamedTuple):
    received: int  # bytes that came in
    sent: int  # bytes that went out and reached the peer (see the module's docstring)


class LinuxTcpInfo(ctypes.Structure):
    """The head of Linux's struct tcp_info, up to the two counts (linux/tcp.h)."""

    _fields_ = [  # noqa: RUF012  (ctypes' own class attribute)
        ("state", ctypes.c_uint8),
        ("ca_state", ctypes.c_uint8),
        ("retransmits", ctypes.c_uint8),
        ("probes", ctypes.c_uint8),
        ("backoff", ctypes.c_uint8),
        ("options", ctypes.c_uint8),
        ("wscale", ctypes.c_uint8),
        ("flags", ctypes.c_uint8),
        ("u32_fields", ctypes.c_uint32 * 24),  # rto ... rcv_space, total_retrans: not used here
        ("pacing_rate", ctypes.c_uint64),
        ("max_pacing_rate", ctypes.c_uint64),
        ("bytes_acked", ctypes.c_uint64),
        ("bytes_received", ctypes.c_uint64),
    ]


class DarwinTcpConnectionInfo(ctypes.Structure):
    """macOS's struct tcp_connection_info (netinet/tcp.h)."""

    _fields_ = [  # noqa: RUF012
        ("state", ctypes.c_uint8),
        ("snd_wscale", ctypes.c_uint8),
        ("rcv_wscale", ctypes.c_uint8),
        ("pad1", ctypes.c_uint8),
        ("options", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("rto", ctypes.c_uint32),
        ("maxseg", ctypes.c_uint32),
        ("snd_ssthresh", ctypes.c_uint32),
        ("snd_cwnd", ctypes.c_uint32),
        ("snd_wnd", ctypes.c_uint32),
        ("snd_sbbytes", ctypes.c_uint32),  # in the send buffer, in flight included
        ("rcv_wnd", ctypes.c_uint32),
        ("rttcur", ctypes.c_uint32),
        ("srtt", ctypes.c_uint32),
        ("rttvar", ctypes.c_uint32),
        ("tfo_bits", ctypes.c_uint32),
        ("txpackets", ctypes.c_uint64),
        ("txbytes", ctypes.c_uint64),
        ("txretransmitbytes", ctypes.c_uint64),
        ("rxpackets", ctypes.c_uint64),
        ("rxbytes", ctypes.c_uint64),
        ("rxoutoforderbytes", ctypes.c_uint64),
    ]


class WindowsTcpInfoV0(ctypes.Structure):
    """Windows' TCP_INFO_v0 (mstcpip.h)."""

    _fields_ = [  # noqa: RUF012
        ("State", ctypes.c_uint32),
        ("Mss", ctypes.c_uint32),
        ("ConnectionTimeMs", ctypes.c_uint64),
        ("TimestampsEnabled", ctypes.c_uint8),
        ("RttUs", ctypes.c_uint32),
        ("MinRttUs", ctypes.c_uint32),
        ("BytesInFlight", ctypes.c_uint32),
        ("Cwnd", ctypes.c_uint32),
        ("SndWnd", ctypes.c_uint32),
        ("RcvWnd", ctypes.c_uint32),
        ("RcvBuf", ctypes.c_uint32),
        ("BytesOut", ctypes.c_uint64),
        ("BytesIn", ctypes.c_uint64),
        ("BytesReordered", ctypes.c_uint32),
        ("BytesRetrans", ctypes.c_uint32),
        ("FastRetrans", ctypes.c_uint32),
        ("DupAcksIn", ctypes.c_uint32),
        ("TimeoutEpisodes", ctypes.c_uint32),
        ("SynRetrans", ctypes.c_uint8),
    ]


TCP_CONNECTION_INFO = 0x106  # macOS (netinet/tcp.h); Python's socket module does not name it
SIO_TCP_INFO = 0xD8000027  # Windows: _WSAIORW(IOC_VENDOR, 39)


def from_linux(raw: bytes) -> Counts:
    """The counts in what Linux's TCP_INFO gave (0 from a kernel too old to count)."""
    if len(raw) < ctypes.sizeof(LinuxTcpInfo):
        return Counts(0, 0)
    info = LinuxTcpInfo.from_buffer_copy(raw[: ctypes.sizeof(LinuxTcpInfo)])
    return Counts(info.bytes_received, info.bytes_acked)


def from_darwin(raw: bytes) -> Counts:
    """The counts in what macOS's TCP_CONNECTION_INFO gave."""
    info = DarwinTcpConnectionInfo.from_buffer_copy(raw[: ctypes.sizeof(DarwinTcpConnectionInfo)])
    return Counts(info.rxbytes, max(0, info.txbytes - info.snd_sbbytes))


def from_windows(raw: bytes) -> Counts:
    """The counts in what Windows' SIO_TCP_INFO gave (TCP_INFO_v0)."""
    info = WindowsTcpInfoV0.from_buffer_copy(raw[: ctypes.sizeof(WindowsTcpInfoV0)])
    return Counts(info.BytesIn, max(0, info.BytesOut - info.BytesInFlight))


def of(connection: socket.socket) -> Counts:
    """The counts of the TCP `connection` so far (OSError if the system does not give them, if
    it is closed, or not TCP)."""
    if sys.platform == "win32":
        return from_windows(_windows_tcp_info(connection))
    if sys.platform == "darwin":
        size = ctypes.sizeof(DarwinTcpConnectionInfo)
        return from_darwin(connection.getsockopt(socket.IPPROTO_TCP, TCP_CONNECTION_INFO, size))
    if not hasattr(socket, "TCP_INFO"):
        raise OSError("this system gives no TCP_INFO")
    return from_linux(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256))


def _windows_tcp_info(connection: socket.socket) -> bytes:
    """WSAIoctl(SIO_TCP_INFO, version 0): Python's socket.ioctl knows only three other codes."""
    if sys.platform != "win32":
        raise OSError("SIO_TCP_INFO is Windows'")
    try:
        wsa_ioctl = ctypes.windll.ws2_32.WSAIoctl
    except AttributeError as error:  # not the real Windows
        raise OSError("no WSAIoctl here") from error
    version, info, returned = ctypes.c_uint32(0), WindowsTcpInfoV0(), ctypes.c_uint32(0)
    failed = wsa_ioctl(
        ctypes.c_void_p(connection.fileno()),
        ctypes.c_uint32(SIO_TCP_INFO),
        ctypes.byref(version),
        ctypes.sizeof(version),
        ctypes.byref(info),
        ctypes.sizeof(info),
        ctypes.byref(returned),
        None,
        None,
    )
    if failed:
        raise OSError(ctypes.windll.ws2_32.WSAGetLastError(), "WSAIoctl(SIO_TCP_INFO) failed")
    return bytes(info)


@functools.cache
def available() -> bool:
    """Whether this system gives the counts: tried once, on a TCP connection over loopback."""
    try:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            with socket.create_connection(listener.getsockname(), timeout=2) as client:
                accepted, _ = listener.accept()
                with accepted:
                    client.sendall(b"x")
                    accepted.recv(1)
                    return of(accepted).received == 1
    except OSError:
        return False
