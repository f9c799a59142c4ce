"""The unit tests, one file per module of the package (tests/unit/test_<module>.py), in-process.
A package of its own, so that a unit test may share its name with an end-to-end test in tests/
(unit/test_sources.py beside test_sources.py)."""
