"""Giving freed memory back to the system: glibc's malloc_trim, on Linux.

libzmq takes some 25 kB for each connection, and frees it when the connection closes; but the C
library keeps what was freed for later, in pieces, so a server that once had hundreds of
connections would stay that large (docs/performance.md). malloc_trim returns the free pages.
macOS's and Windows' allocators give large free blocks back by themselves: nothing to do there.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; not musl
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back() -> None:
    """Return the memory freed so far to the system, where the C library can (else nothing)."""
    if _TRIM is not None:
        _TRIM(0)
