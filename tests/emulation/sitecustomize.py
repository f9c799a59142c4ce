"""Loaded by every Python started with this folder on PYTHONPATH (Python's `site` imports it):
with PUBSUB_DEMO_AS=win32 or darwin, the project's own code sees the standard library as that
system's CPython has it (other_systems.py). `.ci/run` and tests/test_other_systems.py use it."""

import os

if os.environ.get("PUBSUB_DEMO_AS"):
    import other_systems

    other_systems.install(os.environ["PUBSUB_DEMO_AS"])
