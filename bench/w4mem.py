"""W4's memory pass, untimed, in a fresh process per contender.

Usage: python -m bench.w4mem CONTENDER TARGET_JSON PREFIX N  (prints one JSON line)

After building the contender and a warm-up listing of a few keys (imports, connection),
it lists ``PREFIX`` twice: first with nothing watching, for the RSS growth (peak RSS
during the listing minus RSS before it; Rust's allocations count here), then under
``tracemalloc`` for the Python heap's peak (Python's allocations only). Neither
listing is timed: the timed listing is in ``workloads.w4_list``.
"""

from __future__ import annotations

import json
import sys
import tracemalloc

from bench.contenders import Target, make
from bench.measure import MiB, peak_rss_mib, reset_peak_rss, rss_mib


def measure(name: str, target: Target, prefix: str, n: int) -> dict[str, float]:
    """``rss_growth_mib`` and ``heap_mib`` of one listing of ``prefix`` (n keys expected)."""
    contender = make(name, target)
    contender.count(prefix + "000000")  # warm-up: a handful of keys
    before = rss_mib()
    if not reset_peak_rss():
        raise RuntimeError("cannot reset the peak RSS (/proc/self/clear_refs)")
    counted = contender.count(prefix)
    growth = max(0.0, peak_rss_mib() - before)
    tracemalloc.start()
    contender.count(prefix)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if counted < n:
        raise RuntimeError(f"{name} listed {counted} of {n}")
    return {"rss_growth_mib": growth, "heap_mib": peak / MiB}


def main() -> None:
    name, target_json, prefix, n = sys.argv[1:5]
    print(json.dumps(measure(name, Target(**json.loads(target_json)), prefix, int(n))))


if __name__ == "__main__":
    main()
