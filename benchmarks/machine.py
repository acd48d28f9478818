"""What the benchmarks print about the machine they ran on: the figures scale with it.

The numbers of one run only compare with another taken at a similar load and speed; this line
says which, so a reader can tell a slow machine from a slow program.
"""

from __future__ import annotations

import os
import sys
import time


def python_speed_ms() -> float:
    """CPU time of a fixed pure-Python loop (a million additions)."""
    start = time.process_time()
    total = 0
    for n in range(1_000_000):
        total += n
    return (time.process_time() - start) * 1000


def describe() -> str:
    load = f"load {os.getloadavg()[0]:.2f} (1-minute average)" if hasattr(os, "getloadavg") else "load n/a"
    return (f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {load}; a 1e6-step Python loop takes "
            f"{python_speed_ms():.0f} ms of CPU here")
