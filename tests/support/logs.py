"""The error log as the tests read it: the seed's line format, and how many lines say a thing."""

from __future__ import annotations

import re

LOG_LINE = re.compile(r"^\d+ - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (ERROR|WARNING) - ")
COUNT_LINE = re.compile(r" … and ([\d,]+) more like it in the last (\d+) s$")


def logged(log: str, what: str = "skipped a bad message") -> int:
    """How many log records about `what` there were: those written, and those counted."""
    total = 0
    for line in log.splitlines():
        if what in line:
            count = COUNT_LINE.search(line)
            total += int(count[1].replace(",", "")) if count else 1
    return total
