"""Giving freed memory back to the system: glibc's malloc_trim, where there is one.

libzmq takes some 25 kB for each connection, and frees it when the connection closes; but the C
library keeps what was freed for later, in pieces, so a server that once had hundreds of
connections would stay that large (and grow a little with each crowd: measured +12, +8 and +5 MB
for three crowds of 480). malloc_trim returns the free pages.
"""

from __future__ import annotations

import ctypes


def _malloc_trim():  # noqa: ANN202  (a ctypes function, or None)
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; not macOS, Windows or musl
    except (OSError, AttributeError, TypeError):
        return None


_TRIM = _malloc_trim()


def give_back() -> None:
    """Return the memory freed so far to the system, where the C library can (else nothing)."""
    if _TRIM is not None:
        _TRIM(0)
