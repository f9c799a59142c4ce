"""A classroom for a test: a network of Linux namespaces with a host for each name, or the
test skipped (failed in CI) where one cannot be made."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from support.namespaces import Network


@contextlib.contextmanager
def classroom(*names: str) -> Iterator[Network]:
    """A network of Linux namespaces (netns.py) with a host for each of `names`, taken down at the
    end. Without root or iproute2 the test is skipped, but it fails in CI (CI=true), which has them."""
    reason = Network.available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run these tests as root with iproute2 installed")
        pytest.skip(f"{reason}; CI runs these tests")
    network = Network()
    try:
        for name in names:
            network.add(name)
        yield network
    finally:
        network.close()
