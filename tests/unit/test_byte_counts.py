"""The kernel's byte counts: each system's structure, parsed from its documented byte layout
(packed here with struct, field by field, not with the ctypes classes under test), and the real
call on this machine."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from pubsub_demo.system import byte_counts


def test_linux_tcp_info_gives_bytes_received_and_acked():
    # struct tcp_info: 8 one-byte fields, 24 32-bit ones, then pacing_rate, max_pacing_rate,
    # bytes_acked, bytes_received (64-bit each); a newer kernel sends more after them.
    raw = struct.pack("=8B24I4Q", *range(8), *range(24), 1, 2, 123_456_789_012, 987_654_321) + bytes(96)
    assert struct.calcsize("=8B24I4Q") == 136
    assert byte_counts.from_linux(raw) == byte_counts.Counts(received=987_654_321, sent=123_456_789_012)


def test_an_old_linux_kernel_without_the_counts_gives_zeros():
    assert byte_counts.from_linux(bytes(104)) == byte_counts.Counts(0, 0)


def test_macos_tcp_connection_info_gives_rxbytes_and_txbytes_less_what_waits_to_be_sent():
    # struct tcp_connection_info (netinet/tcp.h): state, two window scales and a pad (bytes);
    # options, flags, rto, maxseg, snd_ssthresh, snd_cwnd, snd_wnd, snd_sbbytes, rcv_wnd,
    # rttcur, srtt, rttvar, the TFO bits (32-bit); then txpackets, txbytes, txretransmitbytes,
    # rxpackets, rxbytes, rxoutoforderbytes, txretransmitpackets (64-bit, 8-aligned).
    layout = "<4B13I7Q"
    assert struct.calcsize(layout) == 112
    u32 = [0, 0, 200, 1448, 0, 0, 0, 5_000, 0, 1, 1, 1, 0]  # snd_sbbytes 5000
    raw = struct.pack(layout, 4, 6, 6, 0, *u32, 70, 1_005_000, 0, 30, 4_321, 0, 0)
    assert byte_counts.from_darwin(raw) == byte_counts.Counts(received=4_321, sent=1_000_000)
    assert byte_counts.from_darwin(raw[:104]) == byte_counts.Counts(4_321, 1_000_000)  # an older SDK's size


def test_windows_tcp_info_v0_gives_bytes_in_and_bytes_out_less_those_in_flight():
    # TCP_INFO_v0 (mstcpip.h): State, Mss (32-bit), ConnectionTimeMs (64), TimestampsEnabled
    # (BOOLEAN, then 3 bytes of padding), RttUs, MinRttUs, BytesInFlight, Cwnd, SndWnd, RcvWnd,
    # RcvBuf (32), BytesOut, BytesIn (64), BytesReordered, BytesRetrans, FastRetrans, DupAcksIn,
    # TimeoutEpisodes (32), SynRetrans (UCHAR), padded to 8.
    layout = "<IIQB3x7IQQ5IB3x"
    assert struct.calcsize(layout) == 88
    raw = struct.pack(
        layout, 4, 1460, 9_000, 1, 300, 250, 2_000, 10, 65535, 65535, 65535, 502_000, 777, 0, 0, 0, 0, 0, 0
    )
    assert byte_counts.from_windows(raw) == byte_counts.Counts(received=777, sent=500_000)


def test_the_structures_are_as_large_as_the_systems_say():
    assert byte_counts.ctypes.sizeof(byte_counts.WindowsTcpInfoV0) == 88
    assert byte_counts.ctypes.sizeof(byte_counts.DarwinTcpConnectionInfo) == 104
    assert byte_counts.SIO_TCP_INFO == (0x80000000 | 0x40000000 | 0x18000000 | 39)  # _WSAIORW(IOC_VENDOR, 39)


@pytest.mark.only_on("linux")  # the real call, on this machine's kernel
def test_this_machines_kernel_counts_a_real_connection():
    """On Linux, unless the project's code is shown another system (tests/emulation)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            accepted, _ = listener.accept()
            with accepted:
                client.sendall(b"x" * 1000)
                received = b""
                while len(received) < 1000:
                    received += accepted.recv(1000)
                deadline = time.monotonic() + 5
                while byte_counts.of(client).sent < 1001 and time.monotonic() < deadline:
                    time.sleep(0.01)  # the acknowledgement is on its way
                assert byte_counts.available()
                assert byte_counts.of(accepted).received == 1000
                assert byte_counts.of(client).sent == 1 + 1000  # Linux counts the SYN as one byte acknowledged
