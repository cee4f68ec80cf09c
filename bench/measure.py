"""How the bench measures: wall time and client CPU together; memory in passes of its own.

Timed code never runs under ``tracemalloc`` or a profiler: both slow Python's
allocations (botocore's XML parser, urllib3's header handling) and not Rust's, so a
timing taken under them compares the instrument, not the libraries. Memory is measured
in separate, untimed passes (``bench.w4mem``), in a fresh process per contender.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Timing:
    """One timed run: wall seconds for all of it and client CPU ms per operation.

    ``cpu_ms`` is ``time.process_time()`` of this process (every thread of it, user and
    system) over the run, divided by the number of operations.
    """

    wall: float
    cpu_ms: float


def timed(fn: Callable[[], object], ops: int = 1) -> Timing:
    """Run ``fn`` once; wall time, and this process's CPU per operation (``ops`` of them)."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    return Timing(wall=wall, cpu_ms=cpu / max(1, ops) * 1e3)


def results(**timings: Timing) -> dict[str, float]:
    """``{op: wall seconds, "op cpu": ms per op}`` for a workload's samples."""
    out: dict[str, float] = {}
    for op, timing in timings.items():
        out[op] = timing.wall
        out[f"{op} cpu"] = timing.cpu_ms
    return out


_STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def rss_mib() -> float:
    """This process's resident set now (MiB; 0 where /proc is missing)."""
    return _status_kib("VmRSS") / KiB if _STATUS.exists() else 0.0


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """This process's peak resident set since start or the last ``reset_peak_rss`` (MiB)."""
    return _status_kib("VmHWM") / KiB if _STATUS.exists() else 0.0
